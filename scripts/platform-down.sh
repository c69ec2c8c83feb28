#!/usr/bin/env bash
# Stop the harness started by scripts/platform-up.sh (platform + stand-in node).
#
#   scripts/platform-down.sh [--quiet] [STATE_DIR]     (default: .state/current)
#
# Signals only the recorded processes, and only while the pid still names the process that
# was recorded: the pid file holds the pid, its start time and the boot id (a pid reused by
# another process has another start time). Each was started with setsid, so the whole process
# group gets SIGTERM, then SIGKILL after 10 s. Zombies count as gone. Logs are kept.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
QUIET=0
STATE=""
for arg in "$@"; do
  case "$arg" in
    --quiet) QUIET=1 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) STATE="$arg" ;;
  esac
done
STATE="${STATE:-$ROOT/.state/current}"
say() { [[ "$QUIET" == 1 ]] || echo "platform-down: $*" >&2; }
if [[ ! -d "$STATE" ]]; then
  say "nothing to stop ($STATE does not exist)"
  exit 0
fi

# stop_one NAME PATTERN (PATTERN: the cmdline check for pid files of older scripts: pid only).
stop_one() {
  local name="$1" pat="$2" pidfile="$STATE/$1.pid" pid
  [[ -f "$pidfile" ]] || { say "$name: no pid file"; return 0; }
  if ! harness_read_pidfile "$pidfile"; then
    say "$name: unreadable pid file $pidfile; not signalling"
    return 0
  fi
  pid="$PF_PID"
  if ! proc_running "$pid"; then
    say "$name (pid $pid): not running"
    return 0
  fi
  if ! harness_alive "$pidfile" "$pat"; then
    if [[ -n "$PF_START" ]]; then
      say "$name (pid $pid): now another process (start time ${PROC_STAT[19]:-?}, recorded $PF_START); not signalling"
    else
      say "$name (pid $pid): cmdline does not match '$pat'; not signalling"
    fi
    return 0
  fi
  HARNESS_KILLED=0
  harness_stop_group "$pid"
  if [[ "$HARNESS_KILLED" == 1 ]]; then
    say "$name (pid $pid): still running after ${HARNESS_STOP_TIMEOUT:-10} s; sent SIGKILL"
  fi
  say "$name (pid $pid): stopped"
}

stop_one node ctfy-standin-node
stop_one platform ctfy-admin
say "logs kept in $STATE"
exit 0
