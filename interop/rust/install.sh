#!/usr/bin/env bash
# russh from crates.io: one small harness crate per pinned russh version (russh-0.44, russh-0.65),
# built with cargo --locked into one shared target dir. Registry downloads, build files and the
# finished binaries all live under $SSHDOCTOR_LAB_PREFIX/rust; a stamp (a hash of the harness
# sources and lock file) per version makes a second run a no-op.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix="${SSHDOCTOR_LAB_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/sshdoctor-lab}/rust"
cargo="${CARGO_HOME:-$HOME/.cargo}/bin/cargo"
if [ ! -x "$cargo" ]; then
  cargo="$(command -v cargo || true)"
  [ -n "$cargo" ] || { echo "no cargo (rustup's \${CARGO_HOME:-\$HOME/.cargo}/bin/cargo)" >&2; exit 1; }
fi
# The rustup proxy still finds its toolchain through RUSTUP_HOME; only cargo's own cache moves.
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
mkdir -p "$prefix/bin"
for version in 0.44 0.65; do
  crate="$here/russh-$version"
  bin="russh-lab-${version/./}"
  stamp="$prefix/bin/$bin.stamp"
  sum="$(cat "$crate/Cargo.toml" "$crate/Cargo.lock" "$crate"/src/*.rs "$here"/common/*.rs | sha256sum | cut -d' ' -f1)"
  if [ -x "$prefix/bin/$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ]; then
    echo "ready: russh $version ($prefix/bin/$bin, already built)"
    continue
  fi
  start=$(date +%s)
  CARGO_HOME="$prefix/cargo-home" CARGO_TARGET_DIR="$prefix/target" CARGO_BUILD_JOBS=2 \
    "$cargo" build --release --locked --quiet --manifest-path "$crate/Cargo.toml"
  cp "$prefix/target/release/$bin" "$prefix/bin/$bin.tmp"
  mv "$prefix/bin/$bin.tmp" "$prefix/bin/$bin"
  echo "$sum" > "$stamp"
  echo "ready: russh $version ($prefix/bin/$bin, built in $(( $(date +%s) - start )) s)"
done
