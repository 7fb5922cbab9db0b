#!/usr/bin/env bash
# Ruby net-ssh from Debian 12 (ruby-net-ssh 7.0.1, with ruby-ed25519 and ruby-bcrypt-pbkdf as its dependencies).
# Debian ships no x25519 gem, so net-ssh offers no curve25519 key exchange here: the lab's client is the
# "no-x25519" variant. Nothing is built; the harness is a Ruby script run by /usr/bin/ruby.
set -euo pipefail
missing=()
for pkg in ruby ruby-net-ssh; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  }
fi
version="$(/usr/bin/ruby -e 'require "net/ssh"; print Net::SSH::Version::STRING')"
[ "$version" = "7.0.1" ] || { echo "net-ssh is $version, the lab expects 7.0.1" >&2; exit 1; }
if /usr/bin/ruby -e 'require "x25519"' 2>/dev/null; then
  echo "note: an x25519 gem is installed, so net-ssh offers curve25519 (the no-x25519 client then differs from its profile)" >&2
fi
echo "ready: net-ssh $version (no-x25519)"
