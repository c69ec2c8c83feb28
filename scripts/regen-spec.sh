#!/usr/bin/env bash
# Regenerates spec/openapi.json (platform) and spec/openapi-node.json (worker node) from the
# installed ctfy Python package, structure only (descriptions stripped), deterministically.
# Usage: scripts/regen-spec.sh            (from anywhere inside the repo)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
    .venv/bin/pip install "ctfy[server,node]==0.7.0"
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# The apps log a lot while starting; show it only when something fails.
if ! .venv/bin/python scripts/regen_spec.py "$root/spec" >"$log" 2>&1; then
    cat "$log" >&2
    exit 1
fi
grep '^wrote ' "$log"
