#!/usr/bin/env bash
# The graphcerts benchmark suite (`make bench`, `make bench QUICK=1`): builds a release binary,
# seeds a SQLite store with N userPFXCertificates, and measures eight scenarios with wrk against
# references it starts itself in the same run (nginx serving the same entity bytes, json-server
# 0.17, a write+fsync loop on the database's disk). Loopback only; every run is bounded in time;
# every process it starts is stopped on exit, failure included. Prints the table and writes it to
# bench/results/latest.md. Knobs (environment): QUICK=1, BENCH_N, BENCH_RUNS, BENCH_KEEP=1.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
case "${QUICK:-0}" in 1 | yes | true | on) QUICK=1 ;; *) QUICK=0 ;; esac
if [ "$QUICK" = 1 ]; then
  N=${BENCH_N:-100000} DUR=4 WARM=1 FSYNC_SECS=2
else
  N=${BENCH_N:-1000000} DUR=10 WARM=2 FSYNC_SECS=5
fi
RUNS=${BENCH_RUNS:-3}
THREADS=2
TENANT=8a0b4f7e-1c2d-4e5f-8a9b-0c1d2e3f4a5b
SET=/beta/deviceManagement/userPfxCertificates
NGINX_FILES=4000      # entity files nginx serves
JSONSERVER_ENTITIES=10000
PAGE_TOP=100 PAGE_DEEP=500
BUILD=$ROOT/build-bench
BIN=$BUILD/graphcerts
JS_DIR=$BENCH/.cache/json-server
RESULTS=$BENCH/results/latest.md
export BENCH_LUA=$BENCH

T_START=$(date +%s.%N)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
WORK=$(mktemp -d /tmp/graphcerts-bench.XXXXXX)
chmod 755 "$WORK" # nginx's workers run as an unprivileged user and read www/ under it
RAW=$WORK/raw.txt
: >"$RAW"
GC_PID="" NGINX_PID="" JS_PID="" NPM_PID="" FLOOR_PID="" CHILD="" PG_STATE=""

since() { awk -v a="$(date +%s.%N)" -v b="$1" 'BEGIN { printf "%.0f", a - b }'; }
say() { printf '[bench %4ss] %s\n' "$(since "$T_START")" "$*" >&2; }

