#!/usr/bin/env bash
# A throwaway PostgreSQL server for Winnow's storage tests: one cluster per directory, loopback
# only, trust authentication and no fsync, because it holds nothing worth keeping and the tests
# should not pay for durability. PostgreSQL refuses to run as root, so when started by root the
# cluster belongs to the `postgres` user that Debian's postgresql package creates.
#
#   server.sh start DIR    create DIR/data if missing, start it on a free port, create database
#                          winnow_test, write its URL to DIR/url and print it. A server already
#                          running from DIR is left alone.
#   server.sh stop DIR     stop the server (if any) and remove DIR.
#   server.sh restart DIR  restart the server on the same port, for tests of lost connections.
#   server.sh halt DIR     stop the server but keep DIR: a later `start DIR` brings the same
#                          cluster back on the same port (tests of an outage).
#   server.sh crash DIR    stop the server at once, as a crash would: what it had not flushed
#                          to disk is lost, and a later `start DIR` recovers from its WAL.
#
# PG_BIN overrides where the PostgreSQL 15 binaries are looked for. WINNOW_PG_DURABLE=1 keeps
# PostgreSQL's own durable settings (every commit flushed to disk), for benchmarks of what a
# production server does; it applies whenever `start` writes the settings.
# WINNOW_PG_PORT is the port a new cluster tries first (by default a random one of the range).
# Each cluster reserves its port in a registry of this user's test clusters until `stop`, so that
# no other cluster takes it while it is down for a moment (halted, crashed or restarting).
# WINNOW_PG_WAL_WRITER_DELAY (e.g. 10s) sets how long the server's WAL writer sleeps between
# flushes, so that a commit made without waiting for its flush stays unflushed that long: for
# tests that crash the server and check what survived.
set -euo pipefail

readonly PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
readonly FIRST_PORT=54330
readonly PORT_ATTEMPTS=100
readonly DATABASE=winnow_test
# Marks a directory as made by this script, so that `stop` never removes anything else.
readonly MARKER=.winnow-test-postgres
# Ports taken by this user's test clusters, one entry per port naming the cluster's directory.
# A cluster that is down for a moment (halted, crashed, restarting) must find its port free to
# come back on, and a free port alone does not say that nobody will return to it.
readonly PORT_REGISTRY="${WINNOW_PG_PORT_REGISTRY:-/tmp/winnow-test-postgres-ports.$(id -u)}"

die() {
  echo "server.sh: error: $*" >&2
  exit 1
}

usage() {
  echo "usage: $0 start|stop|restart|halt|crash DIR" >&2
  exit 2
}

(($# == 2)) || usage
command=$1
case "$command" in start | stop | restart | halt | crash) ;; *) usage ;; esac
[[ -n "$2" ]] || usage
dir=$(realpath -m -- "$2")
[[ "$dir" != "/" ]] || die "refusing to use / as the server directory"
data="$dir/data"
log="$dir/server.log"
settings_file=winnow-test.conf

if [[ $(id -u) -eq 0 ]]; then
  owner=postgres
  id -u "$owner" >/dev/null 2>&1 ||
    die "user '$owner' does not exist; install postgresql-15 (it creates the user) or run as a non-root user"
else
  owner=$(id -un)
fi

# Runs a command as the cluster's owner, from a directory the owner can enter (the caller's
# working directory may be closed to it).
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    if command -v runuser >/dev/null; then
      (cd "$dir" && runuser -u "$owner" -- "$@")
    else
      (cd "$dir" && setpriv --reuid="$owner" --regid="$owner" --init-groups -- "$@")
    fi
  else
    (cd "$dir" && "$@")
  fi
}

require_binaries() {
  local binary
  for binary in initdb pg_ctl postgres psql; do
    [[ -x "$PG_BIN/$binary" ]] ||
      die "$PG_BIN/$binary not found; install postgresql-15 (Debian: apt-get install postgresql-15)"
  done
}

server_running() {
  [[ -f "$data/PG_VERSION" ]] && as_owner "$PG_BIN/pg_ctl" status -D "$data" >/dev/null 2>&1
}

configured_port() {
  sed -n "s/^port = \([0-9]*\)$/\1/p" "$data/$settings_file" 2>/dev/null || true
}

