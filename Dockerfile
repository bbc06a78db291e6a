# syntax=docker/dockerfile:1
# One image for every Oversight process: the API (default), `scheduler`, `bot`, `migrate`,
# and any other `oversight` command, chosen by the container's command.

# ---- build: wheels for Oversight and every dependency (compilers stay in this stage) ----
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m pip wheel --wheel-dir /wheels .

# ---- runtime: the wheels installed, no compilers, no caches, a non-root user ----
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    OVERSIGHT_ENV=production \
    OVERSIGHT_API__HOST=0.0.0.0
# pg_dump/pg_restore for backups, matching the PostgreSQL 15 server of the compose stack.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    python -m pip install --no-index --find-links=/wheels oversight \
    && groupadd --system --gid 10001 oversight \
    && useradd --system --uid 10001 --gid oversight --home-dir /var/lib/oversight \
       --shell /usr/sbin/nologin oversight \
    && install -d -o oversight -g oversight /var/lib/oversight /var/log/oversight /run/oversight
WORKDIR /var/lib/oversight
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
ENTRYPOINT ["oversight"]
CMD ["serve", "--port", "8000"]
