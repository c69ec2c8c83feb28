#!/usr/bin/env bash
# Builds (cargo check) the facade with each of its features alone, with none, and with all:
# the equivalent of `cargo hack --each-feature` without installing it. Every optional
# dependency and cfg gate of the workspace is behind one of these features. `webpki-roots`
# chooses the roots of a rustls backend and does not compile alone: it is checked with each.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
features=(rustls rustls-ring native-tls admin node tunnel testing)
run() { echo "check-features: cargo check -p ctfy $*" >&2; cargo check -q -p ctfy --lib "$@"; }
run --no-default-features
for f in "${features[@]}"; do
  run --no-default-features --features "$f"
done
run --no-default-features --features webpki-roots,rustls
run --no-default-features --features webpki-roots,rustls-ring
# Both rustls providers, and native-tls with rustls: additive, one of them is used.
run --no-default-features --features rustls,rustls-ring
run --features native-tls
run --all-features
# The client crate alone, as a user of ctfy-client without the facade would build it.
echo "check-features: cargo check -p ctfy-client --no-default-features" >&2
cargo check -q -p ctfy-client --lib --no-default-features
# The ring build must not compile aws-lc-rs (its point: no cmake or C toolchain for it).
echo "check-features: cargo tree -p ctfy --no-default-features --features rustls-ring,webpki-roots" >&2
ring_tree=$(cargo tree -q -p ctfy --no-default-features --features rustls-ring,webpki-roots -e normal,build)
if grep -q "aws-lc" <<<"$ring_tree"; then
  echo "check-features: the rustls-ring build depends on aws-lc:" >&2
  grep "aws-lc" <<<"$ring_tree" >&2
  exit 1
fi
# The agent crate with each model client alone, and with none (the protocol and tools only),
# warnings denied: code used by only one client must be gated with it.
for f in "" openai anthropic; do
  echo "check-features: cargo clippy -p ctfy-agent --no-default-features ${f:+--features $f}" >&2
  cargo clippy -q -p ctfy-agent --lib --no-default-features ${f:+--features "$f"} -- -D warnings
done