# Stops one process we started: SIGTERM, up to 10 s, then SIGKILL.
stop_pid() {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Runs a bounded foreground step as a tracked child, so that a signal stops it at once:
# child OUT CMD... (OUT receives its stdout).
child() {
  local out=$1 rc=0
  shift
  "$@" >"$out" &
  CHILD=$!
  wait "$CHILD" || rc=$?
  CHILD=""
  return "$rc"
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$CHILD"
  stop_pid "$GC_PID"
  stop_pid "$NGINX_PID"
  stop_pid "$JS_PID"
  stop_pid "$NPM_PID"
  stop_pid "$FLOOR_PID"
  [ -n "${PG_STATE:-}" ] && "$ROOT/scripts/pg-test-server.sh" destroy "$PG_STATE" >/dev/null 2>&1
  if [ "$rc" -eq 130 ] || [ "$rc" -eq 143 ]; then
    echo "bench: interrupted; every process it started is stopped" >&2
  elif [ "$rc" -ne 0 ]; then
    echo "bench: FAILED (exit $rc); last lines of the logs:" >&2
    for f in "$WORK"/*.log; do
      [ -s "$f" ] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }
    done
  fi
  if [ "${BENCH_KEEP:-0}" = 1 ]; then
    echo "bench: kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for tool in wrk nginx node npm python3 cc cmake awk psql pgbench; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (scripts/deps.sh bench)" >&2; exit 1; }
done

# ---- json-server 0.17, outside the repository's tracked files, fetched in the background ----
js_ok() { node -e "process.exit(require('$JS_DIR/node_modules/json-server/package.json').version.startsWith('0.17.')?0:1)" 2>/dev/null; }
if ! js_ok; then
  mkdir -p "$JS_DIR"
  npm install --prefix "$JS_DIR" --no-audit --no-fund --loglevel=error json-server@0.17 >"$WORK/npm.log" 2>&1 &
  NPM_PID=$!
fi

# ---- build ----
say "building $BIN (Release) and the fsync writer"
if ! child "$WORK/build.txt" cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release 2>&1 ||
  ! child "$WORK/build.txt" cmake --build "$BUILD" --target graphcerts store_writes http_floor -j "${JOBS:-2}" 2>&1; then
  tail -n 30 "$WORK/build.txt" >&2
  exit 1
fi
cc -std=c17 -O2 -Wall -Wextra -o "$WORK/fsync_writer" "$BENCH/fsync_writer.c"

read -r GC_PORT NGINX_PORT JS_PORT START_PORT FLOOR_PORT <<<"$(python3 "$BENCH/helpers.py" ports 5)"
SECRET=$WORK/jwt-secret
head -c 48 /dev/urandom | base64 >"$SECRET"
chmod 600 "$SECRET"
export BENCH_TOKEN
BENCH_TOKEN=$("$BIN" token --secret-file "$SECRET" --tenant "$TENANT" \
  --scopes "DeviceManagementConfiguration.ReadWrite.All" --ttl 3600)
DB=$WORK/graphcerts.db
GC_URL=http://127.0.0.1:$GC_PORT

start_gc() {
  "$BIN" serve --listen "127.0.0.1:$GC_PORT" --db "sqlite:$DB" --jwt-secret-file "$SECRET" \
    --log-level warn </dev/null 2>>"$WORK/graphcerts.log" &
  GC_PID=$!
  child /dev/null python3 "$BENCH/helpers.py" wait "$GC_URL/healthz" "$GC_PID" 60
}
stop_gc() { stop_pid "$GC_PID"; GC_PID=""; }

# ---- seed ----
say "creating the schema (first start on an empty store)"
start_gc
stop_gc
say "seeding $N userPFXCertificates"
T_SEED=$(date +%s.%N)
child /dev/stderr python3 "$BENCH/seed.py" "$DB" "$TENANT" "$N" "$WORK/ids.txt" 100000
SEED_S=$(since "$T_SEED")

# ---- 8. start to first 200 ----
say "scenario 8: start to first 200 on /healthz ($RUNS starts)"
child "$WORK/startup.txt" python3 "$BENCH/helpers.py" startup "$RUNS" "$START_PORT" "$BIN" serve \
  --listen "127.0.0.1:$START_PORT" --db "sqlite:$DB" --jwt-secret-file "$SECRET" \
  --log-level warn 2>>"$WORK/graphcerts.log"
for ms in $(cat "$WORK/startup.txt"); do echo "startup startup ms=$ms" >>"$RAW"; done

start_gc

# ---- references: entity bytes for nginx and json-server ----
say "fetching $JSONSERVER_ENTITIES entities from graphcerts for the references"
child /dev/null python3 "$BENCH/helpers.py" fetch "$GC_PORT" "$BENCH_TOKEN" "$WORK/ids.txt" \
  "$JSONSERVER_ENTITIES" "$NGINX_FILES" "$WORK"
chmod -R a+rX "$WORK/www"

mkdir -p "$WORK/nginx"
cat >"$WORK/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes $THREADS;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/www;
  }
}
EOF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx.log" </dev/null &
NGINX_PID=$!
child /dev/null python3 "$BENCH/helpers.py" wait "http://127.0.0.1:$NGINX_PORT$SET/$(head -n 1 "$WORK/ids-nginx.txt")" "$NGINX_PID" 20

# CPU time (user + system, in clock ticks) a process has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# One wrk measurement: LABEL (empty: warm-up, not recorded) CONNECTIONS SCRIPT URL [SECONDS]
# A graphcerts run (URL is graphcerts's) also records graphcerts's CPU time per request.
run_wrk() {
  local label=$1 conns=$2 script=$3 url=$4 secs=${5:-$DUR} out line nonce c0="" c1 reqs
  local nonce=$((RANDOM * 32768 + RANDOM))
  [ "$url" = "$GC_URL" ] && [ -n "$GC_PID" ] && c0=$(cpu_ticks "$GC_PID")
  BENCH_NONCE=$nonce child "$WORK/wrk.out" timeout -k 5 $((secs + 60)) \
    wrk -t "$THREADS" -c "$conns" -d "${secs}s" --timeout 5s -s "$BENCH/$script" "$url"
  out=$(cat "$WORK/wrk.out")
  line=$(grep '^BENCH ' <<<"$out" || true)
  [ -n "$line" ] || { echo "bench: wrk printed no summary for $label: $out" >&2; return 1; }
  if [ -n "$c0" ]; then
    c1=$(cpu_ticks "$GC_PID")
    reqs=$(grep -o 'requests=[0-9]*' <<<"$line" | cut -d= -f2)
    [ "${reqs:-0}" -gt 0 ] &&
      line="$line cpu_us_per_req=$(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v n="$reqs" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')"
  fi
  if grep -q '^BENCHERR ' <<<"$out"; then
    say "  ${label:-warm-up}: $(grep '^BENCHERR ' <<<"$out" | cut -c10-)"
  fi
  if [ -n "$label" ]; then
    echo "wrk $label ${line#BENCH }" >>"$RAW"
    say "  $label: $(tr ' ' '\n' <<<"${line#BENCH }" | grep -E '^(rps|p50_us|p99_us|non2xx|sock_errors)=' | tr '\n' ' ')"
  fi
}

read_rss() {
  local s=/proc/$GC_PID/status
  echo "rss rss hwm_kb=$(awk '/^VmHWM/{print $2}' "$s") rss_kb=$(awk '/^VmRSS/{print $2}' "$s") anon_kb=$(awk '/^RssAnon/{print $2}' "$s") file_kb=$(awk '/^RssFile/{print $2}' "$s")" >>"$RAW"
}

# ---- the HTTP-layer floor: graphcerts's HTTP server alone, with a canned answer ----
ENTITY_FILE=$WORK/www$SET/$(head -n 1 "$WORK/ids-nginx.txt")
"$BUILD/http_floor" "$FLOOR_PORT" "$THREADS" "$ENTITY_FILE" 2>>"$WORK/floor.log" &
FLOOR_PID=$!
child /dev/null python3 "$BENCH/helpers.py" wait "http://127.0.0.1:$FLOOR_PORT/" "$FLOOR_PID" 20

# ---- json-server, for scenario 2 (its runs alternate with graphcerts's in scenario 1's rounds) ----
if [ -n "$NPM_PID" ]; then
  say "waiting for npm install json-server@0.17"
  wait "$NPM_PID" || { NPM_PID=""; echo "bench: npm install json-server@0.17 failed" >&2; exit 1; }
  NPM_PID=""
fi
js_ok || { echo "bench: json-server 0.17 not found under $JS_DIR" >&2; exit 1; }
node "$JS_DIR/node_modules/json-server/lib/cli/bin.js" --host 127.0.0.1 --port "$JS_PORT" --quiet \
  "$WORK/db.json" </dev/null >"$WORK/json-server.log" 2>&1 &
JS_PID=$!
child /dev/null python3 "$BENCH/helpers.py" wait "http://127.0.0.1:$JS_PORT/userPfxCertificates/$(head -n 1 "$WORK/ids-jsonserver.txt")" "$JS_PID" 30

# ---- 1, 2 and 7: GET by id vs nginx, the HTTP-layer floor and json-server; peak RSS ----
say "scenarios 1 and 2: GET by random id, 64 connections, graphcerts vs nginx, the HTTP-layer floor and json-server ($JSONSERVER_ENTITIES entities) (interleaved, $RUNS runs each)"
export BENCH_PREFIX=$SET/
BENCH_IDS=$WORK/ids.txt run_wrk "" 64 get.lua "$GC_URL" "$WARM"
BENCH_IDS=$WORK/ids-nginx.txt run_wrk "" 64 get.lua "http://127.0.0.1:$NGINX_PORT" "$WARM"
BENCH_PREFIX=/userPfxCertificates/ BENCH_IDS=$WORK/ids-jsonserver.txt run_wrk "" 64 get.lua "http://127.0.0.1:$JS_PORT" "$WARM"
for _ in $(seq "$RUNS"); do
  BENCH_IDS=$WORK/ids.txt run_wrk get_gc 64 get.lua "$GC_URL"
  read_rss
  BENCH_IDS=$WORK/ids-nginx.txt run_wrk get_nginx 64 get.lua "http://127.0.0.1:$NGINX_PORT"
  BENCH_IDS=$WORK/ids-nginx.txt run_wrk get_floor 64 get.lua "http://127.0.0.1:$FLOOR_PORT"
  BENCH_PREFIX=/userPfxCertificates/ BENCH_IDS=$WORK/ids-jsonserver.txt \
    run_wrk get_jsonserver 64 get.lua "http://127.0.0.1:$JS_PORT"
done
for pid in "$NGINX_PID" "$FLOOR_PID" "$JS_PID"; do stop_pid "$pid"; done
NGINX_PID="" FLOOR_PID="" JS_PID=""
export BENCH_PREFIX=$SET

# ---- 3: $filter on userPrincipalName, p99 ----
child "$WORK/probe.txt" python3 "$BENCH/helpers.py" probe-filter "$GC_PORT" "$BENCH_TOKEN"
FILTER=$(cat "$WORK/probe.txt")
if [ "$FILTER" = ok ]; then
  say "scenario 3: \$filter=userPrincipalName eq '…'&\$top=100, 16 connections ($RUNS runs)"
  export BENCH_USERS=$((N < 50000 ? N : 50000))
  run_wrk "" 16 filter.lua "$GC_URL" "$WARM"
  for _ in $(seq "$RUNS"); do run_wrk filter_gc 16 filter.lua "$GC_URL"; done
else
  say "scenario 3: not available yet (${FILTER#na })"
  echo "na filter ${FILTER#na }" >>"$RAW"
fi

# ---- 4: deep paging, page 500 vs page 1 ----
child "$WORK/probe.txt" python3 "$BENCH/helpers.py" probe-paging "$GC_PORT" "$BENCH_TOKEN" "$PAGE_TOP" "$PAGE_DEEP"
PAGING=$(cat "$WORK/probe.txt")
if [ "${PAGING%% *}" = ok ]; then
  read -r _ PAGE1 PAGEDEEP <<<"$PAGING"
  # Two connections (one per wrk thread): the latency of a page, not of a queue of them, which
  # on two shared cores mostly measures whatever else the machine is doing.
  say "scenario 4: page $PAGE_DEEP (via \$skiptoken) vs page 1, \$top=$PAGE_TOP, 2 connections ($RUNS runs each)"
  BENCH_PATH=$PAGE1 run_wrk "" 2 fixed.lua "$GC_URL" "$WARM"
  for _ in $(seq "$RUNS"); do
    BENCH_PATH=$PAGE1 run_wrk page1_gc 2 fixed.lua "$GC_URL"
    BENCH_PATH=$PAGEDEEP run_wrk page500_gc 2 fixed.lua "$GC_URL"
  done
else
  say "scenario 4: not available yet (${PAGING#na })"
  echo "na paging ${PAGING#na }" >>"$RAW"
fi

# ---- 5 and 6: durable writes vs one writer's fsync rate on the same disk ----
say "scenarios 5, 6: PATCH and POST, 64 connections, vs write+fsync in $WORK ($RUNS runs each)"
export BENCH_IDS=$WORK/ids.txt
BENCH_PREFIX=$SET/ run_wrk "" 64 patch.lua "$GC_URL" "$WARM"
for _ in $(seq "$RUNS"); do
  child "$WORK/fsync.txt" "$WORK/fsync_writer" "$WORK" "$FSYNC_SECS"
  echo "fsync fsync $(cat "$WORK/fsync.txt")" >>"$RAW"
  say "  fsync: $(tail -n 1 "$RAW" | cut -d' ' -f3)"
  BENCH_PREFIX=$SET/ run_wrk patch_gc 64 patch.lua "$GC_URL"
  BENCH_PREFIX=$SET run_wrk post_gc 64 post.lua "$GC_URL"
done
stop_gc

# ---- the storage floor: the same store calls with no HTTP in front (context, no target) ----
STORE_SECS=$(((DUR + 1) / 2))
say "storage floor: PATCH's and POST's store calls from 64 threads, no HTTP ($RUNS runs each, ${STORE_SECS} s)"
for _ in $(seq "$RUNS"); do
  for mode in patch post; do
    child "$WORK/store.txt" "$BUILD/store_writes" "$DB" "$TENANT" "$WORK/ids.txt" "$mode" \
      "$STORE_SECS" 64 $((RANDOM * 32768 + RANDOM)) 2>>"$WORK/graphcerts.log"
    echo "store store_$mode $(cat "$WORK/store.txt")" >>"$RAW"
    say "  store_$mode: $(cat "$WORK/store.txt")"
  done
done

# ---- 9, 10, 11: the same GET, PATCH and POST on PostgreSQL, against pgbench ----
# A throwaway PostgreSQL server (scripts/pg-test-server.sh, synchronous_commit=on), the rows of the
# SQLite store copied in, graphcerts on it; pgbench runs the single-row UPDATE and INSERT a PATCH
# and a POST make, with the same indexes and 64 clients, no HTTP in front. Runs alternate.
say "PostgreSQL: starting a throwaway server and copying the $N entities into it"
PG_STATE=$WORK/pg
PG_TEST_SHARED_BUFFERS=512MB child /dev/null "$ROOT/scripts/pg-test-server.sh" up "$PG_STATE"
PG_ADMIN=$(cat "$PG_STATE/dsn")
PG_DSN=${PG_ADMIN%/postgres}/bench
child /dev/null psql -X -q -d "$PG_ADMIN" -c "CREATE DATABASE bench"
start_gc_pg() {
  "$BIN" serve --listen "127.0.0.1:$GC_PORT" --db "$PG_DSN" --jwt-secret-file "$SECRET" \
    --log-level warn </dev/null 2>>"$WORK/graphcerts.log" &
  GC_PID=$!
  child /dev/null python3 "$BENCH/helpers.py" wait "$GC_URL/healthz" "$GC_PID" 60
}
start_gc_pg
stop_gc
child /dev/stderr python3 "$BENCH/seed_pg.py" "$DB" "$PG_DSN" "$WORK/ids.txt"
start_gc_pg
NIDS=$(wc -l <"$WORK/ids.txt")
# One pgbench measurement: LABEL SCRIPT
run_pgbench() {
  local label=$1 script=$2 tps
  child "$WORK/pgbench.out" timeout -k 5 $((DUR + 60)) pgbench -n -M prepared -c 64 -j "$THREADS" \
    -T "$DUR" -D "tenant=$TENANT" -D "nids=$NIDS" -f "$BENCH/$script" "$PG_DSN" 2>>"$WORK/pgbench.log"
  tps=$(awk '/^tps = /{print $3; exit}' "$WORK/pgbench.out")
  [ -n "$tps" ] || { echo "bench: pgbench printed no tps: $(cat "$WORK/pgbench.out")" >&2; return 1; }
  [ -n "$label" ] && echo "pgbench $label tps=$tps" >>"$RAW" && say "  $label: tps=$tps"
  return 0
}
say "scenarios 9, 10, 11: GET, PATCH and POST on PostgreSQL, 64 connections, vs pgbench's UPDATE and INSERT, 64 clients ($RUNS runs each)"
BENCH_PREFIX=$SET/ run_wrk "" 64 get.lua "$GC_URL" "$WARM"
BENCH_PREFIX=$SET/ run_wrk "" 64 patch.lua "$GC_URL" "$WARM"
run_pgbench "" pg_update.sql
for _ in $(seq "$RUNS"); do
  BENCH_PREFIX=$SET/ run_wrk get_gc_pg 64 get.lua "$GC_URL"
  run_pgbench pgbench_update pg_update.sql
  BENCH_PREFIX=$SET/ run_wrk patch_gc_pg 64 patch.lua "$GC_URL"
  run_pgbench pgbench_insert pg_insert.sql
  BENCH_PREFIX=$SET run_wrk post_gc_pg 64 post.lua "$GC_URL"
done
stop_gc
child /dev/null "$ROOT/scripts/pg-test-server.sh" destroy "$PG_STATE"
PG_STATE=""

# ---- report ----
RUNTIME=$(since "$T_START")
MODEL=$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo | tr ' ' '_')
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$ROOT" status --porcelain -- src 2>/dev/null)" ]; then COMMIT="$COMMIT+uncommitted-src"; fi
mkdir -p "$(dirname "$RESULTS")"
python3 "$BENCH/helpers.py" report "$RAW" "$RESULTS" "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  "nproc=$(nproc)" "model=$MODEL" "n=$N" "quick=$QUICK" "dur=$DUR" "runs=$RUNS" \
  "runtime=$RUNTIME" "seed_s=$SEED_S" "commit=$COMMIT" \
  "load=${LOAD_START// /_}" "load_end=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' _)"
say "done in ${RUNTIME}s; table written to ${RESULTS#"$ROOT"/}"
