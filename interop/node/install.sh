#!/usr/bin/env bash
# The npm package ssh2, one `npm install --prefix` folder per pinned version under
# $SSHDOCTOR_LAB_PREFIX/node/ssh2-<version>; client.js and server.js (here) take that folder.
# Installed without install scripts and optional dependencies: no native crypto binding and no
# cpu-features, so the default lists do not depend on a compiler or on the CPU (see the profile).
set -euo pipefail
prefix="${SSHDOCTOR_LAB_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/sshdoctor-lab}/node"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  for p in nodejs npm; do
    dpkg -s "$p" >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null
  done
fi
mkdir -p "$prefix"
# Node trusts only its own bundled CAs; add the system's, so a machine whose HTTPS goes through a
# proxy with a local CA (as pip, Go and Maven here trust it through the system store) reaches npm too.
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r /etc/ssl/certs/ca-certificates.crt ]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi
export npm_config_cache="$prefix/npm-cache" npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
# version -> extra packages pinned with it (0.8.x takes its protocol code from ssh2-streams)
declare -A extra=([0.8.9]="ssh2-streams@0.4.10" [1.4.0]="" [1.11.0]="" [1.16.0]="" [1.17.0]="")
for version in 0.8.9 1.4.0 1.11.0 1.16.0 1.17.0; do
  dir="$prefix/ssh2-$version"
  stamp="$dir/.sshdoctor-ready"
  installed() { node -p "require('$dir/node_modules/ssh2/package.json').version" 2>/dev/null; }
  if [ -f "$stamp" ] && [ "$(installed)" = "$version" ]; then
    echo "ready: ssh2 $version ($dir, already installed)"
    continue
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  # shellcheck disable=SC2086
  npm install --prefix "$dir" --save-exact --ignore-scripts --omit=optional --no-package-lock --loglevel=error \
    "ssh2@$version" ${extra[$version]} >/dev/null
  [ "$(installed)" = "$version" ] || { echo "ssh2 $version did not install" >&2; exit 1; }
  touch "$stamp"
  echo "ready: ssh2 $version ($dir)"
done
