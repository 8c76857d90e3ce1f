#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL server for tests (Debian package `postgresql`).
#
#   tools/pg_test_server.sh start DIR   → prints a connection URL on stdout (also in DIR/url);
#                                          a stopped server in DIR restarts on the same port
#   tools/pg_test_server.sh stop DIR
#
# Everything lives under DIR: data/, sock/ (unix socket), server.log. The server listens on
# 127.0.0.1 at a free port and on the socket, trusts local connections (user vcf_cds) and runs
# with fsync=off: it is a test fixture, never a place for real audit data. PostgreSQL refuses to
# run as root, so under root the server runs as `postgres` (or `nobody`) via runuser.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
command=$1
dir=$2

bin=${VCF_CDS_PG_BIN:-}
if [ -z "$bin" ]; then
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "pg_test_server: no PostgreSQL server binaries (install the Debian 'postgresql' package)" >&2
  exit 1
fi

run_as=()
owner=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
  owner=postgres
  id postgres >/dev/null 2>&1 || owner=nobody
  run_as=(runuser -u "$owner" --)
fi

# Under root the server user must be able to reach DIR: open the temp ancestors for traversal
# (o+x only), refusing anything outside the temp directory.
open_path() {
  local tmp=${TMPDIR:-/tmp}
  tmp=$(cd "$tmp" && pwd -P)
  local d
  d=$(cd "$1" && pwd -P)
  while [ "$d" != "/" ] && [ "$d" != "$tmp" ]; do
    if ! "${run_as[@]}" test -x "$d"; then
      case "$d" in
        "$tmp"/*) chmod o+x "$d" ;;
        *) echo "pg_test_server: $owner cannot reach $d; use a DIR under $tmp" >&2; exit 1 ;;
      esac
    fi
    d=$(dirname "$d")
  done
}

case "$command" in
  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    if [ -f "$dir/data/postmaster.pid" ]; then
      echo "pg_test_server: a server is already running in $dir" >&2
      exit 1
    fi
    cd "$dir"  # the server user may not be able to read the caller's working directory
    if [ -f "$dir/data/PG_VERSION" ] && [ -f "$dir/port" ]; then
      port=$(cat "$dir/port")  # restart a stopped server where it was: same data, same URL
    else
      mkdir -p "$dir/data" "$dir/sock"
      if [ ${#run_as[@]} -gt 0 ]; then
        open_path "$dir"
        chown "$owner" "$dir" "$dir/data" "$dir/sock"
      fi
      chmod 0700 "$dir/data"
      port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
      "${run_as[@]}" "$bin/initdb" -D "$dir/data" -U vcf_cds --auth=trust -E UTF8 --no-locale \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
      echo "$port" >"$dir/port"
    fi
    "${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w -t 60 \
      -o "-p $port -k $dir/sock -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" \
      start >/dev/null || { cat "$dir/data/server.log" >&2; exit 1; }
    ln -sf "$dir/data/server.log" "$dir/server.log"
    url="postgresql://vcf_cds@127.0.0.1:$port/postgres"
    echo "$url" >"$dir/url"
    echo "$url"
    ;;
  stop)
    dir=$(cd "$dir" && pwd -P)
    [ -f "$dir/data/postmaster.pid" ] || exit 0
    cd "$dir"
    "${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
    ;;
  *) usage ;;
esac
