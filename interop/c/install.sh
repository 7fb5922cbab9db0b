#!/usr/bin/env bash
# libssh, libssh2 and tinysshd for the interop lab (interop/README.md):
#   Debian libssh-dev (0.10.6) and libssh2-1-dev (1.10.0) with our C harnesses built against them,
#   PyPI ssh-python 1.0.0 (libssh 0.10.4) and 1.2.0.post1 (libssh 0.11.3), ssh2-python 1.2.0.post1 (libssh2 1.11.1),
#   one venv each, and Debian tinysshd behind our per-connection starter.
# Idempotent: a stamp per pinned venv; a harness binary is rebuilt only when its source (or the library) changes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix="${SSHDOCTOR_LAB_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/sshdoctor-lab}/c"
mkdir -p "$prefix/bin"

debs="libssh-dev libssh2-1-dev tinysshd gcc"
missing=""
for p in $debs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  apt() { DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 "$@"; }
  # A machine whose package lists were cleaned needs an update first.
  apt install -y -qq $missing >/dev/null 2>&1 || { apt update -qq && apt install -y -qq $missing >/dev/null; }
fi
echo "ready: libssh $(dpkg-query -W -f='${Version}' libssh-dev), libssh2 $(dpkg-query -W -f='${Version}' libssh2-1-dev), tinysshd $(dpkg-query -W -f='${Version}' tinysshd)"

build() {  # build NAME LIB PACKAGE: interop/c/NAME.c -> $prefix/bin/NAME, linked with -lLIB from PACKAGE
  local name="$1" lib="$2" stamp
  stamp="$(sha256sum "$here/$name.c" | cut -d' ' -f1) $(dpkg-query -W -f='${Version}' "$3")"
  if [ -x "$prefix/bin/$name" ] && [ "$(cat "$prefix/bin/$name.stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "ready: $name (built)"
    return
  fi
  gcc -O2 -Wall -Wextra -Werror -o "$prefix/bin/$name.tmp" "$here/$name.c" "-l$lib"
  mv "$prefix/bin/$name.tmp" "$prefix/bin/$name"
  echo "$stamp" > "$prefix/bin/$name.stamp"
  echo "ready: $name (compiled)"
}
build libssh-client ssh libssh-dev
build libssh-server ssh libssh-dev
build libssh2-client ssh2 libssh2-1-dev

venv() {  # venv DIST VERSION: $prefix/DIST-VERSION with DIST==VERSION from PyPI
  local dist="$1" version="$2" dir="$prefix/$1-$2"
  if [ -f "$dir/.installed-$dist==$version" ] && "$dir/bin/python" -c "import sys" 2>/dev/null; then
    echo "ready: $dist $version"
    return
  fi
  rm -rf "$dir"
  /usr/bin/python3 -m venv "$dir"
  "$dir/bin/pip" install -q --disable-pip-version-check --no-cache-dir "$dist==$version"
  touch "$dir/.installed-$dist==$version"
  echo "ready: $dist $version (installed)"
}
venv ssh-python 1.0.0
venv ssh-python 1.2.0.post1
venv ssh2-python 1.2.0.post1
