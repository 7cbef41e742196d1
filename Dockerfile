FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    TANDEM_VAR_DIR=/var/lib/tandem
WORKDIR /srv/tandem
RUN useradd --system --uid 10001 --home-dir /srv/tandem tandem \
 && mkdir -p /var/lib/tandem && chown tandem /var/lib/tandem
COPY pyproject.toml alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN pip install -e .
USER tandem
EXPOSE 8000
# Configuration comes only from the environment (see README "Configuration").
CMD ["sh", "-c", "tandem migrate && exec tandem serve --host 0.0.0.0 --port 8000 --workers ${TANDEM_WORKERS:-2}"]
