#!/usr/bin/env bash
# Start a local ctfy 0.7.0 platform plus the ctfy-rs stand-in node on loopback, bootstrap
# accounts, tokens and a running competition, and write .state/current/ctfy.env.
#
#   scripts/platform-up.sh [--fresh] [--quiet]
#
# Reuses the harness .state/current points to when it is still healthy (unless --fresh).
# Ports: free loopback ports unless HARNESS_PLATFORM_PORT / HARNESS_NODE_PORT are set;
# per-instance services use HARNESS_SERVICE_PORTS (START-END) or OS-assigned ports.
# HARNESS_START_DELAY_MS sets the node's start delay (default 1000); HARNESS_NODE_CAPACITY its
# capacity (default 200: the live tests start many instances at once).
# The database starts as a copy of .state/template-ctfy-<version>.sqlite3: a database the
# platform migrated on its first boot and nobody used (saves the ~9 s Alembic run);
# HARNESS_NO_DB_TEMPLATE=1 migrates from scratch every time.
# Prints the env file on stdout; progress goes to stderr. Stop with scripts/platform-down.sh.
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_ROOT="$ROOT/.state"
VENV="$ROOT/.venv"
FRESH=0
QUIET=0
for arg in "$@"; do
  case "$arg" in
    --fresh) FRESH=1 ;;
    --quiet) QUIET=1 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "platform-up: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

T0=$(date +%s.%N)
log() { printf '[platform-up %6.1fs] %s\n' "$(echo "$(date +%s.%N) - $T0" | bc 2>/dev/null || echo 0)" "$*" >&2; }
if ! command -v bc >/dev/null 2>&1; then
  log() { printf '[platform-up +%ss] %s\n' "$(( $(date +%s) - ${T0%.*} ))" "$*" >&2; }
fi
PY="$(command -v python3 || true)"
[[ -n "$PY" ]] || { echo "platform-up: python3 not found on PATH" >&2; exit 1; }

# GET a URL; exit status 0 on HTTP 2xx. Stdlib only (curl may be missing).
http_ok() {
  "$PY" - "$1" <<'PYEOF' >/dev/null 2>&1
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=3) as r:
        sys.exit(0 if 200 <= r.status < 300 else 1)
except Exception:
    sys.exit(1)
PYEOF
}

# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

# ---------------------------------------------------------------- reuse or tear down
if [[ -L "$STATE_ROOT/current" || -d "$STATE_ROOT/current" ]]; then
  CUR="$(cd "$STATE_ROOT/current" 2>/dev/null && pwd -P)" || CUR=""
  if [[ "$FRESH" == 0 && -n "$CUR" && -f "$CUR/ctfy.env" ]]; then
    # shellcheck disable=SC1091
    if harness_alive "$CUR/platform.pid" ctfy-admin && harness_alive "$CUR/node.pid" ctfy-standin-node &&
       ( set -a; . "$CUR/ctfy.env"; set +a
         http_ok "$CTFY_URL/api/v1/health" && http_ok "$NODE_URL/api/v1/health" ); then
      log "reusing the running harness in $CUR"
      [[ "$QUIET" == 1 ]] || cat "$CUR/ctfy.env"
      exit 0
    fi
    log "the recorded harness in $CUR is not healthy; stopping it"
  fi
  if [[ -n "$CUR" ]]; then "$ROOT/scripts/platform-down.sh" --quiet "$CUR" || true; fi
fi

# ---------------------------------------------------------------- state dir
mkdir -p "$STATE_ROOT"
# Keep the 10 newest run dirs (logs of older runs are pruned).
# (find, not a glob: on a fresh clone there is no run dir yet, and a failing `ls` in a
# pipeline would end the script under `set -o pipefail`.)
mapfile -t OLD_RUNS < <(find "$STATE_ROOT" -mindepth 1 -maxdepth 1 -type d -name 'run-*' | sort | head -n -10)
for old in "${OLD_RUNS[@]}"; do
  if [[ -f "$old/platform.pid" ]]; then "$ROOT/scripts/platform-down.sh" --quiet "$old" || true; fi
  rm -rf -- "$old"
