#!/bin/sh
# Runs deploy/compose.yaml on a machine that reaches Debian's mirror but not Docker Hub: builds a
# Debian bookworm base image with debootstrap, stand-ins for python:3.11-slim-trixie,
# postgres:17 and nginx:1.27 from it (deploy/offline/), then `docker compose up` with them.
# A real deployment does not need this: it pulls the official images.
#
#   scripts/compose-offline.sh images     # base + stand-ins only
#   scripts/compose-offline.sh up         # images, then docker compose up -d --build
#   scripts/compose-offline.sh ARGS...    # docker compose ARGS with the stand-ins (ps, logs, down)
#
# Needs root, a running Docker daemon, Compose v2 (`docker compose`), debootstrap, and
# deploy/.env and deploy/certs as docs/deployment.md §8 says.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
base=partrack-offline/debian:bookworm

export PARTRACK_PYTHON_IMAGE=partrack-offline/python:3.11
export PARTRACK_POSTGRES_IMAGE=partrack-offline/postgres:15
export PARTRACK_NGINX_IMAGE=partrack-offline/nginx:1.22

build_images() {
    if ! docker image inspect "$base" >/dev/null 2>&1; then
        rootfs=$(mktemp -d)
        # DEBIAN_MIRROR (a URL) if set, else debootstrap's own default mirror.
        debootstrap --variant=minbase bookworm "$rootfs" ${DEBIAN_MIRROR:-}
        mirror=$(awk '{ print $2; exit }' "$rootfs/etc/apt/sources.list")
        cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${DEBIAN_SECURITY_MIRROR:-${mirror%/debian}/debian-security} bookworm-security main
SOURCES
        # This machine's own certificate authorities (e.g. of a proxy that inspects TLS on the
        # way out): the Python stand-in installs ca-certificates, which adds them, so pip in the
        # app's build trusts what the host trusts.
        mkdir -p "$rootfs/usr/local/share/ca-certificates"
        cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/" \
            2>/dev/null || true
        rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
        tar -C "$rootfs" -c . | docker import -c 'CMD ["bash"]' - "$base"
        rm -rf "$rootfs"
    fi
    for name in python postgres nginx; do
        case $name in
            python) tag=$PARTRACK_PYTHON_IMAGE ;;
            postgres) tag=$PARTRACK_POSTGRES_IMAGE ;;
            nginx) tag=$PARTRACK_NGINX_IMAGE ;;
        esac
        docker build --build-arg BASE_IMAGE="$base" -f "$root/deploy/offline/$name.Dockerfile" \
            -t "$tag" "$root/deploy/offline"
    done
}

compose() {
    docker compose -f "$root/deploy/compose.yaml" "$@"
}

case ${1:-up} in
    images) build_images ;;
    up) build_images && compose up -d --build ;;
    *) compose "$@" ;;
esac
