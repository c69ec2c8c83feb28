#!/usr/bin/env bash
# Regression tests of the harness helpers (scripts/lib.sh) and of platform-down.sh's safety.
# Needs no platform: it launches sleep(1) and small python3 listeners on loopback (~20 s).
#
#   scripts/test-harness.sh
#
# 1. liveness: a process launched the way platform-up.sh launches its services reads as
#    alive right after the launch, also while its exec is slow (a sleep before the exec, and
#    a burst of launches under busy loops), and reads as dead once it exited;
# 2. identity: a pid file whose start time does not match is not ours, and platform-down.sh
#    does not signal it; a matching one is stopped with its whole process group;
# 3. a failing start leaves nothing running (harness_stop_children);
# 4. the node's ready file counts only once its line is complete;
# 5. port check: a port whose last connections are in TIME_WAIT is free, a listener is not.
# HARNESS_TEST_N (20) launches for the slow exec, HARNESS_TEST_BURST (100) under load.
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$(command -v python3)"
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
N="${HARNESS_TEST_N:-20}"
BURST="${HARNESS_TEST_BURST:-100}"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/ctfy-test-harness.XXXXXX")"
PASSED=0
FAILED=0
BUSY=()      # busy loops (pids)
OWNED=()     # every process this test launched (pids; setsid ones lead their group)

