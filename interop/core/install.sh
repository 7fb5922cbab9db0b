#!/usr/bin/env bash
# Debian 12's own programs: OpenSSH, Dropbear and PuTTY come from scripts/test's apt-get; nothing to build.
set -euo pipefail
for p in ssh sshd dbclient dropbear plink; do
  command -v "$p" >/dev/null || [ -x "/usr/sbin/$p" ] || { echo "missing $p" >&2; exit 1; }
  echo "ready: $p"
done
