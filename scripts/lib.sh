# shellcheck shell=bash
# Helpers shared by platform-up.sh, platform-down.sh and test-harness.sh (sourced, not run).
#
#   harness_spawn VAR PIDFILE LOG CMD...   start CMD in the background (stdin /dev/null, stdout
#                                          and stderr to LOG), record it in PIDFILE, set VAR
#   harness_alive PIDFILE PATTERN          the process PIDFILE records is running (not a zombie)
#   port_free PORT                         nothing holds 127.0.0.1:PORT
#   free_port                              print a free loopback port

HARNESS_PY="${HARNESS_PY:-${PY:-python3}}"

# pid_alive PID PATTERN: running (not a zombie) and cmdline contains PATTERN.
pid_alive() {
  local pid="$1" pat="$2" stat rest
  [[ -n "$pid" && -r "/proc/$pid/stat" ]] || return 1
  stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
  rest="${stat##*) }"
  [[ "${rest%% *}" != "Z" && "${rest%% *}" != "X" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pat"
}

harness_spawn() {
  local var="$1" pidfile="$2" log="$3" pid
  shift 3
  "$@" >"$log" 2>&1 </dev/null &
  pid=$!
  printf -v "$var" '%s' "$pid"
  echo "$pid" >"$pidfile"
}

harness_alive() {
  local pid
  pid="$(cat "$1" 2>/dev/null)" || return 1
  pid_alive "$pid" "$2"
}

free_port() { "$HARNESS_PY" -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
port_free() { "$HARNESS_PY" -c 'import socket,sys;s=socket.socket();s.bind(("127.0.0.1",int(sys.argv[1])))' "$1" 2>/dev/null; }
