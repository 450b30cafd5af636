#!/usr/bin/env bash
# The whole test suite: the README's test command, and what .ci/run executes.
#   leg 1  monoio on io_uring (the default build; epoll if the kernel has no io_uring)
#   leg 2  the integration tests again on monoio forced to epoll
#   leg 3  every test on the tokio build
#   sdk    the official OpenAI, Anthropic and Google SDKs against the real binary (monoio and
#          tokio builds), in a venv this script creates from tests/sdk/requirements.txt
#   guard  the tokio build compiles for Windows and pulls no monoio/Linux-only crate on macOS
# Lints run first so that a style slip fails fast.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n=== %s\n' "$*"; }

target_dir="${CARGO_TARGET_DIR:-target}"
venv="${SDK_VENV:-$target_dir/sdk-venv}"
sdk_tests() {
  if [ ! -x "$venv/bin/pytest" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/sdk/requirements.txt
  fi
  CLIPROXY_BIN="$target_dir/debug/cliproxy" "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/sdk
}

step "format and lints"
cargo fmt --all -- --check
cargo clippy --all-targets --quiet -- -D warnings
cargo clippy --all-targets --quiet --no-default-features --features runtime-tokio -- -D warnings

step "leg 1: monoio, io_uring (default build)"
cargo test

step "leg 2: monoio forced to epoll (MONOIO_FORCE_LEGACY_DRIVER=1)"
MONOIO_FORCE_LEGACY_DRIVER=1 cargo test --test '*'

step "sdk: official SDKs against the monoio binary"
cargo build --quiet
sdk_tests

step "leg 3: tokio build (--no-default-features --features runtime-tokio)"
cargo test --no-default-features --features runtime-tokio

step "sdk: official SDKs against the tokio binary"
cargo build --quiet --no-default-features --features runtime-tokio
sdk_tests

step "platform guard: the tokio build on macOS and Windows"
for target in x86_64-apple-darwin x86_64-pc-windows-gnu; do
  bad=$(cargo tree --no-default-features --features runtime-tokio --target "$target" -e normal,build \
        | grep -Ei 'monoio|io-uring|core_affinity' || true)
  if [ -n "$bad" ]; then
    echo "the tokio build for $target pulls Linux-only crates:"; echo "$bad"; exit 1
  fi
  echo "$target: dependency graph has no monoio / io-uring / core_affinity"
done
if rustup target list --installed 2>/dev/null | grep -q x86_64-pc-windows-gnu \
   && command -v x86_64-w64-mingw32-gcc >/dev/null; then
  cargo check --quiet --no-default-features --features runtime-tokio --target x86_64-pc-windows-gnu
  echo "x86_64-pc-windows-gnu: cargo check of the tokio build passed"
else
  echo "x86_64-pc-windows-gnu: target or mingw gcc missing; only the dependency check ran"
fi
echo
echo "all legs passed"
