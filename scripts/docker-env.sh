#!/usr/bin/env bash
# Makes `docker build/run/push` work on a bare Debian 12 machine (dev box or CI, as root,
# no systemd, no Docker Hub): installs Debian's docker.io if needed, starts dockerd in the
# background, and starts a local registry (Debian's docker-registry) on 127.0.0.1:5001.
# Idempotent: whatever already works is left alone. Safe to run with no stdin.
#   bash scripts/docker-env.sh           # set up (about 15 s cold, <1 s when all is up)
#   bash scripts/docker-env.sh --check   # ...then push a tiny image to the registry as a test
# Env overrides:
#   ECSDEPLOY_DOCKERD_FLAGS   extra dockerd flags; default: no iptables rules, no IP forwarding,
#                             no masquerading, so containers reach nothing but this machine
#                             (builds are offline; -p 127.0.0.1:PORT:PORT works via docker-proxy)
#   ECSDEPLOY_STORAGE_DRIVER  overlay2 or vfs; default: overlay2 if an overlay mount works here
#   ECSDEPLOY_REGISTRY_PORT   default 5001
# Logs: /var/log/ecsdeploy-dockerd.log, /var/log/ecsdeploy-registry.log
# PIDs: /var/run/docker.pid, /var/run/ecsdeploy-registry.pid
set -euo pipefail

REGISTRY_PORT="${ECSDEPLOY_REGISTRY_PORT:-5001}"
REGISTRY="127.0.0.1:$REGISTRY_PORT"
REGISTRY_DIR=/var/lib/ecsdeploy-registry
REGISTRY_CONFIG=/etc/ecsdeploy/registry.yml
REGISTRY_LOG=/var/log/ecsdeploy-registry.log
REGISTRY_PID=/var/run/ecsdeploy-registry.pid
DOCKERD_LOG=/var/log/ecsdeploy-dockerd.log
DOCKERD_PID=/var/run/docker.pid
STARTED_PID=/var/run/ecsdeploy-dockerd.pid # pid of the dockerd this script started
DOCKERD_FLAGS="${ECSDEPLOY_DOCKERD_FLAGS:---iptables=false --ip-forward=false --ip-masq=false}"
WAIT_SECONDS=60
CHECK=0
[ "${1:-}" = --check ] && CHECK=1

