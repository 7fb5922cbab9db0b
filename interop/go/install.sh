#!/usr/bin/env bash
# Go golang.org/x/crypto/ssh: one harness binary (client and server roles, harness/*.go) per x/crypto version.
#   - Debian 12's golang-golang-x-crypto-dev (x/crypto 0.4.0), built in GOPATH mode against /usr/share/gocode;
#   - versions from the Go module proxy, chosen where the default lists or the error text changed.
# Everything goes under $SSHDOCTOR_LAB_PREFIX/go; a binary is rebuilt only when the harness source, the
# x/crypto version or the Go toolchain changes (a stamp beside each binary). Works with an empty HOME.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
prefix="${SSHDOCTOR_LAB_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/sshdoctor-lab}/go"
mkdir -p "$prefix/bin" "$prefix/build"

# Pinned versions from the module proxy (see tests/interop/families/go.py for why each one).
PROXY_VERSIONS=(
  v0.0.0-20201221181555-eec23a3978ad
  v0.17.0
  v0.24.0
  v0.38.0
  v0.45.0
  v0.59.0
)
DEBIAN_PACKAGE=golang-golang-x-crypto-dev
DEBIAN_VERSION=0.4.0

GO=/usr/local/go/bin/go
[ -x "$GO" ] || GO="$(command -v go || true)"
[ -n "$GO" ] && [ -x "$GO" ] || { echo "no Go toolchain (/usr/local/go/bin/go)" >&2; exit 1; }

# The go command must not depend on HOME (CI and the tests run with an empty one).
export GOPATH="$prefix/gopath" GOMODCACHE="$prefix/gopath/pkg/mod" GOCACHE="$prefix/gocache"
export GOENV=off GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
unset GOROOT GO111MODULE

go_version="$("$GO" env GOVERSION)"
sources=("$here"/harness/*.go)
harness_sum="$(cat "${sources[@]}" | sha256sum | cut -c1-16)"

# x/crypto exposes the negotiated algorithms (ssh.AlgorithmsConnMetadata) from v0.39.0.
tags_for() {
  local minor
  minor="$(echo "$1" | sed -E 's/^v?0\.([0-9]+)\..*/\1/')"
  if [ "$minor" -ge 39 ] 2>/dev/null; then echo sshdoctor_algos; fi
}

fresh() {  # fresh BINARY STAMP: already built from this source, version and toolchain
  [ -x "$1" ] && [ -f "$1.stamp" ] && [ "$(cat "$1.stamp")" = "$2" ]
}

build_proxy() {
  local version="$1" bin="$prefix/bin/sshdoctor-go-${1#v}" dir="$prefix/build/${1#v}"
  local stamp="$version $harness_sum $go_version"
  if fresh "$bin" "$stamp"; then echo "ready: go x/crypto ${version#v} (cached)"; return; fi
  rm -rf "$dir" && mkdir -p "$dir"
  cp "${sources[@]}" "$dir/"
  cat > "$dir/go.mod" <<EOF
module sshdoctor.lab/goharness

go 1.21

require golang.org/x/crypto $version
EOF
  (cd "$dir" && "$GO" mod tidy && "$GO" build -trimpath -tags "$(tags_for "$version")" -o "$bin.tmp" .)
  mv "$bin.tmp" "$bin"
  echo "$stamp" > "$bin.stamp"
  echo "ready: go x/crypto ${version#v} ($(sed -n 's/^go //p' "$dir/go.mod"))"
}

build_debian() {
  local bin="$prefix/bin/sshdoctor-go-$DEBIAN_VERSION-debian12" dir="$prefix/build/$DEBIAN_VERSION-debian12"
  if ! dpkg -s "$DEBIAN_PACKAGE" >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq -o DPkg::Lock::Timeout=600 "$DEBIAN_PACKAGE" \
      || { apt-get update -qq -o DPkg::Lock::Timeout=600 \
           && apt-get install -y -qq -o DPkg::Lock::Timeout=600 "$DEBIAN_PACKAGE"; }
  fi
  local pkg
  pkg="$(dpkg-query -W -f '${Version}' "$DEBIAN_PACKAGE")"
  case "$pkg" in *":$DEBIAN_VERSION-"*|"$DEBIAN_VERSION-"*) ;; *)
    echo "$DEBIAN_PACKAGE is $pkg, not $DEBIAN_VERSION (the profile go-$DEBIAN_VERSION)" >&2; exit 1 ;;
  esac
  local stamp="debian $pkg $harness_sum $go_version"
  if fresh "$bin" "$stamp"; then echo "ready: go x/crypto $DEBIAN_VERSION debian12 (cached)"; return; fi
  rm -rf "$dir" && mkdir -p "$dir"
  cp "${sources[@]}" "$dir/"
  (cd "$dir" && GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS=-buildvcs=false \
     "$GO" build -trimpath -o "$bin.tmp" .)
  mv "$bin.tmp" "$bin"
  echo "$stamp" > "$bin.stamp"
  echo "ready: go x/crypto $DEBIAN_VERSION debian12 (Debian $pkg)"
}

build_debian
for v in "${PROXY_VERSIONS[@]}"; do
  build_proxy "$v"
done
