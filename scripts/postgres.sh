#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, on loopback, its files under a directory of /tmp.
#
#   scripts/postgres.sh install      # Debian's postgresql package, if missing (root, apt-get)
#   scripts/postgres.sh start DIR PORT   # prints the server's URL once it accepts connections
#   scripts/postgres.sh stop DIR         # stops it and deletes DIR
#
# The server runs as the `postgres` user when started by root (PostgreSQL refuses root), with
# trust authentication on 127.0.0.1 only and durability off (fsync): it holds test data.
set -euo pipefail

bindir() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$found" ] && [ -x "$found/initdb" ]; then
        echo "$found"
    elif command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        dirname "$(command -v initdb)"
    else
        return 1
    fi
}

as_owner() {  # run a server command as the directory's owner (postgres when we are root)
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "${1:-}" in
install)
    if bindir >/dev/null; then
        exit 0
    fi
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "scripts/postgres.sh: PostgreSQL is not installed (apt-get install postgresql as root)" >&2
        exit 1
    fi
    echo "scripts/postgres.sh: installing postgresql for the tests (apt-get)" >&2
    apt-get update -qq
    # The package's own cluster is not started: the tests run their own under /tmp.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        postgresql postgresql-contrib >/dev/null
    ;;
start)
    dir=${2:?usage: start DIR PORT}
    port=${3:?usage: start DIR PORT}
    bin=$(bindir) || { echo "scripts/postgres.sh: PostgreSQL is not installed" >&2; exit 1; }
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$dir"
    fi
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
        "-p $port -c listen_addresses=127.0.0.1 -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
stop)
    dir=${2:?usage: stop DIR}
    bin=$(bindir) || exit 0
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: scripts/postgres.sh install | start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
