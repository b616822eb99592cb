#!/usr/bin/env bash
# Make sure VENV is a virtual environment of PYTHON that make finished setting up; if it is
# not, delete it and create it again, empty. make runs this before every install step.
#
# A venv is rebuilt, never reused, when
#   - its python is another interpreter than PYTHON (another version, implementation or build),
#     or does not run at all;
#   - an install step into it failed or was interrupted (make leaves VENV/.incomplete then);
#   - make did not make it (no VENV/.made-by-make marker, e.g. a venv made by hand).
# A venv whose python matches and that the earlier Makefile completed (VENV/.installed) is
# adopted: make then installs into it what its stamps say is missing.
#
# Usage: bash scripts/ensure_venv.sh PYTHON VENV [extra arguments for `python -m venv`]
set -euo pipefail

python=$1
venv=$2
shift 2

# Implementation, full version string (with build date and compiler) and installation prefix:
# a venv's python reports the same three as the interpreter that made it.
identity='import sys; print(sys.implementation.name, " ".join(sys.version.split()), sys.base_prefix)'
want=$("$python" -c "$identity") || {
    echo "ensure_venv: cannot run $python; give another with: make PYTHON=/path/to/python3.11" >&2
    exit 1
}
read -r major minor < <("$python" -c 'import sys; print(*sys.version_info[:2])')
if [ "$major" -lt 3 ] || { [ "$major" -eq 3 ] && [ "$minor" -lt 11 ]; }; then
    echo "ensure_venv: layerkit needs Python 3.11 or newer, and $python is $major.$minor;" \
        "give another with: make PYTHON=/path/to/python3.11" >&2
    exit 1
fi
marker="$venv/.made-by-make"

reason=""
if [ -e "$venv" ] || [ -L "$venv" ]; then
    have=$("$venv/bin/python" -c "$identity" 2>/dev/null) || have=""
    if [ -z "$have" ]; then
        reason="its python does not run"
    elif [ "$have" != "$want" ]; then
        reason="it was made by another Python ($have), not by $python ($want)"
    elif [ -e "$venv/.incomplete" ]; then
        reason="an earlier set-up did not finish"
    elif [ -f "$marker" ]; then
        exit 0
    elif [ -f "$venv/.installed" ]; then
        echo "$want" >"$marker"  # complete, made by the earlier Makefile: keep it
        exit 0
    else
        reason="make did not make it"
    fi
    echo "ensure_venv: rebuilding $venv: $reason"
    rm -rf "$venv"
fi

"$python" -m venv "$@" "$venv"
echo "$want" >"$marker"