done
STATE="$STATE_ROOT/run-$(date +%Y%m%d-%H%M%S)-$$"
mkdir -p "$STATE"/{project,instances,archive,home,node}
ln -sfn "$(basename "$STATE")" "$STATE_ROOT/current"
PLATFORM_LOG="$STATE/platform.log"
NODE_LOG="$STATE/node.log"
STEP="init"
PLATFORM_PID=""
NODE_PID=""

# Any way out before the env file is written stops everything this script started: an error
# (ERR), an exit the ERR trap does not see (set -u, exit), SIGINT, SIGTERM, SIGHUP.
fail() {
  local rc=$?
  # A failing command inside $(...) or ( ) runs this trap in that subshell first: leave the
  # clean-up to the main shell, which sees the subshell fail.
  [[ "$BASHPID" == "$$" ]] || exit $(( rc == 0 ? 1 : rc ))
  trap - ERR EXIT INT TERM HUP
  trap '' INT TERM HUP
  echo "platform-up: FAILED at step: $STEP${1:+ ($1)}" >&2
  for f in "$PLATFORM_LOG" "$NODE_LOG"; do
    if [[ -f "$f" ]]; then
      echo "----- last 25 lines of $f -----" >&2
      tail -n 25 "$f" >&2
    fi
  done
  echo "-----" >&2
  # A pid known but not yet in its file (harness_spawn writes it at once; this is belt and
  # braces): record it now. Both are children of this shell, so the record is exact.
  [[ -z "$PLATFORM_PID" || -s "$STATE/platform.pid" ]] || harness_record "$PLATFORM_PID" "$STATE/platform.pid"
  [[ -z "$NODE_PID" || -s "$STATE/node.pid" ]] || harness_record "$NODE_PID" "$STATE/node.pid"
  "$ROOT/scripts/platform-down.sh" --quiet "$STATE" >&2 || true
  # Last resort, for a launch interrupted before its pid was known: every live child of this
  # shell (the services, started with setsid, with their process groups).
  harness_stop_children
  echo "platform-up: state kept for debugging in $STATE" >&2
  exit $(( rc == 0 ? 1 : rc ))
}
on_signal() { STEP="$STEP (interrupted by SIG$1)"; (exit "$2") || fail; }
trap 'fail' ERR
trap 'fail "exit status $?"' EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap 'on_signal HUP 129' HUP
die() { false || fail "$1"; }

# ---------------------------------------------------------------- venv
STEP="venv"
if [[ ! -x "$VENV/bin/ctfy-admin" ]]; then
  log "creating $VENV with ctfy[server,node]==0.7.0 (one-time)"
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "ctfy[server,node]==0.7.0"
fi
[[ -x "$VENV/bin/ctfy-admin" ]] || die "no $VENV/bin/ctfy-admin"

