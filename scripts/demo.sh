#!/usr/bin/env bash
# The demo: the example app's network and IAM layers deployed to a local AWS emulator
# (a moto server on 127.0.0.1), shown, re-planned (no changes), and removed.
# No AWS account is needed; nothing leaves this machine.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
PORT="${ECSDEPLOY_DEMO_PORT:-$($BIN/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
CONFIG="${1:-configs/example.yaml}"
mkdir -p .demo

echo "==> starting a local AWS emulator (moto server) on 127.0.0.1:$PORT"
MOTO_IAM_LOAD_MANAGED_POLICIES=true $BIN/python -m moto.server -H 127.0.0.1 -p "$PORT" \
    > .demo/moto.log 2>&1 &
MOTO_PID=$!
trap 'kill $MOTO_PID 2>/dev/null || true; wait $MOTO_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    if $BIN/python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/moto-api/', timeout=1)" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$MOTO_PID" 2>/dev/null; then
        echo "the emulator exited; see .demo/moto.log" >&2
        exit 1
    fi
    sleep 0.2
done

export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT"
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_DEFAULT_REGION=us-west-2
unset AWS_PROFILE AWS_SESSION_TOKEN

run() { echo; echo "==> ecsdeploy $*"; $BIN/ecsdeploy "$@"; }
run validate "$CONFIG"
run up "$CONFIG" --yes --no-wait  # moto never starts tasks: no rollout to wait for
run status "$CONFIG"
run plan "$CONFIG"
run down "$CONFIG" --yes
echo
echo "==> demo finished; the emulator is stopped"
