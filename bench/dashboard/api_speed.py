#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Times the dashboard's JSON API on a large study: one JSON line per request kind, with the
median and the largest of `--repeat` requests after a first (cold) one, and the answer's size.

  build/bench/large_study --storage /tmp/large.db --trials 100000 --params 10
  bench/record_results.sh bench/results/dashboard.jsonl -- /usr/bin/python3 \\
      bench/dashboard/api_speed.py --winnow build/winnow --storage /tmp/large.db --study large

Requests go over loopback from this process; the server is started and stopped here.
"""
import argparse
import json
import statistics
import subprocess
import sys
import time
import urllib.request

REQUESTS = [
    ("summary", "/api/studies/{s}"),
    ("study_list", "/api/studies"),
    ("trial_page_by_number", "/api/studies/{s}/trials?limit=1000"),
    ("trial_page_by_value", "/api/studies/{s}/trials?limit=1000&sort=value"),
    ("trial_page_deep_by_param", "/api/studies/{s}/trials?limit=1000&offset=50000&sort=param:x3&order=desc"),
    ("trial_page_filtered", "/api/studies/{s}/trials?limit=1000&state=complete&param=x1&param_min=0.2&param_max=0.4"),
    ("trial_detail", "/api/studies/{s}/trials/12345"),
    ("history", "/api/studies/{s}/history"),
    ("columns", "/api/studies/{s}/columns"),
    ("intermediate", "/api/studies/{s}/intermediate"),
    ("importance_ped_anova", "/api/studies/{s}/importance?method=ped-anova"),
    ("importance_fanova", "/api/studies/{s}/importance?method=fanova"),
    ("updates_none", "/api/studies/{s}/updates?since={v}"),
]


def fetch(opener, url):
    start = time.perf_counter()
    with opener.open(url) as response:
        body = response.read()
    return time.perf_counter() - start, body


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--winnow", default="build/winnow")
    parser.add_argument("--storage", required=True)
    parser.add_argument("--study", required=True)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="(lines are JSON either way)")
    args = parser.parse_args()

    server = subprocess.Popen([args.winnow, "dashboard", args.storage, "--port", "0"],
                              stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        port = int(line.split("127.0.0.1:")[1].split("/")[0])
        base = "http://127.0.0.1:%d" % port
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        version = None
        for kind, path in REQUESTS:
            if version is None:
                cold, body = fetch(opener, base + path.format(s=args.study, v=0))
                version = json.loads(body)["version"]
            else:
                cold, body = fetch(opener, base + path.format(s=args.study, v=version))
            warm = [fetch(opener, base + path.format(s=args.study, v=version))[0]
                    for _ in range(args.repeat)]
            print(json.dumps({"benchmark": "dashboard_api", "request": kind,
                              "path": path.format(s=args.study, v="V"),
                              "first_ms": round(cold * 1000, 2),
                              "median_ms": round(statistics.median(warm) * 1000, 2),
                              "max_ms": round(max(warm) * 1000, 2),
                              "bytes": len(body), "repeat": args.repeat}), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
