# Sourced by the scripts: make (once) and enter the project's virtual environment.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${DECONFLICTION_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
fi
STAMP="$VENV/.installed-$1"
if [ ! -f "$STAMP" ] || [ "$ROOT/pyproject.toml" -nt "$STAMP" ]; then
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT[$1]"
    touch "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
cd "$ROOT"
# the console's front-end packages, again whenever the lockfile or the build script changes
VENDOR="$ROOT/src/deconfliction/console/vendor/versions.json"
if [ ! -f "$VENDOR" ] || [ "$ROOT/web/package-lock.json" -nt "$VENDOR" ] \
    || [ "$ROOT/web/build.mjs" -nt "$VENDOR" ]; then
    "$ROOT/scripts/console-build"
fi