ok() { PASSED=$((PASSED + 1)); echo "ok $((PASSED + FAILED)) - $* [${SECONDS}s]"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok $((PASSED + FAILED)) - $* [${SECONDS}s]"; }
not() { ! "$@"; }
check() { local what="$1"; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }

# The test's own reading of /proc (builtins only), independent of the helpers under test:
# T_STAT=(fields of /proc/PID/stat from field 3 on): [0] state, [2] pgrp, [19] start time.
t_stat() {
  local line
  T_STAT=()
  { IFS= read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
  IFS=' ' read -r -a T_STAT <<<"${line##*) }"
}
stat_field() { t_stat "$1" || return 1; echo "${T_STAT[$2]}"; } # PID INDEX
running() { t_stat "$1" && [[ "${T_STAT[0]}" != Z && "${T_STAT[0]}" != X ]]; }
group_live() { # PGID: print the live members of the process group
  local d
  for d in /proc/[0-9]*; do
    t_stat "${d#/proc/}" || continue
    [[ "${T_STAT[2]}" == "$1" && "${T_STAT[0]}" != Z && "${T_STAT[0]}" != X ]] && echo "${d#/proc/}"
  done
  return 0
}
wait_gone() { # PID [SECONDS]: 0 once PID is gone or a zombie
  local i
  for ((i = 0; i < ${2:-5} * 10; i++)); do running "$1" || return 0; sleep 0.1; done
  return 1
}
stop_pid() { # PID: stop one of our test processes (its whole group when it leads one)
  local pid="$1"
  if [[ -n "$(group_live "$pid")" ]]; then kill -KILL -- "-$pid" 2>/dev/null || true; fi
  if running "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
}
cleanup() {
  local p d
  for p in "${BUSY[@]}" "${OWNED[@]}"; do stop_pid "$p"; done
  # And any child not recorded yet (a failure between a launch and its record).
  for d in /proc/[0-9]*; do
    t_stat "${d#/proc/}" && [[ "${T_STAT[1]}" == "$$" ]] && stop_pid "${d#/proc/}"
  done
  rm -rf -- "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A launch whose exec is slow: the forked child still runs (a copy of) this script for a
# while, as a child that waits for the CPU does, before it becomes the program.
slow_exec() { sleep 0.3; exec "$@"; }

echo "# helpers: $ROOT/scripts/lib.sh"

# ---------------------------------------------------------------- 1. liveness
missed=0
pids=()
for ((i = 1; i <= N; i++)); do
  harness_spawn child "$TMP/slow$i.pid" "$TMP/slow$i.log" slow_exec sleep 600
  OWNED+=("$child"); pids+=("$child")
  harness_alive "$TMP/slow$i.pid" "sleep 600" || missed=$((missed + 1))
done
check "slow exec: alive right after each of $N launches (missed $missed)" test "$missed" -eq 0
sleep 0.5
missed=0
for ((i = 1; i <= N; i++)); do
  harness_alive "$TMP/slow$i.pid" "sleep 600" || missed=$((missed + 1))
done
check "slow exec: alive after the exec, $N of $N (missed $missed)" test "$missed" -eq 0
for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
for pid in "${pids[@]}"; do wait_gone "$pid" || true; done
alive_after=0
for ((i = 1; i <= N; i++)); do
  if harness_alive "$TMP/slow$i.pid" "sleep 600"; then alive_after=$((alive_after + 1)); fi
done
check "slow exec: dead once stopped, $N of $N (still alive: $alive_after)" test "$alive_after" -eq 0

nbusy=$(( $(nproc 2>/dev/null || echo 2) * 2 ))
for ((i = 0; i < nbusy; i++)); do
  # timeout (bound, should this test be SIGKILLed) leads its own process group, with the loop.
  timeout 120 sh -c 'while :; do :; done' &
  BUSY+=("$!")
  disown "$!"
done
sleep 0.2
missed=0
pids=()
for ((i = 1; i <= BURST; i++)); do
  harness_spawn child "$TMP/burst$i.pid" "$TMP/burst$i.log" setsid sleep 600
  OWNED+=("$child"); pids+=("$child")
  harness_alive "$TMP/burst$i.pid" "sleep 600" || missed=$((missed + 1))
done
check "under $nbusy busy loops: alive right after each of $BURST launches (missed $missed)" \
  test "$missed" -eq 0
left=""
for p in "${BUSY[@]}"; do stop_pid "$p"; done
for p in "${BUSY[@]}"; do wait_gone "$p" 2 || true; left+="$(group_live "$p")"; done
BUSY=()
check "setup: the busy loops are gone" test -z "$left"
for pid in "${pids[@]}"; do stop_pid "$pid"; done

harness_spawn child "$TMP/exit.pid" "$TMP/exit.log" sh -c 'exit 3'
OWNED+=("$child")
dead=1
for ((i = 0; i < 50; i++)); do
  harness_alive "$TMP/exit.pid" "sh -c" || { dead=0; break; }
  sleep 0.1
done
check "a process that exited reads as dead (zombie or reaped)" test "$dead" -eq 0

# ---------------------------------------------------------------- 2. identity, platform-down
mkdir -p "$TMP/state"
# A live process whose cmdline matches, under a pid file whose start time does not: a pid
# reused by someone else. Neither the liveness check nor platform-down may take it for ours.
harness_spawn child "$TMP/state/node.pid" "$TMP/other.log" bash -c 'exec -a ctfy-standin-node sleep 600'
OWNED+=("$child"); other="$child"
for ((i = 0; i < 50; i++)); do
  tr '\0' ' ' <"/proc/$other/cmdline" | grep -q '^ctfy-standin-node' && break
  sleep 0.1
done
start="$(stat_field "$other" 19)"
read -r _ _ boot <"$TMP/state/node.pid" || true
printf '%s %s %s\n' "$other" "$((start - 1))" "${boot:-}" >"$TMP/state/node.pid"
check "a pid file with another start time is not alive" \
  not harness_alive "$TMP/state/node.pid" ctfy-standin-node
"$ROOT/scripts/platform-down.sh" --quiet "$TMP/state"
check "platform-down does not signal a pid whose start time differs" running "$other"
stop_pid "$other"

# The real thing: a setsid-started leader with a second process in its group.
harness_spawn child "$TMP/state/platform.pid" "$TMP/leader.log" \
  setsid bash -c 'sleep 600 & exec -a ctfy-admin sleep 600'
OWNED+=("$child"); leader="$child"
for ((i = 0; i < 50; i++)); do
  [[ "$(group_live "$leader" | wc -l)" -ge 2 ]] && \
    tr '\0' ' ' <"/proc/$leader/cmdline" | grep -q '^ctfy-admin' && break
  sleep 0.1
done
rm -f "$TMP/state/node.pid"
"$ROOT/scripts/platform-down.sh" --quiet "$TMP/state"
check "platform-down stops a recorded leader and its process group" \
  test -z "$(group_live "$leader")"

# ---------------------------------------------------------------- 3. nothing left on failure
if declare -F harness_stop_children >/dev/null; then
  # No pid files at all: the window between a launch and its pid file.
  (setsid bash -c 'sleep 600 & sleep 600' </dev/null >/dev/null 2>&1 &
   echo $! >"$TMP/k1"
   slow_exec sleep 600 </dev/null >/dev/null 2>&1 &
   echo $! >"$TMP/k2"
   sleep 0.1
   harness_stop_children)
  k1="$(cat "$TMP/k1")"; k2="$(cat "$TMP/k2")"
  OWNED+=("$k1" "$k2")
  check "harness_stop_children stops every child and its group, recorded or not" \
    test -z "$(group_live "$k1")$(running "$k2" && echo "$k2")"
else
  not_ok "harness_stop_children: not defined in scripts/lib.sh"
fi

# ---------------------------------------------------------------- 4. ready file
if declare -F harness_ready_file >/dev/null; then
  r="$TMP/ready"
  rm -f "$r"; a=0; harness_ready_file "$r" && a=1
  : >"$r"; b=0; harness_ready_file "$r" && b=1
  printf 'node_12' >"$r"; c=0; harness_ready_file "$r" && c=1
  printf 'node_1234\n' >"$r"; d=0; harness_ready_file "$r" && d=1
  check "ready file: missing, empty and partial lines do not count, a complete one does" \
    test "$a$b$c$d" = 0001
else
  not_ok "harness_ready_file: not defined in scripts/lib.sh"
fi

# ---------------------------------------------------------------- 5. port check
port="$("$PY" - <<'PYEOF'
import socket
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(8)
port = srv.getsockname()[1]
for _ in range(3):
    c = socket.create_connection(("127.0.0.1", port))
    a, _ = srv.accept()
    a.close()          # the server closes first, as a stopped server does: TIME_WAIT is its
    c.recv(1)
    c.close()
srv.close()
print(port)
PYEOF
)"
tw=""
for ((i = 0; i < 20; i++)); do
  tw="$(ss -Htan state time-wait "( sport = :$port )" 2>/dev/null | head -n 1)"
  [[ -n "$tw" ]] && break
  sleep 0.1
done
check "setup: port $port has connections in TIME_WAIT and no listener" test -n "$tw"
check "port check: a port with only TIME_WAIT connections is free" port_free "$port"

for reuse in 1 0; do
  "$PY" - "$TMP/listen$reuse.port" "$reuse" <<'PYEOF' &
import socket, sys, time
s = socket.socket()
if sys.argv[2] == "1":
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(8)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(f"{s.getsockname()[1]}\n")
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(60)
PYEOF
  lpid=$!
  disown "$lpid"
  OWNED+=("$lpid")
  for ((i = 0; i < 50; i++)); do [[ -s "$TMP/listen$reuse.port" ]] && break; sleep 0.1; done
  lport="$(cat "$TMP/listen$reuse.port")"
  check "port check: a live listener (SO_REUSEADDR=$reuse) on $lport is in use" \
    not port_free "$lport"
  stop_pid "$lpid"
done

echo "$PASSED passed, $FAILED failed"
[[ "$FAILED" == 0 ]]
