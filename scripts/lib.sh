# shellcheck shell=bash
# Helpers shared by platform-up.sh, platform-down.sh and test-harness.sh (sourced, not run).
#
#   harness_spawn VAR PIDFILE LOG CMD...   start CMD in the background (stdin /dev/null, stdout
#                                          and stderr to LOG), record it in PIDFILE, set VAR
#   harness_alive PIDFILE [PATTERN]        the process PIDFILE records is running (not a
#                                          zombie) and is that process, not a reused pid
#   harness_wait_ready PIDFILE TIMEOUT_S CHECK...
#                                          poll CHECK until it succeeds with the process alive
#                                          (0); 1 when the process is gone, 2 after TIMEOUT_S s
#   harness_ready_file FILE                FILE holds a complete (newline-terminated) line
#   harness_stop_group PID                 stop a process of ours and its process group
#   harness_stop_children                  stop every live child of this shell, and its group
#   port_free PORT                         a server could listen on 127.0.0.1:PORT
#   free_port                              print a free loopback port
#
# A process is identified by its pid plus its start time (field 22 of /proc/PID/stat, in
# clock ticks since boot) and the boot id: the start time is fixed at fork and survives exec,
# so it can be read right after the launch (the command line cannot: until the forked child
# has exec'd it still shows the parent script), and no later process that reuses the pid has
# the same one. Pid file: "PID STARTTIME BOOT_ID". A pid file holding only a pid (written by an
# older platform-up.sh) falls back to matching PATTERN against the command line, which is
# safe there: such a process was launched long ago.
# Everything on the polling paths uses shell builtins only (no fork per check).

HARNESS_PY="${HARNESS_PY:-${PY:-python3}}"
HARNESS_BOOT_ID=""
{ read -r HARNESS_BOOT_ID </proc/sys/kernel/random/boot_id; } 2>/dev/null || HARNESS_BOOT_ID=""

