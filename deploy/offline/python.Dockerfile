# Stand-in for python:3.11-slim-trixie, built from the local Debian bookworm base
# (scripts/compose-offline.sh) for machines that cannot pull from Docker Hub. Like the official
# image it has `python` and `pip` of Python 3.11 on PATH and installs packages outside Debian's own
# (a venv in /usr/local/python).
ARG BASE_IMAGE=partrack-offline/debian:bookworm
FROM ${BASE_IMAGE}
ARG DEBIAN_FRONTEND=noninteractive
ENV LANG=C.UTF-8 \
    PATH=/usr/local/python/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates netbase \
       tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv /usr/local/python \
    && /usr/local/python/bin/pip install --no-cache-dir --upgrade pip
CMD ["python3"]