# ---------------------------------------------------------------- stand-in node build
STEP="cargo build -p ctfy-standin-node"
log "building ctfy-standin-node"
(cd "$ROOT" && cargo build -q -p ctfy-standin-node)
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
[[ "$TARGET_DIR" = /* ]] || TARGET_DIR="$ROOT/$TARGET_DIR"
NODE_BIN="$TARGET_DIR/debug/ctfy-standin-node"
[[ -x "$NODE_BIN" ]] || die "no binary at $NODE_BIN"

# ---------------------------------------------------------------- ports
STEP="ports"
holder() { command -v ss >/dev/null && ss -ltnpH "sport = :$1" 2>/dev/null | head -n 3; }
PLATFORM_PORT="${HARNESS_PLATFORM_PORT:-$(free_port)}"
NODE_PORT="${HARNESS_NODE_PORT:-$(free_port)}"
while [[ "$NODE_PORT" == "$PLATFORM_PORT" ]]; do NODE_PORT="$(free_port)"; done
for p in "$PLATFORM_PORT" "$NODE_PORT"; do
  port_free "$p" || die "port $p on 127.0.0.1 is in use: $(holder "$p")"
done
CTFY_URL="http://127.0.0.1:$PLATFORM_PORT"
NODE_URL="http://127.0.0.1:$NODE_PORT"

# ---------------------------------------------------------------- fixtures
STEP="fixtures"
cp -r "$ROOT/tests/fixtures/challenges" "$STATE/challenges"

# ---------------------------------------------------------------- database template
STEP="database template"
CTFY_DISTS=("$VENV"/lib/python3*/site-packages/ctfy-*.dist-info)
CTFY_PKG_VERSION=""
if [[ -d "${CTFY_DISTS[0]}" ]]; then
  CTFY_PKG_VERSION="${CTFY_DISTS[0]##*/ctfy-}"; CTFY_PKG_VERSION="${CTFY_PKG_VERSION%.dist-info}"
fi
DB_TEMPLATE="$STATE_ROOT/template-ctfy-${CTFY_PKG_VERSION:-unknown}.sqlite3"
MAKE_TEMPLATE=0
if [[ "${HARNESS_NO_DB_TEMPLATE:-0}" != 1 ]]; then
  if [[ -s "$DB_TEMPLATE" ]]; then
    cp "$DB_TEMPLATE" "$STATE/platform.sqlite3"
    log "database: copy of $(basename "$DB_TEMPLATE")"
  else
    MAKE_TEMPLATE=1
  fi
fi

# ---------------------------------------------------------------- platform
STEP="start platform"
log "starting the platform on $CTFY_URL (state: $STATE)"
harness_spawn PLATFORM_PID "$STATE/platform.pid" "$PLATFORM_LOG" setsid env -i \
  PATH="$PATH" HOME="$STATE/home" LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC \
  CTFY_PROJECT_ROOT="$STATE/project" \
  CTFY_DB_PATH="$STATE/platform.sqlite3" \
  CTFY_CHALLENGES_DIR="$STATE/challenges" \
  CTFY_INSTANCES_DIR="$STATE/instances" \
  CTFY_INSTANCE_ARCHIVE_DIR="$STATE/archive" \
  CTFY_PLATFORM_URL="$CTFY_URL" \
  CTFY_SECRET_KEY="ctfy-rs-local-harness-secret-key-not-secret" \
  CTFY_RATE_LIMITING_ENABLED=false \
  CTFY_AUTO_BOOTSTRAP_COMPETITIONS=false \
  CTFY_PASSWORD_AUTH_ENABLED=true \
  CTFY_EMAIL_VERIFICATION_REQUIRED=false \
  "$VENV/bin/ctfy-admin" server start --host 127.0.0.1 --port "$PLATFORM_PORT"

# Ready: its own signal, GET /api/v1/health answering 2xx; alive: its pid and start time.
STEP="wait for platform health"
rc=0
harness_wait_ready "$STATE/platform.pid" 120 http_ok "$CTFY_URL/api/v1/health" || rc=$?
(( rc != 1 )) || die "the platform process exited"
(( rc != 2 )) || die "no healthy GET /api/v1/health within 120 s"
log "platform healthy (pid $PLATFORM_PID)"
if [[ "$MAKE_TEMPLATE" == 1 ]]; then
  # Freshly migrated and unused: snapshot it (sqlite backup API, safe while it runs).
  STEP="save database template"
  "$PY" - "$STATE/platform.sqlite3" "$DB_TEMPLATE.$$" <<'PYEOF'
import sqlite3, sys
src, dst = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
src.backup(dst)
dst.close(); src.close()
PYEOF
  mv -f "$DB_TEMPLATE.$$" "$DB_TEMPLATE"
  log "saved $(basename "$DB_TEMPLATE") for the next runs"
fi

# ---------------------------------------------------------------- accounts
STEP="bootstrap accounts"
"$PY" "$ROOT/scripts/bootstrap.py" --url "$CTFY_URL" --state-dir "$STATE" accounts
NODE_INVITE="$(sed -n 's/^NODE_INVITE=//p' "$STATE/bootstrap.env")"
[[ "$NODE_INVITE" == reg_* ]] || die "no reg_ invite in bootstrap.env"
log "accounts and tokens ready"

# ---------------------------------------------------------------- node
STEP="start stand-in node"
node_args=(--platform-url "$CTFY_URL" --listen "127.0.0.1:$NODE_PORT" --public-url "$NODE_URL"
           --start-delay-ms "${HARNESS_START_DELAY_MS:-1000}"
           --capacity "${HARNESS_NODE_CAPACITY:-200}"
           --state-dir "$STATE/node" --ready-file "$STATE/node/ready")
[[ -n "${HARNESS_SERVICE_PORTS:-}" ]] && node_args+=(--service-ports "$HARNESS_SERVICE_PORTS")
harness_spawn NODE_PID "$STATE/node.pid" "$NODE_LOG" \
  setsid env -i PATH="$PATH" HOME="$STATE/home" RUST_LOG="${RUST_LOG:-info}" \
  CTFY_NODE_INVITE="$NODE_INVITE" \
  "$NODE_BIN" "${node_args[@]}"

# Ready: its own signal, the --ready-file it writes once registered (a complete line).
STEP="wait for node registration"
rc=0
harness_wait_ready "$STATE/node.pid" 30 harness_ready_file "$STATE/node/ready" || rc=$?
(( rc != 1 )) || die "the node process exited"
(( rc != 2 )) || die "node did not register within 30 s"
NODE_ID="$(head -n1 "$STATE/node/ready")"
STEP="wait for node healthy"
"$PY" "$ROOT/scripts/bootstrap.py" --url "$CTFY_URL" --state-dir "$STATE" wait-node --node-id "$NODE_ID"
log "node $NODE_ID registered and healthy (pid $NODE_PID)"

# ---------------------------------------------------------------- world
STEP="bootstrap world"
"$PY" "$ROOT/scripts/bootstrap.py" --url "$CTFY_URL" --state-dir "$STATE" world

# ---------------------------------------------------------------- env file
STEP="write env file"
NODE_TOKEN="$("$PY" -c 'import json,sys;print(json.load(open(sys.argv[1]))["token"])' "$STATE/node/node.json")"
{
  grep -v '^NODE_INVITE=' "$STATE/bootstrap.env"
  echo "NODE_TOKEN=$NODE_TOKEN"
  echo "STANDIN_DEBUG_URL=$NODE_URL/_standin"
  echo "PLATFORM_PID=$PLATFORM_PID"
  echo "NODE_PID=$NODE_PID"
  echo "PLATFORM_LOG=$PLATFORM_LOG"
  echo "NODE_LOG=$NODE_LOG"
  echo "NODE_REQUEST_LOG=$STATE/node/requests.jsonl"
  echo "STATE_DIR=$STATE"
  echo "CTFY_VENV=$VENV"
} >"$STATE/ctfy.env.tmp"
mv "$STATE/ctfy.env.tmp" "$STATE/ctfy.env"
for k in CTFY_URL CTFY_API_URL ADMIN_TOKEN ADMIN_PF_TOKEN PLAYER_TOKEN PLAYER_SESSION_TOKEN \
         PLAYER_TEAM_ID PLAYER2_TOKEN PLAYER2_SESSION_TOKEN COMPETITION_ID NODE_ID NODE_URL CTFY_TOKEN; do
  grep -q "^$k=." "$STATE/ctfy.env" || die "env file lacks $k"
done
trap - ERR EXIT INT TERM HUP
log "ready: $STATE/ctfy.env"
[[ "$QUIET" == 1 ]] || cat "$STATE/ctfy.env"