log() { echo "[docker-env] $*"; }
die() { echo "[docker-env] ERROR: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }
engine_up() { timeout 20 docker info >/dev/null 2>&1; }
registry_up() { curl -sf -m 3 "http://$REGISTRY/v2/" >/dev/null 2>&1; }
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

APT_UPDATED=0
apt_install() { # apt_install PKG... (apt-get update at most once per run)
    is_root || die "need root to install $*"
    command -v apt-get >/dev/null || die "no apt-get: install $* by hand"
    if [ "$APT_UPDATED" = 0 ]; then
        log "apt-get update"
        timeout 300 apt-get update -qq || die "apt-get update failed"
        APT_UPDATED=1
    fi
    log "apt-get install $*"
    # Keep the packages' init scripts from starting their own daemons with their default
    # settings: this script starts them itself. Debian's container images already have this.
    local own_policy=0 rc=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends "$@" \
        >/tmp/ecsdeploy-apt.log 2>&1 || rc=$?
    [ "$own_policy" = 0 ] || rm -f /usr/sbin/policy-rc.d
    [ "$rc" = 0 ] || { tail -20 /tmp/ecsdeploy-apt.log >&2; die "apt-get install $* failed"; }
}

storage_driver() { # overlay2 if the kernel can mount an overlay on /var/lib's filesystem, else vfs
    if [ -n "${ECSDEPLOY_STORAGE_DRIVER:-}" ]; then echo "$ECSDEPLOY_STORAGE_DRIVER"; return; fi
    local d rc=1
    d="$(mktemp -d /var/lib/.ecsdeploy-overlay-probe.XXXXXX)"
    mkdir -p "$d/l" "$d/u" "$d/w" "$d/m"
    if mount -t overlay overlay -o "lowerdir=$d/l,upperdir=$d/u,workdir=$d/w" "$d/m" 2>/dev/null; then
        umount "$d/m"; rc=0
    fi
    rm -rf "$d"
    if [ "$rc" = 0 ]; then echo overlay2; else echo vfs; fi
}

wait_for() { # wait_for WHAT SECONDS PIDFILE COMMAND...
    local what="$1" secs="$2" pidfile="$3"; shift 3
    log "waiting up to ${secs}s for $what"
    local deadline=$((SECONDS + secs))
    until "$@"; do
        if [ -n "$pidfile" ] && [ -e "$pidfile" ] && ! alive "$pidfile"; then return 1; fi
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.5
    done
}

# One run at a time. The daemons started below get `9>&-` so they do not inherit (and hold) the lock.
exec 9>/var/lock/ecsdeploy-docker-env.lock
flock -w 300 9 || die "another docker-env.sh is still running (lock /var/lock/ecsdeploy-docker-env.lock)"

# ---- 1. the engine -------------------------------------------------------------------------
if engine_up; then
    log "Docker engine already answers ($(docker info -f '{{.ServerVersion}}, storage {{.Driver}}' 2>/dev/null)); leaving it alone"
else
    is_root || die "no Docker engine answers and this is not root: cannot install or start dockerd (run as root, or start Docker yourself)"
    if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
        apt_install docker.io
    fi
    if [ -d /run/systemd/system ]; then
        log "systemd is running: systemctl start docker"
        systemctl start docker || true
    elif alive "$DOCKERD_PID"; then
        log "dockerd (pid $(cat "$DOCKERD_PID")) is running but not answering yet"
    else
        driver="$(storage_driver)"
        log "starting: dockerd --storage-driver=$driver $DOCKERD_FLAGS (log $DOCKERD_LOG)"
        rm -f "$DOCKERD_PID" "$STARTED_PID"
        # sh writes its own pid, then becomes dockerd: the pidfile is right even if setsid forks,
        # and stays behind if dockerd dies, so the wait below stops early.
        # shellcheck disable=SC2016,SC2086
        setsid nohup sh -c 'echo $$ >"$0"; shift; exec dockerd "$@"' "$STARTED_PID" \
            --storage-driver="$driver" --pidfile="$DOCKERD_PID" $DOCKERD_FLAGS \
            >>"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &
        sleep 0.2
    fi
    if ! wait_for "'docker info' to answer" "$WAIT_SECONDS" "$STARTED_PID" engine_up; then
        tail -25 "$DOCKERD_LOG" >&2 2>/dev/null || true
        die "dockerd did not come up within ${WAIT_SECONDS}s (log: $DOCKERD_LOG)"
    fi
    log "Docker engine up: $(docker info -f 'server {{.ServerVersion}}, storage {{.Driver}}, cgroup {{.CgroupDriver}}'), dockerd pid $(cat "$DOCKERD_PID" 2>/dev/null || echo '?')"
fi

# ---- 2. the local registry on 127.0.0.1:$REGISTRY_PORT -------------------------------------
if registry_up; then
    log "registry already answers on http://$REGISTRY/v2/; leaving it alone"
else
    if (exec 3<>"/dev/tcp/127.0.0.1/$REGISTRY_PORT") 2>/dev/null; then
        die "something listens on $REGISTRY but is not a Docker registry (no answer on /v2/)"
    fi
    is_root || die "no registry on $REGISTRY and this is not root: cannot install or start one"
    command -v docker-registry >/dev/null || apt_install docker-registry
    mkdir -p "$REGISTRY_DIR" "$(dirname "$REGISTRY_CONFIG")"
    cat >"$REGISTRY_CONFIG" <<EOF
# Written by scripts/docker-env.sh: a plain local registry, loopback only, no auth.
version: 0.1
log:
  level: info
  fields:
    service: ecsdeploy-registry
storage:
  filesystem:
    rootdirectory: $REGISTRY_DIR
  delete:
    enabled: true
http:
  addr: $REGISTRY
  headers:
    X-Content-Type-Options: [nosniff]
EOF
    log "starting: docker-registry serve $REGISTRY_CONFIG (storage $REGISTRY_DIR, log $REGISTRY_LOG)"
    # sh writes its own pid, then becomes the registry: the pidfile is right even if setsid forks.
    # shellcheck disable=SC2016
    setsid nohup sh -c 'echo $$ >"$0"; exec docker-registry serve "$1"' "$REGISTRY_PID" "$REGISTRY_CONFIG" \
        >>"$REGISTRY_LOG" 2>&1 </dev/null 9>&- &
    sleep 0.2
    if ! wait_for "http://$REGISTRY/v2/ to answer" 30 "$REGISTRY_PID" registry_up; then
        tail -20 "$REGISTRY_LOG" >&2 2>/dev/null || true
        die "the registry did not come up on $REGISTRY (log: $REGISTRY_LOG)"
    fi
    log "registry up on http://$REGISTRY (pid $(cat "$REGISTRY_PID"))"
fi

# ---- 3. optional end-to-end check: push a one-file image -----------------------------------
if [ "$CHECK" = 1 ]; then
    ref="$REGISTRY/ecsdeploy/env-check:latest"
    tmp="$(mktemp -d)"
    echo "ecsdeploy docker-env check" >"$tmp/check.txt"
    tar -C "$tmp" -c check.txt | docker import - "$ref" >/dev/null
    rm -rf "$tmp"
    log "check: docker push $ref"
    timeout 120 docker push "$ref" >/dev/null || die "docker push $ref failed"
    docker rmi "$ref" >/dev/null
    timeout 120 docker pull "$ref" >/dev/null || die "docker pull $ref failed"
    docker rmi "$ref" >/dev/null
    log "check: push and pull through $REGISTRY work ($(curl -sf "http://$REGISTRY/v2/_catalog"))"
fi

log "ready: docker -> $(docker info -f '{{.ServerVersion}} ({{.Driver}})'), registry -> http://$REGISTRY (images: $REGISTRY/NAME:TAG)"
