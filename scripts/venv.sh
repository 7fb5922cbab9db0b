# Sourced by scripts/demo and scripts/test: make ./.venv with a working pip.
VENV="${SSHDOCTOR_VENV:-.venv}"
if [ ! -x "$VENV/bin/pip" ]; then
  if ! python3 -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      python3 -m venv "$VENV"
    else
      echo "sshdoctor: python3 cannot create a virtual environment; install it: sudo apt-get install -y python3-venv" >&2
      exit 1
    fi
  fi
  "$VENV/bin/pip" install -q --upgrade pip >/dev/null 2>&1 || true
fi
