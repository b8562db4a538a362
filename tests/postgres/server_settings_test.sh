#!/usr/bin/env bash
# The test server's settings: by default commits are not flushed (the tests hold nothing worth
# keeping); with WINNOW_PG_DURABLE=1 the server keeps PostgreSQL's durable defaults, which the
# distributed benchmark's --durable figures rely on.
#
#   tests/postgres/server_settings_test.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
readonly PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
fast=$(mktemp -d)
durable=$(mktemp -d)
# server.sh hands the directories to the postgres user when run as root.
chmod 755 "$fast" "$durable"
# stop removes only a folder it set up; one left empty by a failed start goes with rm.
trap 'bash "$here/server.sh" stop "$fast" >/dev/null 2>&1 || true
      bash "$here/server.sh" stop "$durable" >/dev/null 2>&1 || true
      rm -rf "$fast" "$durable"' EXIT

settings() {  # URL -> "fsync synchronous_commit full_page_writes"
  local url=$1 values=()
  for name in fsync synchronous_commit full_page_writes; do
    values+=("$("$PG_BIN/psql" -X -tA "$url" -c "show $name")")
  done
  echo "${values[*]}"
}

expect() {  # what got want
  if [[ "$2" != "$3" ]]; then
    echo "server_settings_test: $1: got '$2', want '$3'" >&2
    exit 1
  fi
}

WINNOW_PG_DURABLE=0 bash "$here/server.sh" start "$fast" >/dev/null
expect "default server (fsync synchronous_commit full_page_writes)" \
  "$(settings "$(cat "$fast/url")")" "off off off"
WINNOW_PG_DURABLE=1 bash "$here/server.sh" start "$durable" >/dev/null
expect "WINNOW_PG_DURABLE=1 server (fsync synchronous_commit full_page_writes)" \
  "$(settings "$(cat "$durable/url")")" "on on on"
echo "server_settings_test: ok"
