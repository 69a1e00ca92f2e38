#!/usr/bin/env bash
# Makes the Python environments of the exporter tests (idempotent: a second run checks a stamp and
# returns in well under a second).
#   PyTorch side: Debian's python3-torch, python3-pytest and python3-numpy for /usr/bin/python3
#                 (installed by scripts/setup.sh).
#   Keras side:   a venv from /usr/bin/python3 with scripts/requirements-tf.txt (tensorflow-cpu from
#                 PyPI), kept apart from Debian's torch because their numpy versions clash.
# The venv is $RTN_VENV_TF, default $RTN_BUILD_DIR/venv-tf (build/venv-tf), where CTest looks for it
# (tests/python/CMakeLists.txt; for another place configure with -DRTN_PYTHON_TF=VENV/bin/python).
# Time: about 1 min 45 s with an empty pip cache, 35 s with a warm one, well under a second when done.
#   scripts/setup_python.sh          make or update the venv
#   RTN_SKIP_PYTHON_TF=1 ...         do nothing (the Keras tests then fail: the venv is missing)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${RTN_BUILD_DIR:-$root/build}
venv=${RTN_VENV_TF:-$build_dir/venv-tf}
requirements="$root/scripts/requirements-tf.txt"
python=/usr/bin/python3  # Debian's python, not a pyenv or conda one first on PATH

[ "${RTN_SKIP_PYTHON_TF:-0}" = 1 ] && { echo "setup_python: skipped (RTN_SKIP_PYTHON_TF=1)"; exit 0; }

stamp="$venv/.rtn-requirements"
wanted="$("$python" --version 2>&1) $(sha256sum "$requirements" | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  echo "setup_python: $venv is up to date"
  exit 0
fi

start=$(date +%s)
if [ ! -x "$venv/bin/python" ]; then
  "$python" -c "import ensurepip, venv" 2>/dev/null \
    || { echo "setup_python: $python has no venv module: apt-get install python3-venv (scripts/setup.sh does)" >&2; exit 1; }
  echo "setup_python: creating $venv"
  mkdir -p "$(dirname "$venv")"
  "$python" -m venv "$venv"
fi
echo "setup_python: installing $(grep -v '^#' "$requirements" | xargs) into $venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
echo "$wanted" > "$stamp"
echo "setup_python: done in $(( $(date +%s) - start ))s"
