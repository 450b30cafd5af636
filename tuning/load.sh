#!/usr/bin/env bash
# tuning/load.sh - end-to-end load harness for cliproxy.
#
# Compares, on loopback only, the cost of answering OpenAI chat-completions
# requests (plain JSON and SSE streaming) for these targets:
#   direct          wrk -> mock upstream                         (the floor)
#   nginx           wrk -> nginx reverse proxy -> mock upstream  (the reference)
#   cliproxy        wrk -> cliproxy -> mock upstream             (what we tune)
#   cliproxy-tokio  wrk -> cliproxy (tokio build) -> mock        (only if CLIPROXY_TOKIO_BIN)
# The cliproxy target also runs translated rows through the same gateway:
#   cliproxy-claude     Anthropic Messages client -> OpenAI-compatible mock (translated)
#   cliproxy-rev        OpenAI chat client -> Anthropic Messages mock (translated, the reverse)
#   cliproxy-claude-pt  Anthropic Messages client -> Anthropic Messages mock (passthrough; the
#                       yardstick for cliproxy-rev, whose upstream answer it shares)
# The mock upstream is nginx (1 worker) answering POSTs with canned
# OpenAI-shaped bodies. For each target and mode it runs a 2 s warm-up, then a
# measured wrk run, and samples the server's CPU time (utime+stime of all its
# processes, from /proc/<pid>/stat) around the measured run to get CPU-µs per
# request. Results: a table on stdout and tuning/out/last-run.md; raw wrk
# output in tuning/out/wrk-<target>-<mode>.txt.
#
# Run from the repository root:   tuning/load.sh
#
# Knobs (environment variables):
#   DURATION=10s          length of each measured wrk run (wrk syntax: 10s, 1m)
#   CONNS=32              wrk connections (always one wrk thread: -t1)
#   ROWS=direct,nginx,cliproxy[,cliproxy-tokio]
#                         targets to run; a target named here explicitly must
#                         work, while a default target whose binary is
#                         missing or does not start is skipped with a message
#   MODES=json,sse        modes to run (json, sse or both)
#   EXTRA_ROWS=1          0 skips the translated cliproxy-* rows
#   WARMUP=2s             warm-up run per target and mode (not measured)
#   CLIPROXY_BIN=path     gateway binary (default: ${CARGO_TARGET_DIR:-target}/release/cliproxy,
#                         built with `cargo build --release` when missing)
#   CLIPROXY_TOKIO_BIN=path  second gateway build (tokio runtime): adds the
#                         "cliproxy-tokio" row
#   CLIPROXY_EXTRA_CONFIG=yaml  text appended to the generated cliproxy YAML,
#                         e.g. $'io-driver: epoll\n'
#   HEALTH_TIMEOUT=30     seconds to wait for cliproxy's GET /healthz -> 200
#   CARGO_TARGET_DIR      honoured when locating/building the gateway
#
# Exit status: 0 if every run target answered only 2xx with no socket errors,
# 1 otherwise (the table is printed either way), 130 on Ctrl-C.
#
# The script never changes sysctls; see tuning/README.md for the kernel and
# ulimit checklist for high CONNS. All traffic goes to 127.0.0.1.

set -euo pipefail

# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
cd "$REPO_ROOT"

DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
WARMUP=${WARMUP:-2s}
HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-30}
LUA="$SCRIPT_DIR/chat.lua"
OUT_DIR="$SCRIPT_DIR/out"
CLK_TCK=$(getconf CLK_TCK)
IFS=',' read -r -a MODES <<<"${MODES:-json,sse}"
SSE_CHUNKS=50 # data frames per streamed answer, [DONE] not counted

if [[ -n ${ROWS:-} ]]; then
  ROWS_EXPLICIT=1
else
  ROWS_EXPLICIT=0
  ROWS=direct,nginx,cliproxy
  [[ -n ${CLIPROXY_TOKIO_BIN:-} ]] && ROWS+=",cliproxy-tokio"
fi
IFS=',' read -r -a TARGETS <<<"${ROWS// /}"

[[ $CONNS =~ ^[0-9]+$ && $CONNS -ge 1 ]] || { echo "CONNS must be a positive integer" >&2; exit 2; }

# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------
log() { printf '[load] %s\n' "$*" >&2; }
die() { printf '[load] ERROR: %s\n' "$*" >&2; exit 1; }

# wrk duration ("10s", "2m", "1h", "10") -> whole seconds, for `timeout` bounds.
dur_secs() {
  local d=$1
  case $d in
    *ms) echo 1 ;;
    *s) echo "${d%s}" ;;
    *m) echo $(( ${d%m} * 60 )) ;;
    *h) echo $(( ${d%h} * 3600 )) ;;
    *) echo "$d" ;;
  esac
}

# Was this target named in ROWS by the user (as opposed to a default row)?
explicit() { [[ $ROWS_EXPLICIT == 1 ]]; }

# N distinct free loopback ports, chosen by the OS (all sockets held open
# until every port is picked, so the N ports differ).
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# --------------------------------------------------------------------------
# Process bookkeeping and cleanup
# --------------------------------------------------------------------------
TMP=""
STARTED_PIDS=() # every server we launched (nginx masters, gateways)
POLICY_GUARD="" # set while we hold a temporary /usr/sbin/policy-rc.d

