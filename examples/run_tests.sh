#!/usr/bin/env bash
# Test the example apps (examples/api, examples/ui) in their own venv, examples/.venv.
#
#   bash examples/run_tests.sh        # from anywhere; PYTHON=python3.11 to pick the interpreter
#
# Creates the venv if missing, installs both apps' pinned requirements and test tools in one
# resolve (skipped when the requirement files are unchanged since the last successful
# install), then runs each app's tests from the repo root. Exits non-zero if any step fails;
# both test suites run even when the first one fails.
set -euo pipefail

EXAMPLES="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$EXAMPLES")"
VENV="$EXAMPLES/.venv"
PYTHON="${PYTHON:-python3}"
REQUIREMENTS=(
    "$EXAMPLES/api/requirements.txt" "$EXAMPLES/api/requirements-dev.txt"
    "$EXAMPLES/ui/requirements.txt" "$EXAMPLES/ui/requirements-dev.txt"
)
started=$SECONDS

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi

stamp="$VENV/.requirements.sha256"
wanted="$(cat "${REQUIREMENTS[@]}" | sha256sum | cut -d' ' -f1)"
if [[ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]]; then
    echo "installing the example apps' requirements into $VENV"
    rm -f "$stamp"
    pip_args=()
    for file in "${REQUIREMENTS[@]}"; do pip_args+=(-r "$file"); done
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${pip_args[@]}"
    echo "$wanted" >"$stamp"
else
    echo "requirements already installed in $VENV"
fi
echo "install: $((SECONDS - started)) s"

# Nothing below may need a display or any network beyond 127.0.0.1.
export MPLBACKEND=Agg PYTHONDONTWRITEBYTECODE=1 STREAMLIT_BROWSER_GATHER_USAGE_STATS=false
unset AWS_ENDPOINT_URL AWS_PROFILE MODEL_URI API_URL

cd "$ROOT"
status=0
tests_started=$SECONDS
for app in api ui; do
    echo "== examples/$app"
    "$VENV/bin/python" -m pytest -q -p no:cacheprovider "examples/$app/tests" || status=$?
done
echo "tests: $((SECONDS - tests_started)) s, total: $((SECONDS - started)) s"
exit "$status"
