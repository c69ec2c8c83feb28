#!/usr/bin/env bash
# Builds (cargo check) the facade with each of its features alone, with none, and with all:
# the equivalent of `cargo hack --each-feature` without installing it. Every optional
# dependency and cfg gate of the workspace is behind one of these features.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
features=(rustls webpki-roots native-tls admin node tunnel testing)
run() { echo "check-features: cargo check -p ctfy $*" >&2; cargo check -q -p ctfy --lib "$@"; }
run --no-default-features
for f in "${features[@]}"; do
  run --no-default-features --features "$f"
done
run --all-features
# The client crate alone, as a user of ctfy-client without the facade would build it.
echo "check-features: cargo check -p ctfy-client --no-default-features" >&2
cargo check -q -p ctfy-client --lib --no-default-features
