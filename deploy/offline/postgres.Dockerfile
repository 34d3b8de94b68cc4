# Stand-in for postgres:17: Debian bookworm's PostgreSQL 15, with the parts of the official image
# that deploy/compose.yaml relies on: POSTGRES_DB / POSTGRES_USER / POSTGRES_PASSWORD create the
# database on an empty /var/lib/postgresql/data, password (scram) login over the network,
# pg_isready on PATH, a fast shutdown on stop.
ARG BASE_IMAGE=partrack-offline/debian:bookworm
FROM ${BASE_IMAGE}
ARG DEBIAN_FRONTEND=noninteractive
ENV LANG=C.UTF-8 \
    PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/postgresql/data
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/* \
    && (pg_dropcluster --stop 15 main || true) \
    && mkdir -p /var/run/postgresql "$PGDATA" \
    && chown postgres:postgres /var/run/postgresql "$PGDATA" \
    && chmod 3777 /var/run/postgresql && chmod 700 "$PGDATA"
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
USER postgres
STOPSIGNAL SIGINT
EXPOSE 5432
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
