#!/usr/bin/env bash
# The Python SSH libraries of the lab: paramiko, AsyncSSH and Twisted Conch from PyPI, each release in a venv of
# its own made with Debian's /usr/bin/python3, every package pinned. A venv whose stamp equals its pin list is
# reused as it is; the wheels live under the prefix so a rebuilt venv downloads nothing.
set -euo pipefail
prefix="${SSHDOCTOR_LAB_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/sshdoctor-lab}/python"
mkdir -p "$prefix"
export PIP_CACHE_DIR="$prefix/pip-cache" PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_NO_WARN_SCRIPT_LOCATION=1

# python3-venv brings ensurepip; libnettle8 gives AsyncSSH its umac-* MACs (loaded with ctypes when present).
missing=()
for pkg in python3-venv libnettle8; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  }
fi
pyver="$(/usr/bin/python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"

# name | pinned requirements (the library, its crypto backend and every dependency pip would pick)
common="cffi==2.1.1 pycparser==3.12"
specs=(
  "paramiko-2.7.2|paramiko==2.7.2 cryptography==40.0.2 bcrypt==5.0.0 PyNaCl==1.6.2 six==1.17.0 $common"
  "paramiko-2.12.0|paramiko==2.12.0 cryptography==50.0.2 bcrypt==5.0.0 PyNaCl==1.6.2 six==1.17.0 $common"
  "paramiko-3.0.0|paramiko==3.0.0 cryptography==50.0.2 bcrypt==5.0.0 PyNaCl==1.6.2 $common"
  "paramiko-3.4.1|paramiko==3.4.1 cryptography==50.0.2 bcrypt==5.0.0 PyNaCl==1.6.2 $common"
  "paramiko-3.5.1|paramiko==3.5.1 cryptography==50.0.2 bcrypt==5.0.0 PyNaCl==1.6.2 $common"
  "paramiko-4.0.0|paramiko==4.0.0 cryptography==50.0.2 bcrypt==5.0.0 PyNaCl==1.6.2 invoke==3.0.3 $common"
  "paramiko-5.1.0|paramiko==5.1.0 cryptography==50.0.2 bcrypt==5.0.0 PyNaCl==1.6.2 invoke==3.0.3 $common"
  "asyncssh-2.13.0|asyncssh==2.13.0 cryptography==50.0.2 typing_extensions==4.16.0 $common"
  "asyncssh-2.14.2|asyncssh==2.14.2 cryptography==50.0.2 typing_extensions==4.16.0 $common"
  "asyncssh-2.19.0|asyncssh==2.19.0 cryptography==50.0.2 typing_extensions==4.16.0 $common"
  "asyncssh-2.24.1|asyncssh==2.24.1 cryptography==50.0.2 typing_extensions==4.16.0 $common"
  "twisted-22.4.0|Twisted[conch]==22.4.0 cryptography==50.0.2 appdirs==1.4.4 attrs==26.1.0 Automat==25.4.16 bcrypt==5.0.0 constantly==23.10.4 hyperlink==21.0.0 idna==3.20 Incremental==24.11.0 packaging==26.4 pyasn1==0.6.5 typing_extensions==4.16.0 zope.interface==8.7 $common"
  "twisted-26.10.0|Twisted[conch]==26.10.0 cryptography==50.0.2 appdirs==1.4.4 attrs==26.1.0 Automat==25.4.16 bcrypt==5.0.0 constantly==23.10.4 hyperlink==21.0.0 idna==3.20 Incremental==24.11.0 packaging==26.4 typing_extensions==4.16.0 zope.interface==8.7 $common"
)

# One pip (in a small tools venv) installs into every venv (pip --python), from a wheelhouse under the prefix:
# each wheel is downloaded once for all venvs (the registry's answers are not kept by pip's HTTP cache), and
# a venv needs no pip of its own.
tools="$prefix/.tools"
wheels="$prefix/wheels"
if [ ! -x "$tools/bin/python" ]; then
  /usr/bin/python3 -m venv "$tools"
fi
mkdir -p "$wheels"
pip=("$tools/bin/python" -m pip)

for spec in "${specs[@]}"; do
  name="${spec%%|*}"
  reqs="${spec#*|}"
  dir="$prefix/$name"
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.sshdoctor-stamp" 2>/dev/null)" = "$reqs" ]; then
    echo "ready: $name (cached)"
    continue
  fi
  rm -rf "$dir"
  /usr/bin/python3 -m venv --without-pip "$dir"
  # shellcheck disable=SC2086  # the pin list is meant to split into words
  if ! "${pip[@]}" --python "$dir/bin/python" install -q --no-index --find-links "$wheels" $reqs 2>/dev/null; then
    "${pip[@]}" download -q --only-binary=:all: --python-version "$pyver" --no-deps -d "$wheels" $reqs
    "${pip[@]}" --python "$dir/bin/python" install -q --no-index --find-links "$wheels" $reqs
  fi
  echo "$reqs" > "$dir/.sshdoctor-stamp"
  echo "ready: $name"
done