# pid plus all its descendants (nginx master -> workers).
proc_tree() {
  local root=$1
  ps -e -o pid=,ppid= | awk -v root="$root" '
    { parent[$1] = $2; pids[NR] = $1 }
    END {
      want[root] = 1; print root
      changed = 1
      while (changed) {
        changed = 0
        for (i in pids) { p = pids[i]
          if (!(p in want) && (parent[p] in want)) { want[p] = 1; print p; changed = 1 } }
      }
    }'
}

# Alive and not a zombie?
alive() {
  local st
  st=$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $st && $st != Z && $st != X ]]
}

# Stop one server we started: SIGTERM, up to 5 s grace, then SIGKILL the tree.
stop_pid() {
  local pid=$1 tree i
  [[ -n $pid ]] || return 0
  tree=$(proc_tree "$pid" 2>/dev/null || echo "$pid")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    alive "$pid" || break
    sleep 0.1
  done
  for i in $tree; do
    if alive "$i"; then kill -KILL "$i" 2>/dev/null || true; fi
  done
  wait "$pid" 2>/dev/null || true
  local kept=()
  for i in "${STARTED_PIDS[@]}"; do [[ $i == "$pid" ]] || kept+=("$i"); done
  STARTED_PIDS=("${kept[@]}")
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local pid
  for pid in "${STARTED_PIDS[@]}"; do stop_pid "$pid"; done
  if [[ -n $POLICY_GUARD ]]; then rm -f /usr/sbin/policy-rc.d; fi
  if [[ -n $TMP && -d $TMP ]]; then rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# Launch a server in the background, in its own session so a terminal Ctrl-C
# reaches only this script (whose trap then stops it in order). --pdeathsig
# makes it get SIGTERM even if this script is SIGKILLed (nginx's master then
# takes its workers down). setsid does not fork here (a background child of a
# non-interactive shell is no group leader), so $! is the server's own pid.
# Usage: launch LOGFILE cmd args...   -> sets LAUNCHED_PID
launch() {
  local logf=$1; shift
  setsid setpriv --pdeathsig TERM -- "$@" >"$logf" 2>&1 </dev/null &
  LAUNCHED_PID=$!
  STARTED_PIDS+=("$LAUNCHED_PID")
}

# Total CPU ticks (utime+stime) of a process tree; threads are included in a
# process's own counters, reaped children are not (nginx never reaps workers
# during a run).
cpu_ticks() {
  local sum=0 p rest
  local -a fields
  for p in $(proc_tree "$1"); do
    rest=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    rest=${rest##*) } # drop "pid (comm) "; comm may hold spaces
    read -r -a fields <<<"$rest"
    sum=$((sum + fields[11] + fields[12])) # stat fields 14 (utime) and 15 (stime)
  done
  echo "$sum"
}

# --------------------------------------------------------------------------
# Tools
# --------------------------------------------------------------------------
ensure_tools() {
  local need=()
  command -v wrk >/dev/null || need+=(wrk)
  command -v nginx >/dev/null || need+=(nginx-light)
  command -v curl >/dev/null || need+=(curl)
  command -v setpriv >/dev/null || need+=(util-linux)
  command -v python3 >/dev/null || die "python3 is required"
  ((${#need[@]})) || return 0

  [[ $EUID -eq 0 ]] || die "missing ${need[*]}: install them, or run as root so this script can apt-get them"
  log "installing ${need[*]} (apt-get)"
  # Keep the distro nginx service from starting on :80 during install.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    POLICY_GUARD=1
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || log "apt-get update failed; trying the install anyway"
  if ! apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1; then
    # Newer Debian has no nginx-light: fall back to plain nginx.
    need=("${need[@]/nginx-light/nginx}")
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null ||
      die "apt-get install ${need[*]} failed"
  fi
  if [[ -n $POLICY_GUARD ]]; then rm -f /usr/sbin/policy-rc.d; POLICY_GUARD=""; fi
  if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
    die "wrk/nginx still missing after install"
  fi
}

# --------------------------------------------------------------------------
# Canned payloads
# --------------------------------------------------------------------------
# Request body (~500 B) for MODEL and STREAM (true|false).
request_body() {
  local model=$1 stream=$2 extra='"stream":false'
  [[ $stream == true ]] && extra='"stream":true,"stream_options":{"include_usage":true}'
  printf '{"model":"%s","messages":[{"role":"system","content":"You are a concise assistant for a platform engineering team. Answer in plain prose, at most three sentences, and never invent configuration keys."},{"role":"user","content":"Our API gateway keeps a pool of keep-alive connections to each upstream. What is a sensible idle timeout for those connections, and how should we size the pool for about two thousand requests per second?"}],"temperature":0.2,"top_p":1,"max_tokens":256,"user":"bench-user-0001",%s}' \
    "$model" "$extra"
}

# The same question as an Anthropic Messages request (the translated rows: a Claude client
# in front of the OpenAI-compatible mock).
claude_body() {
  local model=$1 stream=$2
  printf '{"model":"%s","max_tokens":256,"system":"You are a concise assistant for a platform engineering team. Answer in plain prose, at most three sentences, and never invent configuration keys.","messages":[{"role":"user","content":"Our API gateway keeps a pool of keep-alive connections to each upstream. What is a sensible idle timeout for those connections, and how should we size the pool for about two thousand requests per second?"}],"temperature":0.2,"stream":%s}' \
    "$model" "$stream"
}

ANSWER="A sensible idle timeout is 60 to 90 seconds, just below the upstream keep-alive timeout so the gateway closes first. Size the pool from concurrency: two thousand requests per second at 150 ms each is about 300 in flight, so 320 to 400 warm connections."

# Non-streaming chat.completion (~400 B).
json_answer() {
  printf '{"id":"chatcmpl-bench0001","object":"chat.completion","created":1700000000,"model":"upstream-model","system_fingerprint":"fp_bench","choices":[{"index":0,"message":{"role":"assistant","content":"%s"},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":84,"completion_tokens":24,"total_tokens":108}}' \
    "${ANSWER%%. Size*}."
}

# Streamed answer: SSE_CHUNKS frames (~230 B each): role, content pieces, a
# finish_reason frame, a usage frame; then data: [DONE]. One frame per line.
sse_frames() {
  local head='{"id":"chatcmpl-bench0001","object":"chat.completion.chunk","created":1700000000,"model":"upstream-model","system_fingerprint":"fp_bench",'
  local text="$ANSWER $ANSWER" i piece n_content=$((SSE_CHUNKS - 3))
  printf 'data: %s"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}\n' "$head"
  for ((i = 0; i < n_content; i++)); do
    piece=${text:i*9:9}
    printf 'data: %s"choices":[{"index":0,"delta":{"content":"%s"},"logprobs":null,"finish_reason":null}]}\n' "$head" "$piece"
  done
  printf 'data: %s"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}\n' "$head"
  printf 'data: %s"choices":[],"usage":{"prompt_tokens":84,"completion_tokens":%d,"total_tokens":%d}}\n' "$head" "$n_content" $((84 + n_content))
  printf 'data: [DONE]\n'
}

# The same answers in Anthropic Messages shape (the reverse rows' upstream).
claude_json_answer() {
  printf '{"id":"msg_bench0001","type":"message","role":"assistant","model":"upstream-model","content":[{"type":"text","text":"%s"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":84,"output_tokens":24}}' \
    "${ANSWER%%. Size*}."
}

# Streamed Messages answer, one "EVENT DATA" pair per line: message_start,
# content_block_start, SSE_CHUNKS-3 text deltas (the same pieces as
# sse_frames), content_block_stop, message_delta with the usage, message_stop.
claude_sse_frames() {
  local text="$ANSWER $ANSWER" i n_content=$((SSE_CHUNKS - 3))
  printf 'message_start {"type":"message_start","message":{"id":"msg_bench0001","type":"message","role":"assistant","model":"upstream-model","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":84,"output_tokens":1}}}\n'
  printf 'content_block_start {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n'
  for ((i = 0; i < n_content; i++)); do
    printf 'content_block_delta {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"%s"}}\n' "${text:i*9:9}"
  done
  printf 'content_block_stop {"type":"content_block_stop","index":0}\n'
  printf 'message_delta {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":%d}}\n' "$n_content"
  printf 'message_stop {"type":"message_stop"}\n'
}

# --------------------------------------------------------------------------
# nginx configs (mock upstream and reference proxy)
# --------------------------------------------------------------------------
NOFILE=$(ulimit -Hn)
[[ $NOFILE == unlimited ]] && NOFILE=1048576
ulimit -n "$NOFILE" 2>/dev/null || true # raise our soft limit to the hard one (not a sysctl)
NOFILE=$(ulimit -n)
WORKER_CONNS=$((CONNS * 4 + 1024))
((WORKER_CONNS > NOFILE - 64)) && WORKER_CONNS=$((NOFILE - 64))
PROXY_KEEPALIVE=$((CONNS > 64 ? CONNS : 64))

# Temp-path directives for the http modules this nginx was built with, so an
# unprivileged run never touches /var/lib/nginx.
nginx_temp_paths() {
  local name=$1 v mod
  v=$(nginx -V 2>&1)
  echo "    client_body_temp_path $TMP/$name-tmp/body;"
  for mod in proxy fastcgi uwsgi scgi; do
    [[ $v == *"--without-http_${mod}_module"* ]] || echo "    ${mod}_temp_path $TMP/$name-tmp/$mod;"
  done
}

# Shared head of both nginx configs. $1 = name (for pid/log/temp files).
nginx_head() {
  local name=$1
  mkdir -p "$TMP/$name-tmp"
  [[ $EUID -eq 0 ]] && echo "user root;" # workers must read/write $TMP (mode 0700)
  cat <<EOF
worker_processes 1;
daemon off;
master_process on;
pid $TMP/$name.pid;
error_log $TMP/$name.error.log warn;
worker_rlimit_nofile $NOFILE;
events { worker_connections $WORKER_CONNS; }
http {
    access_log off;
    server_tokens off;
    tcp_nodelay on;
    keepalive_timeout 75s;
    keepalive_requests 1000000;
    client_body_buffer_size 64k;
$(nginx_temp_paths "$name")
EOF
}

# Escape one line for a single-quoted nginx string (the body has no $ or ').
nginx_quote() { local s=${1//\\/\\\\}; printf '%s' "${s//\'/\\\'}"; }

# nginx `set` lines holding an SSE body, and the `$var...` list that glues it
# back together for `return`: a config token may not exceed 4 KiB, so the
# ~12 KiB body is split over variables of 10 frames. $1 = variable prefix;
# stdin = one frame per line, in nginx string syntax (`\n` for line breaks).
# Sets SSE_SETS and SSE_REFS.
sse_vars() {
  local prefix=$1 frames=() line i
  SSE_SETS="" SSE_REFS=""
  while IFS= read -r line; do frames+=("$line"); done
  for ((i = 0; i < ${#frames[@]}; i++)); do
    if ((i % 10 == 0)); then
      ((i)) && SSE_SETS+="';"$'\n'
      SSE_SETS+="            set \$$prefix$((i / 10)) '"
      SSE_REFS+="\$$prefix$((i / 10))"
    fi
    SSE_SETS+="${frames[i]}\\n\\n"
  done
  SSE_SETS+="';"
}

write_mock_conf() {
  local port=$1 conf=$TMP/mock.conf line name data sets refs cl_sets cl_refs
  sse_vars sse < <(sse_frames | while IFS= read -r line; do nginx_quote "$line"; echo; done)
  sets=$SSE_SETS refs=$SSE_REFS
  sse_vars clsse < <(claude_sse_frames | while read -r name data; do
    printf 'event: %s\\n' "$name"; nginx_quote "data: $data"; echo
  done)
  cl_sets=$SSE_SETS cl_refs=$SSE_REFS
  {
    nginx_head mock
    cat <<EOF
    server {
        listen 127.0.0.1:$port backlog=4096;
        location = /json/v1/chat/completions {
            default_type application/json;
            return 200 '$(nginx_quote "$(json_answer)")';
        }
        location = /sse/v1/chat/completions {
            default_type text/event-stream;
            add_header Cache-Control no-cache;
$sets
            return 200 "$refs";
        }
        location = /cljson/v1/messages {
            default_type application/json;
            return 200 '$(nginx_quote "$(claude_json_answer)")';
        }
        location = /clsse/v1/messages {
            default_type text/event-stream;
            add_header Cache-Control no-cache;
$cl_sets
            return 200 "$cl_refs";
        }
        location / { return 404; }
    }
}
EOF
  } >"$conf"
}

write_proxy_conf() {
  local port=$1 mock=$2 conf=$TMP/nginx.conf
  {
    nginx_head nginx
    cat <<EOF
    upstream mock {
        server 127.0.0.1:$mock;
        keepalive $PROXY_KEEPALIVE;
        keepalive_requests 1000000;
        keepalive_timeout 75s;
    }
    server {
        listen 127.0.0.1:$port backlog=4096;
        location / {
            proxy_pass http://mock;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
        }
    }
}
EOF
  } >"$conf"
}

write_cliproxy_conf() {
  local port=$1 mock=$2 conf=$3
  cat >"$conf" <<EOF
port: $port
host: 127.0.0.1
workers: 1
debug: false
api-keys: [bench-key]
openai-compatibility:
  - name: bench-json
    base-url: http://127.0.0.1:$mock/json/v1
    api-key-entries: [{api-key: upstream-key}]
    models: [{name: upstream-model, alias: bench-json}]
  - name: bench-sse
    base-url: http://127.0.0.1:$mock/sse/v1
    api-key-entries: [{api-key: upstream-key}]
    models: [{name: upstream-model, alias: bench-sse}]
claude-api-key:
  - api-key: upstream-key
    base-url: http://127.0.0.1:$mock/cljson
    models: [{name: upstream-model, alias: bench-cl-json}]
  - api-key: upstream-key
    base-url: http://127.0.0.1:$mock/clsse
    models: [{name: upstream-model, alias: bench-cl-sse}]
EOF
  if [[ -n ${CLIPROXY_EXTRA_CONFIG:-} ]]; then
    printf '%s\n' "$CLIPROXY_EXTRA_CONFIG" >>"$conf"
  fi
}

# --------------------------------------------------------------------------
# Server start-up
# --------------------------------------------------------------------------
# Wait until `curl ARGS...` yields HTTP 200, while PID stays alive.
wait_http_200() {
  local pid=$1 secs=$2 i code; shift 2
  for ((i = 0; i < secs * 10; i++)); do
    alive "$pid" || return 1
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$@" 2>/dev/null) || true
    [[ $code == 200 ]] && return 0
    sleep 0.1
  done
  return 1
}

# Start nginx with config $1 (name); sets SERVER_PID. Returns 1 on failure.
start_nginx() {
  local name=$1 port=$2 probe=$3
  nginx -t -q -e "$TMP/$name.error.log" -p "$TMP" -c "$TMP/$name.conf" >"$TMP/$name.test.log" 2>&1 || {
    log "$name: nginx config test failed:"; cat "$TMP/$name.test.log" >&2; return 1; }
  launch "$TMP/$name.out" nginx -e "$TMP/$name.error.log" -p "$TMP" -c "$TMP/$name.conf"
  SERVER_PID=$LAUNCHED_PID
  if ! wait_http_200 "$SERVER_PID" 10 -X POST -d '{}' "http://127.0.0.1:$port$probe"; then
    log "$name: nginx did not come up on 127.0.0.1:$port"
    cat "$TMP/$name.out" "$TMP/$name.error.log" >&2 2>/dev/null || true
    return 1
  fi
}

# Start a cliproxy binary; sets SERVER_PID. Returns 1 (with a reason) on failure.
start_cliproxy() {
  local name=$1 bin=$2 port=$3 conf=$TMP/$1.yaml
  write_cliproxy_conf "$port" "$MOCK_PORT" "$conf"
  launch "$TMP/$name.log" "$bin" --config "$conf"
  SERVER_PID=$LAUNCHED_PID
  if ! wait_http_200 "$SERVER_PID" "$HEALTH_TIMEOUT" "http://127.0.0.1:$port/healthz"; then
    if alive "$SERVER_PID"; then
      START_ERR="GET /healthz did not answer 200 within ${HEALTH_TIMEOUT}s"
    else
      START_ERR="$bin exited before /healthz answered"
    fi
    log "$name: $START_ERR; last log lines:"
    tail -n 20 "$TMP/$name.log" >&2 || true
    stop_pid "$SERVER_PID"
    return 1
  fi
}

# Resolve (and if needed build) the gateway binary for a cliproxy row.
# Sets RESOLVED_BIN, or returns 1 with START_ERR set.
resolve_bin() {
  local target=$1 bin
  RESOLVED_BIN=""
  if [[ $target == cliproxy-tokio ]]; then
    bin=${CLIPROXY_TOKIO_BIN:-}
    [[ -n $bin ]] || { START_ERR="CLIPROXY_TOKIO_BIN is not set"; return 1; }
  elif [[ -n ${CLIPROXY_BIN:-} ]]; then
    bin=$CLIPROXY_BIN
  else
    bin=${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release/cliproxy
    if [[ ! -x $bin ]]; then
      log "cliproxy: $bin missing; running cargo build --release"
      cargo build --release >&2 || { START_ERR="cargo build --release failed"; return 1; }
    fi
  fi
  [[ -x $bin ]] || { START_ERR="$bin is missing or not executable"; return 1; }
  RESOLVED_BIN=$bin
}

# --------------------------------------------------------------------------
# Checks and measurement
# --------------------------------------------------------------------------
declare -A R_RPS R_P50 R_P99 R_CPU R_PCT R_ERR
ROW_ORDER=()   # "target:mode" keys that ran (or tried to)
SKIPPED=()     # "target: reason"
FAILED=0

# One request with curl; checks status and shape. $1 target, $2 mode, $3 url,
# $4 body file, $5 strict (1 = must be exactly the mock's answer).
smoke_check() {
  local target=$1 mode=$2 url=$3 body=$4 strict=$5 f=$TMP/smoke-$1-$2 meta code ctype n last
  meta=$(curl -sS --max-time 10 -o "$f" -w '%{http_code} %{content_type}' \
    -H 'Content-Type: application/json' -H 'Authorization: Bearer bench-key' \
    -H "Accept: $([[ $mode == sse ]] && echo text/event-stream || echo application/json)" \
    --data-binary "@$body" "$url" 2>&1) || { echo "curl failed: $meta"; return 1; }
  code=${meta%% *}; ctype=${meta#* }
  [[ $code == 2* ]] || { echo "HTTP $code: $(head -c 300 "$f")"; return 1; }
  if [[ ${SMOKE_SHAPE:-openai} == claude ]]; then
    if [[ $mode == json ]]; then
      grep -q '"type": *"message"' "$f" || { echo "not a Messages response: $(head -c 300 "$f")"; return 1; }
    else
      n=$(tr -d '\r' <"$f" | grep -c '^event: content_block_delta' || true)
      tr -d '\r' <"$f" | grep -q '^event: message_stop' || { echo "stream has no message_stop"; return 1; }
      log "$target/$mode: smoke ok ($n text deltas, $(wc -c <"$f") B)"
      return 0
    fi
    log "$target/$mode: smoke ok ($(wc -c <"$f") B)"
    return 0
  fi
  if [[ $mode == json ]]; then
    [[ $ctype == application/json* ]] || { echo "content-type '$ctype', want application/json"; return 1; }
    grep -q '"object": *"chat.completion"' "$f" || { echo "not a chat.completion: $(head -c 300 "$f")"; return 1; }
  else
    [[ $ctype == text/event-stream* ]] || { echo "content-type '$ctype', want text/event-stream"; return 1; }
    n=$(tr -d '\r' <"$f" | grep -c '^data: {' || true)
    last=$(tr -d '\r' <"$f" | grep '^data: ' | tail -n 1)
    [[ $last == 'data: [DONE]' ]] || { echo "stream does not end with data: [DONE] (last: ${last:0:80})"; return 1; }
    if [[ $n != "$SSE_CHUNKS" ]]; then
      if [[ $strict == 1 ]]; then echo "$n chunks, want $SSE_CHUNKS"; return 1; fi
      log "$target/$mode: note: $n chunks relayed, the mock sends $SSE_CHUNKS"
    fi
    log "$target/$mode: smoke ok ($n chunks + [DONE], $(wc -c <"$f") B)"
    return 0
  fi
  log "$target/$mode: smoke ok ($(wc -c <"$f") B)"
}

# Run wrk, bounded by `timeout` (SIGINT first: wrk then still prints its
# summary). It runs in the background and we `wait` for it: unlike a
# foreground command, `wait` returns at once when a trapped signal (Ctrl-C)
# arrives, so the INT trap runs even though wrk itself handles SIGINT and
# exits 0. timeout puts wrk in its own process group, out of Ctrl-C's reach;
# cleanup stops it through STARTED_PIDS (and --pdeathsig if we are SIGKILLed;
# timeout passes the TERM on to wrk).
# $1 duration, $2 url, $3 body file, $4 stream, $5 output file.
run_wrk() {
  local dur=$1 url=$2 body=$3 stream=$4 out=$5 bound pid rc=0
  bound=$(($(dur_secs "$dur") + 30))
  BENCH_BODY=$body BENCH_STREAM=$stream BENCH_KEY=bench-key \
    setpriv --pdeathsig TERM -- timeout --signal=INT --kill-after=5 "$bound" \
    wrk -t1 -c"$CONNS" -d"$dur" --latency -s "$LUA" "$url" >"$out" 2>&1 </dev/null &
  pid=$!
  STARTED_PIDS+=("$pid")
  wait "$pid" || rc=$?
  local kept=() p
  for p in "${STARTED_PIDS[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
  STARTED_PIDS=("${kept[@]}")
  return "$rc"
}

# wrk latency ("812.00us", "1.23ms", "2.00s", "1.00m") -> milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    if (v == "") print "-"; else printf "%.3f", n }'
}

# Parse a wrk output file into WRK_* variables.
parse_wrk() {
  local f=$1
  WRK_RPS=$(awk '/^Requests\/sec:/ { print $2 }' "$f")
  WRK_REQS=$(awk '/requests in/ { print $1 }' "$f")
  WRK_SECS=$(awk '/requests in/ { sub(/,$/, "", $4); v = $4 + 0
    if ($4 ~ /ms$/) v /= 1000; else if ($4 ~ /m$/) v *= 60; print v }' "$f")
  WRK_P50=$(awk '$1 == "50%" { print $2 }' "$f")
  WRK_P99=$(awk '$1 == "99%" { print $2 }' "$f")
  WRK_NON2XX=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$f")
  WRK_SOCK=$(awk -F'Socket errors: ' 'NF > 1 { print $2 }' "$f")
  WRK_NON2XX=${WRK_NON2XX:-0}
}

# Measure one target in one mode.
measure() {
  local target=$1 mode=$2 url=$3 body=$4 strict=$5 pid=$6 stream=false
  local out=$OUT_DIR/wrk-$target-$mode.txt errs=() why c0 c1 ticks k=$1:$2
  [[ $mode == sse ]] && stream=true
  ROW_ORDER+=("$k")
  R_RPS[$k]=-; R_P50[$k]=-; R_P99[$k]=-
  R_CPU[$k]=-; R_PCT[$k]=-;

  if ! why=$(smoke_check "$target" "$mode" "$url" "$body" "$strict"); then
    log "$target/$mode: SMOKE CHECK FAILED: $why"
    R_ERR[$k]="smoke: ${why:0:60}"; FAILED=1
    return 0
  fi

  log "$target/$mode: warm-up $WARMUP"
  run_wrk "$WARMUP" "$url" "$body" "$stream" "$OUT_DIR/wrk-$target-$mode.warmup.txt" || true

  log "$target/$mode: measuring $DURATION, $CONNS connections"
  c0=$(cpu_ticks "$pid")
  run_wrk "$DURATION" "$url" "$body" "$stream" "$out" || errs+=("wrk exit $?")
  c1=$(cpu_ticks "$pid")
  alive "$pid" || errs+=("server died")

  parse_wrk "$out"
  ticks=$((c1 - c0))
  if ((ticks < 0)); then
    errs+=("server CPU counters went backwards (process restarted?)")
  elif [[ -n $WRK_REQS && $WRK_REQS -gt 0 ]]; then
    R_RPS[$k]=$(printf '%.0f' "${WRK_RPS:-0}")
    R_P50[$k]=$(to_ms "$WRK_P50")
    R_P99[$k]=$(to_ms "$WRK_P99")
    R_CPU[$k]=$(awk -v t="$ticks" -v hz="$CLK_TCK" -v n="$WRK_REQS" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')
    R_PCT[$k]=$(awk -v t="$ticks" -v hz="$CLK_TCK" -v d="${WRK_SECS:-1}" 'BEGIN { printf "%.0f", t * 100 / hz / d }')
  else
    errs+=("no requests completed")
  fi
  [[ $WRK_NON2XX != 0 ]] && errs+=("non-2xx: $WRK_NON2XX")
  [[ -n $WRK_SOCK ]] && errs+=("socket errors: $WRK_SOCK")

  if ((${#errs[@]})); then
    FAILED=1
    R_ERR[$k]=$(printf '%s; ' "${errs[@]}"); R_ERR[$k]=${R_ERR[$k]%; }
    log "$target/$mode: ERRORS: ${R_ERR[$k]}; wrk said ($out):"
    sed 's/^/    | /' "$out" >&2
  else
    R_ERR[$k]=0
  fi
  log "$target/$mode: ${R_RPS[$k]} req/s, p50 ${R_P50[$k]} ms, p99 ${R_P99[$k]} ms, ${R_CPU[$k]} CPU-µs/req"
}

# Smoke-check and measure both modes of one target, whose server is PID.
measure_target() {
  local target=$1 pid=$2 base=$3 kind=$4 mode
  for mode in "${MODES[@]}"; do
    case $kind in
      mock) measure "$target" "$mode" "$base/$mode/v1/chat/completions" "$TMP/body-upstream-$mode.json" 1 "$pid" ;;
      gateway) measure "$target" "$mode" "$base/v1/chat/completions" "$TMP/body-bench-$mode.json" 0 "$pid" ;;
    esac
  done
  if [[ $kind == gateway && $target == cliproxy && ${EXTRA_ROWS:-1} == 1 ]]; then
    # Translated: Anthropic Messages clients, OpenAI-compatible upstream, same gateway.
    for mode in "${MODES[@]}"; do
      SMOKE_SHAPE=claude measure "$target-claude" "$mode" "$base/v1/messages" "$TMP/body-claude-$mode.json" 0 "$pid"
    done
    # The reverse: OpenAI chat clients, Anthropic Messages upstream; and its
    # yardstick, Messages clients passed through to the same Messages mock.
    for mode in "${MODES[@]}"; do
      measure "$target-rev" "$mode" "$base/v1/chat/completions" "$TMP/body-rev-$mode.json" 0 "$pid"
    done
    for mode in "${MODES[@]}"; do
      SMOKE_SHAPE=claude measure "$target-claude-pt" "$mode" "$base/v1/messages" "$TMP/body-claude-pt-$mode.json" 0 "$pid"
    done
  fi
}

# A target that could not be started: skip (default row) or fail (explicit).
not_started() {
  local target=$1 reason=$2 mode k
  if explicit; then
    log "$target: FAILED: $reason"
    FAILED=1
    for mode in "${MODES[@]}"; do
      k=$target:$mode
      ROW_ORDER+=("$k")
      R_RPS[$k]=-; R_P50[$k]=-; R_P99[$k]=-
      R_CPU[$k]=-; R_PCT[$k]=-; R_ERR[$k]="not started: ${reason:0:60}"
    done
  else
    log "$target: SKIPPED: $reason (name it in ROWS to make this an error)"
    SKIPPED+=("$target: $reason")
  fi
}

# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }

report() {
  local key target mode fmt
  fmt='| %-18s | %-4s | %9s | %9s | %9s | %10s | %7s | %s |\n'
  {
    echo "# cliproxy load run"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M:%SZ'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "- wrk -t1 -c$CONNS -d$DURATION (warm-up $WARMUP), $(nproc) CPUs, kernel $(uname -r)"
    echo "- $(nginx -v 2>&1 | sed 's/^nginx version: //'), $(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }')"
    echo "- load average at start: $LOAD_AT_START (other work on the box skews req/s and latency; CPU-µs/req much less)"
    [[ -n ${CLIPROXY_USED:-} ]] && echo "- cliproxy: $CLIPROXY_USED"
    [[ -n ${CLIPROXY_TOKIO_USED:-} ]] && echo "- cliproxy-tokio: $CLIPROXY_TOKIO_USED"
    [[ -n ${CLIPROXY_EXTRA_CONFIG:-} ]] && echo "- CLIPROXY_EXTRA_CONFIG: \`$(echo "$CLIPROXY_EXTRA_CONFIG" | tr '\n' ' ')\`"
    echo "- CPU-µs/req = server utime+stime over the measured run / requests; CPU % = of one core"
    echo
    # shellcheck disable=SC2059
    printf "$fmt" target mode req/s 'p50 ms' 'p99 ms' CPU-µs/req 'CPU %' non-2xx/errors
    # shellcheck disable=SC2059
    printf "$fmt" ------------------ ---- --------- --------- --------- ---------- ------- --------------
    for key in "${ROW_ORDER[@]}"; do
      target=${key%:*}; mode=${key#*:}
      # shellcheck disable=SC2059
      printf "$fmt" "$target" "$mode" "${R_RPS[$key]}" "${R_P50[$key]}" "${R_P99[$key]}" \
        "${R_CPU[$key]}" "${R_PCT[$key]}" "${R_ERR[$key]}"
    done
    local gw printed=0
    for gw in cliproxy cliproxy-tokio; do
      for mode in "${MODES[@]}"; do
        [[ -n ${R_RPS[$gw:$mode]:-} && -n ${R_RPS[nginx:$mode]:-} ]] || continue
        if ((!printed)); then echo; echo "Ratios vs nginx (req/s: higher is better; CPU-µs/req: lower is better):"; echo; printed=1; fi
        echo "- $gw/nginx $mode: req/s x$(ratio "${R_RPS[$gw:$mode]}" "${R_RPS[nginx:$mode]}"), CPU-µs/req x$(ratio "${R_CPU[$gw:$mode]}" "${R_CPU[nginx:$mode]}")"
      done
    done
    for mode in "${MODES[@]}"; do
      [[ -n ${R_CPU[cliproxy-claude:$mode]:-} && -n ${R_CPU[cliproxy:$mode]:-} ]] || continue
      echo "- translated (Claude client -> OpenAI upstream) vs passthrough, $mode: CPU-µs/req x$(ratio "${R_CPU[cliproxy-claude:$mode]}" "${R_CPU[cliproxy:$mode]}"), req/s x$(ratio "${R_RPS[cliproxy-claude:$mode]}" "${R_RPS[cliproxy:$mode]}")"
    done
    for mode in "${MODES[@]}"; do
      [[ -n ${R_CPU[cliproxy-rev:$mode]:-} && -n ${R_CPU[cliproxy-claude-pt:$mode]:-} ]] || continue
      echo "- reverse (OpenAI client -> Claude upstream) vs Claude passthrough, $mode: CPU-µs/req x$(ratio "${R_CPU[cliproxy-rev:$mode]}" "${R_CPU[cliproxy-claude-pt:$mode]}"), req/s x$(ratio "${R_RPS[cliproxy-rev:$mode]}" "${R_RPS[cliproxy-claude-pt:$mode]}")"
    done
    if ((${#SKIPPED[@]})); then
      echo; echo "Skipped:"; echo
      for key in "${SKIPPED[@]}"; do echo "- $key"; done
    fi
  } | tee "$OUT_DIR/last-run.md"
}

# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------
main() {
  local target
  for target in "${TARGETS[@]}"; do
    case $target in
      direct | nginx | cliproxy | cliproxy-tokio) ;;
      *) die "unknown row '$target' in ROWS (known: direct,nginx,cliproxy,cliproxy-tokio)" ;;
    esac
  done

  ensure_tools
  LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
  if awk -v l="${LOAD_AT_START%% *}" 'BEGIN { exit !(l >= 1) }'; then
    log "note: load average is $LOAD_AT_START; the box is busy, trust ratios and CPU-µs/req over req/s"
  fi
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/cliproxy-load.XXXXXX")
  mkdir -p "$OUT_DIR"
  rm -f "$OUT_DIR"/wrk-*.txt "$OUT_DIR/last-run.md"

  # Resolve (and build) gateway binaries before any load, so a build never
  # competes with a measurement.
  declare -gA BIN_OF=() BIN_ERR=()
  for target in "${TARGETS[@]}"; do
    [[ $target == cliproxy* ]] || continue
    START_ERR=""
    if resolve_bin "$target"; then BIN_OF[$target]=$RESOLVED_BIN; else BIN_ERR[$target]=$START_ERR; fi
  done

  local ports
  read -r -a ports <<<"$(free_ports 4)"
  MOCK_PORT=${ports[0]}
  local nginx_port=${ports[1]} cp_port=${ports[2]} cpt_port=${ports[3]}

  request_body upstream-model false >"$TMP/body-upstream-json.json"
  request_body upstream-model true >"$TMP/body-upstream-sse.json"
  request_body bench-json false >"$TMP/body-bench-json.json"
  request_body bench-sse true >"$TMP/body-bench-sse.json"
  claude_body bench-json false >"$TMP/body-claude-json.json"
  claude_body bench-sse true >"$TMP/body-claude-sse.json"
  request_body bench-cl-json false >"$TMP/body-rev-json.json"
  request_body bench-cl-sse true >"$TMP/body-rev-sse.json"
  claude_body bench-cl-json false >"$TMP/body-claude-pt-json.json"
  claude_body bench-cl-sse true >"$TMP/body-claude-pt-sse.json"

  write_mock_conf "$MOCK_PORT"
  start_nginx mock "$MOCK_PORT" /json/v1/chat/completions || die "mock upstream failed to start"
  local mock_pid=$SERVER_PID
  log "mock upstream (nginx) on 127.0.0.1:$MOCK_PORT, pid $mock_pid"

  for target in "${TARGETS[@]}"; do
    case $target in
      direct)
        measure_target direct "$mock_pid" "http://127.0.0.1:$MOCK_PORT" mock
        ;;
      nginx)
        write_proxy_conf "$nginx_port" "$MOCK_PORT"
        if start_nginx nginx "$nginx_port" /json/v1/chat/completions; then
          log "nginx proxy on 127.0.0.1:$nginx_port, pid $SERVER_PID"
          measure_target nginx "$SERVER_PID" "http://127.0.0.1:$nginx_port" mock
          stop_pid "$SERVER_PID"
        else
          not_started nginx "nginx reverse proxy did not start"
        fi
        ;;
      cliproxy | cliproxy-tokio)
        if [[ -z ${BIN_OF[$target]:-} ]]; then
          not_started "$target" "${BIN_ERR[$target]}"
          continue
        fi
        local port=$cp_port
        [[ $target == cliproxy-tokio ]] && port=$cpt_port
        if [[ $target == cliproxy ]]; then CLIPROXY_USED=${BIN_OF[$target]}; else CLIPROXY_TOKIO_USED=${BIN_OF[$target]}; fi
        START_ERR=""
        if start_cliproxy "$target" "${BIN_OF[$target]}" "$port"; then
          log "$target on 127.0.0.1:$port, pid $SERVER_PID"
          measure_target "$target" "$SERVER_PID" "http://127.0.0.1:$port" gateway
          if [[ $FAILED == 1 && -s $TMP/$target.log ]]; then
            log "$target: last log lines:"; tail -n 20 "$TMP/$target.log" >&2
          fi
          stop_pid "$SERVER_PID"
        else
          not_started "$target" "$START_ERR"
        fi
        ;;
    esac
  done

  echo >&2
  report
  if [[ $FAILED == 1 ]]; then
    log "FAILED: some target returned non-2xx responses, socket errors or did not start (see table; raw wrk output in $OUT_DIR)"
    exit 1
  fi
}

main "$@"
