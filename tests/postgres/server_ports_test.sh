#!/usr/bin/env bash
# A test cluster that is down for a moment keeps its port: a cluster started meanwhile, even one
# told to try that very port first, takes another, and the first comes back on its own port with
# its data. Without the reservation the newcomer would take the port, and the first cluster's
# clients would reconnect to a stranger's database.
#
#   tests/postgres/server_ports_test.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
readonly PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
first=$(mktemp -d)
second=$(mktemp -d)
# server.sh hands the directories to the postgres user when run as root.
chmod 755 "$first" "$second"
trap 'bash "$here/server.sh" stop "$first" >/dev/null 2>&1 || true
      bash "$here/server.sh" stop "$second" >/dev/null 2>&1 || true
      rm -rf "$first" "$second"' EXIT

fail() {
  echo "server_ports_test: $*" >&2
  exit 1
}
port_of() { sed -n 's|.*:\([0-9]*\)/[^/]*$|\1|p' "$1/url"; }

bash "$here/server.sh" start "$first" >/dev/null
first_url=$(cat "$first/url")
"$PG_BIN/psql" -X -q "$first_url" -c "create table kept (x int)"
bash "$here/server.sh" halt "$first"
WINNOW_PG_PORT=$(port_of "$first") bash "$here/server.sh" start "$second" >/dev/null
[[ "$(port_of "$second")" != "$(port_of "$first")" ]] ||
  fail "a cluster started while another was halted took its port $(port_of "$first")"
bash "$here/server.sh" start "$first" >/dev/null
[[ "$(cat "$first/url")" == "$first_url" ]] ||
  fail "the halted cluster came back at $(cat "$first/url"), not at $first_url"
"$PG_BIN/psql" -X -q "$first_url" -c "select * from kept" >/dev/null ||
  fail "the cluster at $first_url is not the one halted"

# Once stopped, a cluster gives its port up (another test's server may have taken it since).
port=$(port_of "$first")
registry="${WINNOW_PG_PORT_REGISTRY:-/tmp/winnow-test-postgres-ports.$(id -u)}"
[[ "$(cat "$registry/$port")" == "$(realpath "$first")" ]] ||
  fail "the registry does not name $first as the holder of port $port"
bash "$here/server.sh" stop "$first"
[[ "$(cat "$registry/$port" 2>/dev/null || true)" != "$(realpath "$first")" ]] ||
  fail "port $port stayed reserved after its cluster stopped"
echo "server_ports_test: ok"
