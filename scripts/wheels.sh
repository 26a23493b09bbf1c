#!/usr/bin/env bash
# Puts wheels for every requirement of the example apps in examples/<app>/wheels, so their
# images build with no index access inside the build (the Dockerfiles install from
# ./wheels when it is there). Built with this machine's Python 3.11, which matches the
# Python of ecsdeploy/python-base:3.11 (scripts/base-image.sh). Cached: an app whose
# requirements.txt has not changed since its last run is skipped.
#   bash scripts/wheels.sh [api] [ui]      (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
APPS=("$@")
[ ${#APPS[@]} -gt 0 ] || APPS=(api ui)

for app in "${APPS[@]}"; do
    dir="examples/$app"
    [ -f "$dir/requirements.txt" ] || { echo "[wheels] no $dir/requirements.txt" >&2; exit 1; }
    stamp="$dir/wheels/.requirements.sha256"
    want="$(sha256sum "$dir/requirements.txt" | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        echo "[wheels] $dir/wheels is up to date"
        continue
    fi
    echo "[wheels] building wheels for $dir (a few minutes the first time)"
    rm -rf "$dir/wheels"
    mkdir -p "$dir/wheels"
    SECONDS=0
    timeout 1200 "$PYTHON" -m pip wheel --quiet --disable-pip-version-check \
        -r "$dir/requirements.txt" -w "$dir/wheels"
    echo "$want" > "$stamp"
    echo "[wheels] $dir/wheels: $(ls "$dir/wheels" | wc -l) files in ${SECONDS}s"
done
