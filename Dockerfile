# creditpool: one image, one process serving the API and running its background work.
# Point it at PostgreSQL with DATABASE_URL; set SECRET_KEY (it refuses to start without one).
# Dependencies are installed at the versions pinned in constraints.txt (regenerate it with
# `make constraints` when pyproject.toml's ranges change), so that two builds of one commit
# run the same code.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md alembic.ini constraints.txt ./
COPY app ./app
COPY migrations ./migrations
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --upgrade pip \
 && /opt/venv/bin/pip install --constraint constraints.txt .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ENVIRONMENT=production \
    DATABASE_URL=sqlite:////data/creditpool.db \
    DATA_DIR=/data \
    PORT=8000
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
# Exec form (no shell in between): the probe reads PORT from the environment itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["python", "-c", "import os, sys, urllib.request; sys.exit(urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '8000')}/readyz\", timeout=4).status != 200)"]
# `creditpool serve` runs the migrations (under a lock on PostgreSQL), then uvicorn, on PORT.
CMD ["creditpool", "serve", "--host", "0.0.0.0"]
