# creditpool: one image, one process serving the API and running its background work.
# Point it at PostgreSQL with DATABASE_URL; set SECRET_KEY (it refuses to start without one).
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --upgrade pip \
 && /opt/venv/bin/pip install .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ENVIRONMENT=production \
    DATABASE_URL=sqlite:////data/creditpool.db \
    DATA_DIR=/data
RUN groupadd --system creditpool \
 && useradd --system --gid creditpool --home-dir /app --shell /usr/sbin/nologin creditpool \
 && mkdir -p /data && chown creditpool:creditpool /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# The migrations are found in the working directory (see app.core.db._migrations_home).
COPY alembic.ini ./
COPY migrations ./migrations
USER creditpool
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status != 200)"
# `creditpool serve` runs the migrations (under a lock on PostgreSQL), then uvicorn.
CMD ["creditpool", "serve", "--host", "0.0.0.0", "--port", "8000"]
