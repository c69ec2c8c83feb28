#!/usr/bin/env bash
# Stop the harness started by scripts/platform-up.sh (platform + stand-in node).
#
#   scripts/platform-down.sh [--quiet] [STATE_DIR]     (default: .state/current)
#
# Signals only the recorded PIDs, and only while /proc/<pid>/cmdline still matches
# (ctfy-admin / ctfy-standin-node). Each was started with setsid, so the whole process
# group gets SIGTERM, then SIGKILL after 10 s. Zombies count as gone. Logs are kept.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
QUIET=0
STATE=""
for arg in "$@"; do
  case "$arg" in
    --quiet) QUIET=1 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) STATE="$arg" ;;
  esac
done
STATE="${STATE:-$ROOT/.state/current}"
say() { [[ "$QUIET" == 1 ]] || echo "platform-down: $*" >&2; }
if [[ ! -d "$STATE" ]]; then
  say "nothing to stop ($STATE does not exist)"
  exit 0
fi

# proc_state PID -> one-letter state ("" when gone); proc_pgrp PID -> process group.
proc_fields() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  echo "${stat##*) }"
}
alive() {
  local f
  f="$(proc_fields "$1")" || return 1
  [[ "${f%% *}" != "Z" && "${f%% *}" != "X" ]]
}
matches() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- "$2"; }
# Live (non-zombie) members of process group $1.
group_members() {
  local d p f
  for d in /proc/[0-9]*; do
    p="${d#/proc/}"
    f="$(proc_fields "$p")" || continue
    set -- $f
    [[ "$3" == "$PGID" && "$1" != "Z" && "$1" != "X" ]] && echo "$p"
  done
}

stop_one() {
  local name="$1" pat="$2" pidfile="$STATE/$1.pid" pid
  [[ -f "$pidfile" ]] || { say "$name: no pid file"; return 0; }
  pid="$(cat "$pidfile")"
  if ! alive "$pid"; then
    say "$name (pid $pid): not running"
    return 0
  fi
  if ! matches "$pid" "$pat"; then
    say "$name (pid $pid): cmdline does not match '$pat'; not signalling"
    return 0
  fi
  PGID="$pid"
  local f
  f="$(proc_fields "$pid")"; set -- $f
  # Only signal the group when the process leads it (it was started with setsid).
  if [[ "$3" == "$pid" ]]; then kill -TERM -- "-$pid" 2>/dev/null; else kill -TERM "$pid" 2>/dev/null; fi
  local i
  for i in $(seq 1 100); do
    [[ -z "$(group_members)" ]] && ! alive "$pid" && break
    sleep 0.1
  done
  if alive "$pid" || [[ -n "$(group_members)" ]]; then
    say "$name (pid $pid): still running after 10 s; SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
    sleep 0.2
  fi
  say "$name (pid $pid): stopped"
}

stop_one node ctfy-standin-node
stop_one platform ctfy-admin
say "logs kept in $STATE"
exit 0
