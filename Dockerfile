# partrack: the web app and JSON API. Migrations are applied at start, then Plan 84 is loaded if
# the database is empty. Configure with PARTRACK_* variables (PARTRACK_DATABASE_URL above all).
# Another image with the same contents (Python 3.11 as `python`, pip, Debian's apt) may stand in,
# e.g. where Docker Hub cannot be reached: deploy/offline/python.Dockerfile, docs/deployment.md §8.
# Debian 13 named, not left to the tag's default: its postgresql-client (pg_dump/pg_restore 17)
# must be no newer than the server (deploy/compose.yaml: postgres:17), or `partrack restore` stops
# at "unrecognized configuration parameter transaction_timeout".
ARG PYTHON_IMAGE=python:3.11-slim-trixie
FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PARTRACK_HOST=0.0.0.0 \
    PARTRACK_PORT=8000

# Pango and fonts with every Vietnamese glyph for the consolidated report's PDF (WeasyPrint);
# the PostgreSQL client for `partrack backup` / `restore`.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
       fonts-dejavu-core fonts-liberation2 postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /srv/partrack
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY templates ./templates
# Editable: templates/, migrations/ and alembic.ini are found beside app/, as in a checkout.
RUN pip install --no-compile -e . \
    && useradd --system --home-dir /srv/partrack partrack \
    && mkdir -p /srv/partrack/data && chown partrack /srv/partrack/data

USER partrack
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz'); sys.exit(0)"
CMD ["sh", "-c", "partrack db upgrade && partrack seed --if-empty && partrack user ensure-admin && exec partrack serve"]
