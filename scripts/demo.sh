#!/usr/bin/env bash
# The demo: the example app (an ML model API and its UI) built, pushed and deployed to a
# local AWS emulator (a moto server on 127.0.0.1) with a local registry standing in for
# ECR, then shown, re-planned (no changes) and removed. No AWS account is needed.
#
# Docker: a running engine is used as it is; as root on Debian, scripts/docker-env.sh
# installs and starts one (docker.io) and the registry (docker-registry) when missing.
# The images build from a local Debian base image (scripts/base-image.sh) with wheels
# made on this machine (scripts/wheels.sh): no public image registry is needed.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
PORT="${ECSDEPLOY_DEMO_PORT:-$($BIN/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
CONFIG="${1:-configs/demo.yaml}"
STARTED_DOCKER=0
REGISTRY="${ECSDEPLOY_REGISTRY:-127.0.0.1:5001}"
mkdir -p .demo

if ! timeout 20 docker info >/dev/null 2>&1 || ! curl -sf -m 3 "http://$REGISTRY/v2/" >/dev/null; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "The demo builds real images and needs a Docker engine and a registry on $REGISTRY." >&2
        echo "Missing: $(timeout 20 docker info >/dev/null 2>&1 || echo 'a Docker engine (docker info fails)') $(curl -sf -m 3 "http://$REGISTRY/v2/" >/dev/null || echo "a registry on $REGISTRY")" >&2
        echo "Start Docker, then run: bash scripts/docker-env.sh (as root on Debian it installs both)." >&2
        exit 1
    fi
    echo "==> starting Docker and a local registry (scripts/docker-env.sh)"
    bash scripts/docker-env.sh
    STARTED_DOCKER=1
fi
echo "==> base image and wheels for the example images"
bash scripts/base-image.sh
PYTHON="$BIN/python" bash scripts/wheels.sh api ui

echo "==> starting a local AWS emulator (moto server) on 127.0.0.1:$PORT"
MOTO_IAM_LOAD_MANAGED_POLICIES=true $BIN/python scripts/emulator.py -H 127.0.0.1 -p "$PORT" \
    > .demo/moto.log 2>&1 &
MOTO_PID=$!
cleanup() {
    kill "$MOTO_PID" 2>/dev/null || true
    wait "$MOTO_PID" 2>/dev/null || true
    if [ "${STARTED_DOCKER:-0}" = 1 ]; then  # stop what the demo started, nothing else
        for pidfile in /var/run/ecsdeploy-registry.pid /var/run/ecsdeploy-dockerd.pid; do
            [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
        done
    fi
}
trap cleanup EXIT
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
export ECSDEPLOY_REGISTRY="$REGISTRY"
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_DEFAULT_REGION=us-west-2
unset AWS_PROFILE AWS_SESSION_TOKEN

run() { echo; echo "==> ecsdeploy $*"; $BIN/ecsdeploy "$@"; }
echo "==> creating the SSM parameter the spec's secrets name (in the emulator)"
$BIN/python -c "import boto3; boto3.client('ssm').put_parameter(Name='/mlapp/api-token', Value='demo-token', Type='SecureString', Overwrite=True)"
run validate "$CONFIG"
run verify "$CONFIG"
run up "$CONFIG" --yes --no-wait  # moto never starts tasks: no rollout to wait for
run status "$CONFIG"
run plan "$CONFIG"
run down "$CONFIG" --yes
echo
echo "==> demo finished; the emulator is stopped"
