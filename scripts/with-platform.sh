#!/usr/bin/env bash
# Run a command against a fresh local platform, then stop it.
#
#   scripts/with-platform.sh CMD [ARGS...]
#   e.g. scripts/with-platform.sh cargo run --example quickstart
#        scripts/with-platform.sh cargo test --workspace
#
# Starts scripts/platform-up.sh --fresh, exports .state/<run>/ctfy.env into CMD's
# environment, runs CMD, always stops the platform and exits with CMD's status.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -eq 0 ]]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi

# The traps come first: on a signal while platform-up runs (bash runs the trap once it has
# returned) then still stops what platform-up started. A platform-up that fails has already
# stopped everything itself; platform-down then finds nothing of ours to signal.
STATE=""
UP=0
trap 'if [[ "$UP" == 1 ]]; then "$ROOT/scripts/platform-down.sh" --quiet "${STATE:-$ROOT/.state/current}"; fi' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

UP=1
"$ROOT/scripts/platform-up.sh" --fresh --quiet || exit $?
STATE="$(cd "$ROOT/.state/current" && pwd -P)"

set -a
# shellcheck disable=SC1091
. "$STATE/ctfy.env"
set +a

"$@"
rc=$?
exit "$rc"