# proc_stat PID: PROC_STAT=(fields of /proc/PID/stat after the command name), so that
# [0] state (field 3), [1] ppid, [2] pgrp, [3] session, [19] starttime (field 22).
proc_stat() {
  local line
  PROC_STAT=()
  [[ "$1" =~ ^[1-9][0-9]*$ ]] || return 1
  { IFS= read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
  [[ "$line" == *") "* ]] || return 1
  IFS=' ' read -r -a PROC_STAT <<<"${line##*) }"
  (( ${#PROC_STAT[@]} >= 20 ))
}

# proc_running PID: signal 0 reaches it and it is not a zombie (a zombie accepts signal 0).
proc_running() {
  [[ "$1" =~ ^[1-9][0-9]*$ ]] || return 1
  kill -0 "$1" 2>/dev/null || return 1
  proc_stat "$1" || return 1
  [[ "${PROC_STAT[0]}" != Z && "${PROC_STAT[0]}" != X ]]
}

# harness_record PID PIDFILE: write PIDFILE for PID, a child of this shell just launched.
# The start time is taken only while PID's parent is this shell: then it is that child (it
# has not been reaped, or it would have no parent), never a process that reused its pid.
# A child already gone gets start time "-", which matches no process.
harness_record() {
  local start=-
  if proc_stat "$1" && [[ "${PROC_STAT[1]}" == "$BASHPID" ]]; then start="${PROC_STAT[19]}"; fi
  printf '%s %s %s\n' "$1" "$start" "${HARNESS_BOOT_ID:--}" >"$2"
}

harness_spawn() {
  local _hs_var="$1" _hs_pidfile="$2" _hs_log="$3" _hs_pid
  shift 3
  "$@" >"$_hs_log" 2>&1 </dev/null &
  _hs_pid=$!
  harness_record "$_hs_pid" "$_hs_pidfile"
  # Out of the job table: no "Terminated" job notices when it is stopped (it stays our child).
  disown "$_hs_pid" 2>/dev/null || true
  printf -v "$_hs_var" '%s' "$_hs_pid"
}

# harness_read_pidfile PIDFILE: PF_PID, PF_START ("" for a pid-only file), PF_BOOT.
harness_read_pidfile() {
  local line
  PF_PID="" PF_START="" PF_BOOT=""
  { IFS= read -r line <"$1"; } 2>/dev/null || [[ -n "${line:-}" ]] || return 1
  IFS=' ' read -r PF_PID PF_START PF_BOOT _ <<<"$line"
  [[ "$PF_PID" =~ ^[1-9][0-9]*$ ]]
}

harness_alive() {
  harness_read_pidfile "$1" || return 1
  proc_running "$PF_PID" || return 1
  if [[ -n "$PF_START" ]]; then
    [[ "$PF_START" == "${PROC_STAT[19]}" ]] || return 1
    [[ -z "$PF_BOOT" || "$PF_BOOT" == - || -z "$HARNESS_BOOT_ID" || "$PF_BOOT" == "$HARNESS_BOOT_ID" ]]
  else
    [[ -n "${2:-}" ]] || return 1
    tr '\0' ' ' <"/proc/$PF_PID/cmdline" 2>/dev/null | grep -q -- "$2"
  fi
}

harness_wait_ready() {
  local pidfile="$1" timeout="$2" deadline
  shift 2
  deadline=$(( SECONDS + timeout ))
  until "$@"; do
    harness_alive "$pidfile" || return 1
    (( SECONDS < deadline )) || return 2
    sleep 0.1
  done
  # Ready counts only while it is still ours (not, say, another server answering on the port).
  harness_alive "$pidfile" || return 1
}

harness_ready_file() {
  local line
  # read fails on a last line without its newline: a write still in progress.
  { IFS= read -r line <"$1"; } 2>/dev/null && [[ -n "$line" ]]
}

# harness_group_alive PGID: some live (non-zombie) process is in process group PGID.
harness_group_alive() {
  local d
  for d in /proc/[0-9]*; do
    proc_stat "${d#/proc/}" || continue
    [[ "${PROC_STAT[2]}" == "$1" && "${PROC_STAT[0]}" != Z && "${PROC_STAT[0]}" != X ]] && return 0
  done
  return 1
}

# harness_signal PID SIG: PID and the process group PID leads, if any. Only for a PID known
# to be ours and alive (or whose group is still alive): a process group id is the pid of the
# process that made the group, and Linux hands out no pid that still names a group, so a
# group with id PID is that process's own.
harness_signal() {
  kill "-$2" -- "-$1" 2>/dev/null || true
  kill "-$2" "$1" 2>/dev/null || true
}

# harness_stop_pids PID...: SIGTERM each (and its group), SIGKILL what is left after
# HARNESS_STOP_TIMEOUT (10) s (and set HARNESS_KILLED=1). The signal is repeated while waiting: a child caught between its
# fork and its setsid() gets the one meant for its group too.
harness_stop_pids() {
  local p i live ticks=$(( ${HARNESS_STOP_TIMEOUT:-10} * 10 ))
  (( $# )) || return 0
  for p in "$@"; do harness_signal "$p" TERM; done
  for (( i = 1; i <= ticks; i++ )); do
    live=0
    for p in "$@"; do
      if proc_running "$p" || harness_group_alive "$p"; then
        live=1
        (( i % 10 )) || harness_signal "$p" TERM
      fi
    done
    (( live )) || return 0
    sleep 0.1
  done
  # shellcheck disable=SC2034  # read by the callers
  HARNESS_KILLED=1
  for p in "$@"; do harness_signal "$p" KILL; done
  sleep 0.2
  return 0
}

harness_stop_group() { harness_stop_pids "$1"; }

harness_stop_children() {
  local me="$BASHPID" d p kids=()
  for d in /proc/[0-9]*; do
    p="${d#/proc/}"
    proc_stat "$p" || continue
    [[ "${PROC_STAT[1]}" == "$me" && "${PROC_STAT[0]}" != Z && "${PROC_STAT[0]}" != X ]] || continue
    kids+=("$p")
  done
  harness_stop_pids "${kids[@]}"
}

free_port() { "$HARNESS_PY" -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# Bind and listen as a server does (with SO_REUSEADDR, as uvicorn and Rust's TcpListener set
# it): connections in TIME_WAIT, e.g. of a server stopped a moment ago, do not count; a
# listener (with or without SO_REUSEADDR) does.
port_free() {
  "$HARNESS_PY" - "$1" <<'PYEOF' 2>/dev/null
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
s.close()
PYEOF
}