url() {
  echo "postgresql://$owner@127.0.0.1:$(configured_port)/$DATABASE"
}

print_log_tail() {
  if [[ -f "$log" ]]; then
    echo "--- last lines of $log ---" >&2
    tail -n 30 "$log" >&2
  fi
}

# A directory we may use: new, empty, or one this script made before.
prepare_directory() {
  if [[ -e "$dir" && ! -d "$dir" ]]; then
    die "$dir exists and is not a directory"
  fi
  if [[ -d "$dir" && ! -e "$dir/$MARKER" && -n "$(ls -A "$dir")" ]]; then
    die "$dir is not empty and was not made by $0; choose another directory"
  fi
  # The server's socket lives in DIR, and Unix socket paths are limited to 107 bytes.
  local socket="$dir/.s.PGSQL.$((FIRST_PORT + PORT_ATTEMPTS))"
  ((${#socket} <= 107)) || die "$dir is too long a path for PostgreSQL's socket ($socket > 107 bytes)"
  mkdir -p "$dir" || die "cannot create $dir"
  touch "$dir/$MARKER"
  if [[ $(id -u) -eq 0 ]]; then
    chown "$owner:" "$dir" "$dir/$MARKER"
    # The owner must be able to walk down to DIR, which may sit in a root-owned build tree.
    local parent
    parent=$(dirname "$dir")
    while true; do
      if [[ $(($(stat -c '%#a' "$parent") & 1)) -eq 0 ]]; then
        chmod o+x "$parent"
      fi
      [[ "$parent" != "/" ]] || break
      parent=$(dirname "$parent")
    done
  fi
}

# Quotes a value for postgresql.conf.
conf_quote() {
  printf "'%s'" "${1//\'/\'\'}"
}

initialize_cluster() {
  if [[ -f "$data/PG_VERSION" ]]; then
    return
  fi
  # A half-made cluster from an interrupted initdb cannot be resumed.
  rm -rf "$data"
  local output
  if ! output=$(as_owner "$PG_BIN/initdb" -D "$data" --username="$owner" --auth=trust \
    --encoding=UTF8 --no-locale --no-sync --no-instructions 2>&1); then
    echo "$output" >&2
    die "initdb of $data as user '$owner' failed"
  fi
  # Only loopback TCP and the socket in DIR; nothing reaches this server from elsewhere.
  as_owner tee "$data/pg_hba.conf" >/dev/null <<EOF
local all all trust
host all all 127.0.0.1/32 trust
EOF
  echo "include '$settings_file'" | as_owner tee -a "$data/postgresql.conf" >/dev/null
}

write_settings() {
  local port=$1
  # max_connections: the multi-process tests open well over the default 100.
  as_owner tee "$data/$settings_file" >/dev/null <<EOF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = $(conf_quote "$dir")
max_connections = 300
shared_buffers = 128MB
logging_collector = off
EOF
  if [[ -n "${WINNOW_PG_WAL_WRITER_DELAY:-}" ]]; then
    echo "wal_writer_delay = $(conf_quote "$WINNOW_PG_WAL_WRITER_DELAY")" |
      as_owner tee -a "$data/$settings_file" >/dev/null
  fi
  if [[ "${WINNOW_PG_DURABLE:-0}" != 1 ]]; then
    as_owner tee -a "$data/$settings_file" >/dev/null <<EOF
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  fi
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Reserves port $1 for this cluster in the registry; fails if another cluster holds it. The
# registry's lock makes the look and the write one step, so two clusters never both take a port,
# even one whose holder is gone (stopped, or removed after a test was killed): that entry is
# taken over.
reserve_port() {
  mkdir -p "$PORT_REGISTRY"
  (
    flock 9
    entry="$PORT_REGISTRY/$1"
    holder=$(cat "$entry" 2>/dev/null || true)
    if [[ -n "$holder" && "$holder" != "$dir" && -e "$holder/$MARKER" ]]; then
      exit 1
    fi
    echo "$dir" >"$entry"
  ) 9>"$PORT_REGISTRY/.lock"
}

# Gives up this cluster's reservation of port $1, if it holds it.
release_port() {
  [[ -n "$1" && -d "$PORT_REGISTRY" ]] || return 0
  (
    flock 9
    entry="$PORT_REGISTRY/$1"
    if [[ "$(cat "$entry" 2>/dev/null || true)" == "$dir" ]]; then
      rm -f -- "$entry"
    fi
  ) 9>"$PORT_REGISTRY/.lock"
}

# Starts the cluster, trying the port it had last (if any) and then the next free ones; two
# servers started at once may both pick the same free port, and the loser moves on.
start_server() {
  local port previous_port attempt log_lines
  previous_port=$(configured_port)
  # A new cluster starts its search at a random port of the range's first half, so that one
  # started while another test's server is down for a moment (a restart, a crash) rarely takes
  # that server's port, which it must find free to come back on.
  port=${previous_port:-${WINNOW_PG_PORT:-$((FIRST_PORT + RANDOM % (PORT_ATTEMPTS / 2)))}}
  local first_port=$port
  for ((attempt = 0; attempt < PORT_ATTEMPTS; attempt++, port++)); do
    if ! reserve_port "$port"; then
      continue
    fi
    if port_in_use "$port"; then
      release_port "$port"
      continue
    fi
    write_settings "$port"
    log_lines=0
    [[ -f "$log" ]] && log_lines=$(wc -l <"$log")
    if as_owner "$PG_BIN/pg_ctl" start -D "$data" -l "$log" -w -t 60 -s >&2; then
      return
    fi
    if tail -n +"$((log_lines + 1))" "$log" 2>/dev/null | grep -q "Address already in use"; then
      release_port "$port"
      continue
    fi
    print_log_tail
    die "PostgreSQL in $data did not start on port $port (log: $log)"
  done
  print_log_tail
  die "no free port for PostgreSQL among $PORT_ATTEMPTS tried from $first_port"
}

create_database() {
  local port exists
  port=$(configured_port)
  local psql=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$owner" -d postgres)
  exists=$(as_owner "${psql[@]}" -tAc "select 1 from pg_database where datname = '$DATABASE'") ||
    die "cannot connect to PostgreSQL at 127.0.0.1:$port as '$owner'"
  if [[ "$exists" != 1 ]]; then
    as_owner "${psql[@]}" -c "create database $DATABASE" >/dev/null ||
      die "cannot create database $DATABASE at 127.0.0.1:$port"
  fi
}

write_url() {
  url | as_owner tee "$dir/url.tmp" >/dev/null
  as_owner mv "$dir/url.tmp" "$dir/url"
  cat "$dir/url"
}

case "$command" in
start)
  require_binaries
  prepare_directory
  if ! server_running; then
    initialize_cluster
    start_server
  fi
  create_database
  write_url
  ;;
stop)
  if [[ ! -e "$dir" ]]; then
    exit 0
  fi
  [[ -e "$dir/$MARKER" ]] || die "$dir was not made by $0; not removing it"
  if [[ -x "$PG_BIN/pg_ctl" ]] && server_running; then
    if ! as_owner "$PG_BIN/pg_ctl" stop -D "$data" -m fast -w -t 60 -s >&2; then
      as_owner "$PG_BIN/pg_ctl" stop -D "$data" -m immediate -w -t 60 -s >&2 ||
        die "PostgreSQL in $data did not stop"
    fi
  fi
  release_port "$(configured_port)"
  rm -rf -- "$dir"
  ;;
halt | crash)
  require_binaries
  [[ -f "$data/PG_VERSION" && -e "$dir/$MARKER" ]] ||
    die "no test cluster in $dir; run '$0 start $dir' first"
  mode=fast
  [[ "$command" == crash ]] && mode=immediate
  if server_running; then
    as_owner "$PG_BIN/pg_ctl" stop -D "$data" -m "$mode" -w -t 60 -s >&2 ||
      die "PostgreSQL in $data did not stop"
  fi
  ;;
restart)
  require_binaries
  [[ -f "$data/PG_VERSION" && -e "$dir/$MARKER" ]] ||
    die "no test cluster in $dir; run '$0 start $dir' first"
  if ! as_owner "$PG_BIN/pg_ctl" restart -D "$data" -l "$log" -m fast -w -t 60 -s >&2; then
    print_log_tail
    die "PostgreSQL in $data did not restart on port $(configured_port) (log: $log)"
  fi
  write_url
  ;;
esac
