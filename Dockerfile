# Tandem API / worker image. Runs as a non-root user; all state (the embedded SQLite file and, with it,
# generated keys) lives in the /var/lib/tandem volume. With PostgreSQL, give TANDEM_JWT_PRIVATE_KEY and
# TANDEM_DATA_KEYS (the service refuses to start without them). Migrations are their own command
# (`tandem migrate`, run once per release: compose.yaml's `migrate` job), not part of starting a replica.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TANDEM_VAR_DIR=/var/lib/tandem TANDEM_HOME=/opt/tandem
RUN useradd --system --uid 10001 --no-create-home --home-dir /var/lib/tandem tandem \
 && mkdir -p /var/lib/tandem && chown tandem:tandem /var/lib/tandem && chmod 0700 /var/lib/tandem

WORKDIR /opt/tandem
# Pinned versions with hashes first (a layer that changes only with the lock), then the project itself,
# not editable and without resolving anything again.
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN pip install --no-deps . \
 && rm -rf build app/*.egg-info

USER tandem
# Relative paths (none by default) resolve in the writable state directory.
WORKDIR /var/lib/tandem
VOLUME ["/var/lib/tandem"]
EXPOSE 8000
# Ready means: the database answers and is migrated to the newest revision.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status != 200)"]
# On its own (embedded SQLite, nothing configured) the image migrates its own file and serves; with
# DATABASE_URL set it only serves. Configuration comes from the environment (README "Configuration").
CMD ["tandem", "start"]
