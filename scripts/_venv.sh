# Sourced by the scripts: make (once) and activate the project's virtualenv in .venv,
# installing hf_pure from this checkout with the extras named in $HF_PURE_EXTRAS.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="${HF_PURE_VENV:-$root/.venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
# shellcheck disable=SC1091
. "$venv/bin/activate"
stamp="$venv/.hf_pure-installed-${HF_PURE_EXTRAS:-none}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  python -m pip install --quiet --disable-pip-version-check -e ".${HF_PURE_EXTRAS:+[$HF_PURE_EXTRAS]}"
  touch "$stamp"
fi
