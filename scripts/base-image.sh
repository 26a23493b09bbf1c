#!/usr/bin/env bash
# Builds the local Docker image ecsdeploy/python-base:3.11 (Debian 12 + its Python 3.11) with
# debootstrap + `docker import`, for machines that cannot pull python:3.11-slim. Use it as
#   docker build --build-arg BASE_IMAGE=ecsdeploy/python-base:3.11 ...
# Idempotent and cached:
#   - image ecsdeploy/python-base:3.11-<hash> exists  -> nothing to do (<hash> = this script's sha256)
#   - rootfs tarball in $CACHE_DIR exists             -> only `docker import` (a few seconds)
#   - otherwise                                        -> debootstrap (downloads .debs, cached too)
# Needs root, a running Docker engine (scripts/docker-env.sh starts one) and a Debian mirror.
# Env: ECSDEPLOY_CACHE_DIR (/var/cache/ecsdeploy), ECSDEPLOY_DEBIAN_MIRROR, ECSDEPLOY_SECURITY_MIRROR,
#      ECSDEPLOY_BASE_UPGRADE=0 to skip applying bookworm-updates/security, FORCE=1 to rebuild.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
IMAGE=ecsdeploy/python-base
SUITE=bookworm # Debian 12: python3 is 3.11, glibc 2.36 -> cp311 manylinux wheels built on the host fit
PACKAGES=python3,python3-venv,python3-pip,python-is-python3,ca-certificates,curl
MIRROR="${ECSDEPLOY_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${ECSDEPLOY_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
CACHE_DIR="${ECSDEPLOY_CACHE_DIR:-/var/cache/ecsdeploy}"
UPGRADE="${ECSDEPLOY_BASE_UPGRADE:-1}"
HASH="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)"
TAG="3.11-$HASH"
TARBALL="$CACHE_DIR/python-base-$TAG.tar"

log() { echo "[base-image] $*"; }
die() { echo "[base-image] ERROR: $*" >&2; exit 1; }
SECONDS=0

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap and docker need it)"
if ! timeout 20 docker info >/dev/null 2>&1; then
    log "no Docker engine answers; running scripts/docker-env.sh"
    bash "$HERE/docker-env.sh"
fi

mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.base-image.lock"
flock -w 900 9 || die "another base-image.sh holds $CACHE_DIR/.base-image.lock"

tag_latest() {
    docker tag "$IMAGE:$TAG" "$IMAGE:3.11"
    log "ready: $IMAGE:3.11 = $IMAGE:$TAG ($(docker image inspect -f '{{.Size}}' "$IMAGE:$TAG" | awk '{printf "%.0f MB", $1/1e6}'), ${SECONDS}s)"
}

if [ "${FORCE:-0}" != 1 ] && docker image inspect "$IMAGE:$TAG" >/dev/null 2>&1; then
    log "image $IMAGE:$TAG already exists; nothing to build"
    tag_latest
    exit 0
fi

if [ "${FORCE:-0}" = 1 ] || [ ! -s "$TARBALL" ]; then
    if ! command -v debootstrap >/dev/null; then
        log "installing debootstrap (apt-get)"
        timeout 300 apt-get update -qq
        DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq --no-install-recommends debootstrap \
            >/tmp/ecsdeploy-apt.log 2>&1 || { tail -20 /tmp/ecsdeploy-apt.log >&2; die "apt-get install debootstrap failed"; }
    fi
    ROOTFS="$(mktemp -d /var/tmp/ecsdeploy-rootfs.XXXXXX)"
    cleanup() {
        for m in proc sys dev/pts; do mountpoint -q "$ROOTFS/$m" 2>/dev/null && umount -l "$ROOTFS/$m"; done
        rm -rf --one-file-system "$ROOTFS"
    }
    trap cleanup EXIT
    mkdir -p "$CACHE_DIR/debs"
    log "debootstrap --variant=minbase $SUITE from $MIRROR into $ROOTFS (packages: $PACKAGES)"
    timeout 900 debootstrap --variant=minbase --include="$PACKAGES" --cache-dir="$CACHE_DIR/debs" \
        "$SUITE" "$ROOTFS" "$MIRROR" >"$CACHE_DIR/debootstrap.log" 2>&1 \
        || { tail -30 "$CACHE_DIR/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE_DIR/debootstrap.log)"; }
    log "debootstrap done (${SECONDS}s)"

    cat >"$ROOTFS/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
EOF
    if [ "$UPGRADE" = 1 ]; then
        log "applying $SUITE-updates and $SUITE-security (chroot apt-get upgrade)"
        mount -t proc proc "$ROOTFS/proc"
        printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d" && chmod +x "$ROOTFS/usr/sbin/policy-rc.d"
        timeout 600 chroot "$ROOTFS" apt-get -qq -o APT::Sandbox::User=root update
        DEBIAN_FRONTEND=noninteractive timeout 600 chroot "$ROOTFS" apt-get -y -qq \
            -o APT::Sandbox::User=root upgrade >>"$CACHE_DIR/debootstrap.log" 2>&1 \
            || { tail -30 "$CACHE_DIR/debootstrap.log" >&2; die "apt-get upgrade in the rootfs failed"; }
        rm -f "$ROOTFS/usr/sbin/policy-rc.d"
        umount -l "$ROOTFS/proc"
    fi
    # Slim down: package caches and lists, docs (copyright files stay), man pages, translations.
    rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/lib/apt/lists/* \
        "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* "$ROOTFS"/var/log/*.log "$ROOTFS"/tmp/*
    find "$ROOTFS/usr/share/doc" -type f ! -name copyright -delete
    find "$ROOTFS/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
    chroot "$ROOTFS" python --version >/dev/null || die "python does not run in the rootfs"
    log "rootfs: $(du -sh --one-file-system "$ROOTFS" | cut -f1), $(chroot "$ROOTFS" python --version)"

    log "writing $TARBALL"
    tar --numeric-owner --one-file-system -C "$ROOTFS" -cf "$TARBALL.tmp" .
    mv "$TARBALL.tmp" "$TARBALL"
    # Tarballs of older versions of this script are no longer used.
    find "$CACHE_DIR" -maxdepth 1 -name 'python-base-*.tar' ! -name "$(basename "$TARBALL")" -delete
else
    log "reusing cached rootfs $TARBALL"
fi

log "docker import $TARBALL -> $IMAGE:$TAG"
# An imported image has no config: give it the usual PATH (the Dockerfiles append to $PATH), a
# UTF-8 locale and python as the default command, like python:3.11-slim.
docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change "LABEL ecsdeploy.base-image.hash=$HASH" \
    --change 'CMD ["python3"]' \
    --message "ecsdeploy base image: debootstrap $SUITE minbase + $PACKAGES" \
    "$TARBALL" "$IMAGE:$TAG" >/dev/null
tag_latest
