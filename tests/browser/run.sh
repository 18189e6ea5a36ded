#!/usr/bin/env bash
# Browser end-to-end test: starts the real `netledger serve` (already built by scripts/build) on a
# free port against a fresh database, signs the admin in with a known password, and runs
# tests/browser/e2e.mjs (playwright-core driving Debian's /usr/bin/chromium). Works from any cwd.
#
# Env:
#   DATABASE_URL   PostgreSQL superuser URL (scripts/test exports it). A fresh database
#                  nl_browser_<random> is created from it for this run and dropped afterwards.
#                  Unset: a throwaway cluster is started under /tmp for the run.
#   CARGO_TARGET_DIR                 where scripts/build put target/release/netledger and target/site
#   NETLEDGER_CHROMIUM               browser executable (default /usr/bin/chromium)
#   NETLEDGER_BROWSER_KEEP=1         keep the database and the temp dir (server log) afterwards
#   NETLEDGER_SCREENSHOT_DIR         where e2e.mjs writes its PNGs (default docs/screenshots)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

say() { echo "browser: $*"; }
die() { echo "browser: $*" >&2; exit 1; }

target_dir="${CARGO_TARGET_DIR:-target}"
[[ "$target_dir" == /* ]] || target_dir="$root/$target_dir"
bin="$target_dir/release/netledger"
site="$target_dir/site"
[[ -x "$bin" ]] || die "$bin is missing: run scripts/build first"
[[ -f "$site/pkg/netledger.js" && -f "$site/pkg/netledger.wasm" ]] ||
    die "$site/pkg/netledger.{js,wasm} missing: run scripts/build first"
chromium="${NETLEDGER_CHROMIUM:-/usr/bin/chromium}"
[[ -x "$chromium" ]] || die "$chromium not found: run scripts/setup --browser (apt package chromium)"
command -v node >/dev/null || die "node not found: run scripts/setup"
command -v psql >/dev/null || die "psql not found (apt package postgresql-client)"

# ---- node_modules: npm ci only when missing or when the lockfile changed ---------------------------
lock_sum="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)"
stamp="$here/node_modules/.netledger-lock-stamp"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$lock_sum" || ! -d "$here/node_modules/playwright-core" ]]; then
    say "npm ci (node_modules missing or lockfile changed)"
    npm ci --prefix "$here" --no-audit --no-fund --loglevel=error
    echo "$lock_sum" >"$stamp"
fi

# ---- cleanup ----------------------------------------------------------------------------------------
tmp="$(mktemp -d /tmp/netledger-browser.XXXXXX)"
chmod 755 "$tmp"
log="$tmp/server.log"
: >"$log"
server_pid=""
own_pg_dir=""
pg_bindir=""
admin_url=""
db=""
as_pg=()
if [[ "$(id -u)" == 0 ]]; then as_pg=(runuser -u postgres --); fi

stop_server() {
    [[ -n "$server_pid" ]] || return 0
    if kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$server_pid" 2>/dev/null; then
            echo "browser: server did not stop within 10 s after TERM; killing it" >&2
            kill -KILL "$server_pid" 2>/dev/null || true
        fi
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

on_exit() {
    local rc=$?
    set +e
    stop_server
    if ((rc != 0)) && [[ -s "$log" ]]; then
        echo "---- server log (last 80 lines of $log) ----" >&2
        tail -n 80 "$log" >&2
        echo "---- end of server log ----" >&2
    fi
    if [[ "${NETLEDGER_BROWSER_KEEP:-}" == 1 ]]; then
        say "kept database '$db' and $tmp"
    else
        if [[ -n "$db" && -n "$admin_url" ]]; then
            psql "$admin_url" -v ON_ERROR_STOP=1 -qAtc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 ||
                echo "browser: could not drop database $db" >&2
        fi
    fi
    if [[ -n "$own_pg_dir" && -f "$own_pg_dir/postmaster.pid" ]]; then
        (cd / && "${as_pg[@]}" "$pg_bindir/pg_ctl" stop -D "$own_pg_dir" -m immediate -s) >/dev/null 2>&1
    fi
    if [[ "${NETLEDGER_BROWSER_KEEP:-}" != 1 ]]; then rm -rf "$tmp"; fi
    if ((rc == 0)); then say "PASSED"; else echo "browser: FAILED (exit $rc)" >&2; fi
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    if command -v python3 >/dev/null 2>&1 &&
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null; then
        return 0
    fi
    local port
    for _ in $(seq 50); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

# ---- database -----------------------------------------------------------------------------------------
if [[ -n "${DATABASE_URL:-}" ]]; then
    admin_url="$DATABASE_URL"
else
    pg_bindir="$(for d in /usr/lib/postgresql/*/bin; do [[ -x "$d/initdb" ]] && echo "$d"; done | sort -V | tail -n 1)"
    [[ -n "$pg_bindir" ]] || die "DATABASE_URL is unset and no PostgreSQL server binaries were found"
    own_pg_dir="$tmp/pg"
    mkdir -p "$own_pg_dir"
    chmod 700 "$own_pg_dir"
    : >"$tmp/pg.log"
    if ((${#as_pg[@]})); then chown postgres: "$own_pg_dir" "$tmp/pg.log"; fi
    pg_port="$(free_port)"
    (cd / && "${as_pg[@]}" "$pg_bindir/initdb" -D "$own_pg_dir" -U postgres -A trust -E UTF8 --no-locale -N) \
        >"$tmp/initdb.log" 2>&1 || { tail -n 30 "$tmp/initdb.log" >&2; die "initdb failed"; }
    (cd / && "${as_pg[@]}" "$pg_bindir/pg_ctl" start -D "$own_pg_dir" -l "$tmp/pg.log" -w -t 60 -s -o \
        "-p $pg_port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$own_pg_dir -c fsync=off") ||
        { tail -n 30 "$tmp/pg.log" >&2; die "could not start PostgreSQL"; }
    admin_url="postgres://postgres@127.0.0.1:$pg_port/postgres"
    say "DATABASE_URL unset: started a throwaway PostgreSQL on 127.0.0.1:$pg_port"
fi

db="nl_browser_$(date +%s)_$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')"
psql "$admin_url" -v ON_ERROR_STOP=1 -qAtc "CREATE DATABASE $db" >/dev/null || die "could not create database $db"
# Same URL with the database swapped (keeps user, host, port and any ?query).
url_base="${admin_url%%\?*}"
url_query=""
if [[ "$admin_url" == *\?* ]]; then url_query="?${admin_url#*\?}"; fi
url_scheme="${url_base%%://*}"
url_rest="${url_base#*://}"
app_db_url="$url_scheme://${url_rest%%/*}/$db$url_query"

# ---- server -------------------------------------------------------------------------------------------
port="$(free_port)"
base_url="http://127.0.0.1:$port"
export DATABASE_URL="$app_db_url"
export LEPTOS_SITE_ROOT="$site" LEPTOS_OUTPUT_NAME=netledger LEPTOS_SITE_PKG_DIR=pkg
export NETLEDGER_ADDR="127.0.0.1:$port" NETLEDGER_DATA_DIR="$tmp/data"
# The built-in lab, on ephemeral ports so a lab already running on this machine is no obstacle.
export NETLEDGER_LAB=on NETLEDGER_LAB_BIND=127.0.0.1:0
say "starting $bin serve on $base_url (database $db)"
"$bin" serve >"$log" 2>&1 &
server_pid=$!

wait_http() { # URL SECONDS: until URL answers 200
    local url="$1" deadline=$((SECONDS + $2))
    until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
        kill -0 "$server_pid" 2>/dev/null || die "the server exited while waiting for $url"
        ((SECONDS < deadline)) || die "$url did not answer 200 within $2 s"
        sleep 0.2
    done
}
t0=$SECONDS
wait_http "$base_url/healthz" 60
say "healthz ok after $((SECONDS - t0)) s"

# A known final password (>= 12 chars, without "admin"); no forced change with --password-stdin.
password="e2e-$(od -An -N8 -tx8 /dev/urandom | tr -d ' \n')-Pw"
printf '%s' "$password" | "$bin" user reset-password admin --password-stdin >"$tmp/reset.log" 2>&1 ||
    { cat "$tmp/reset.log" >&2; die "netledger user reset-password admin --password-stdin failed"; }

wait_http "$base_url/readyz" 60
say "readyz ok after $((SECONDS - t0)) s"

# ---- the browser test ---------------------------------------------------------------------------------
export NETLEDGER_URL="$base_url" NETLEDGER_ADMIN_PASSWORD="$password" NETLEDGER_CHROMIUM="$chromium"
node "$here/e2e.mjs"
# Operations against the in-process lab: backup, push, diff, restore through the UI.
node "$here/ops.mjs"
# Latency monitoring: destinations (dialog, CSV import), a loopback job with charts, export, cancel.
node "$here/monitoring.mjs"
