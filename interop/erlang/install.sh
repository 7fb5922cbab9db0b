#!/usr/bin/env bash
# Erlang/OTP's ssh application for the interop lab (interop/README.md): Debian erlang-base and erlang-ssh
# (OTP 25, ssh 4.15.2) and our harness modules compiled with erlc into $SSHDOCTOR_LAB_PREFIX/erlang/ebin.
# Idempotent: the modules are recompiled only when their source (or the Erlang package) changes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix="${SSHDOCTOR_LAB_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/sshdoctor-lab}/erlang"
mkdir -p "$prefix/ebin"

debs="erlang-base erlang-ssh"
missing=""
for p in $debs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  apt() { DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 "$@"; }
  # A machine whose package lists were cleaned needs an update first.
  apt install -y -qq $missing >/dev/null 2>&1 || { apt update -qq && apt install -y -qq $missing >/dev/null; }
fi
echo "ready: erlang-ssh $(dpkg-query -W -f='${Version}' erlang-ssh)"

stamp="$(cat "$here"/*.erl | sha256sum | cut -d' ' -f1) $(dpkg-query -W -f='${Version}' erlang-ssh)"
if [ "$(cat "$prefix/ebin/.stamp" 2>/dev/null)" = "$stamp" ] && [ -f "$prefix/ebin/sshdoctor_erl_client.beam" ]; then
  echo "ready: harness modules (built)"
else
  rm -f "$prefix/ebin/"*.beam
  erlc -Werror -o "$prefix/ebin" "$here"/*.erl
  echo "$stamp" > "$prefix/ebin/.stamp"
  echo "ready: harness modules (compiled)"
fi
