# syntax=docker/dockerfile:1
# Multi-stage build: dependencies are resolved from uv.lock in a builder stage; the runtime
# image gets only the virtual environment and the source, and runs as a non-root user.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
# Optional extras to install, e.g. `--build-arg EXTRAS=opentelemetry` for tracing (README).
ARG EXTRAS=""
# Dependencies first, so editing the source does not invalidate this layer.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-default-groups --no-install-project ${EXTRAS:+--extra "$EXTRAS"}
COPY alembic.ini ./
COPY migrations ./migrations
COPY app ./app
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-default-groups ${EXTRAS:+--extra "$EXTRAS"}

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SPOTTER_ENVIRONMENT=production \
    SPOTTER_HOST=0.0.0.0 \
    SPOTTER_PORT=8000
RUN groupadd --system --gid 10001 spotter \
    && useradd --system --uid 10001 --gid spotter --home-dir /app --no-create-home spotter
WORKDIR /app
# Owned by root and read-only for the service user: the process cannot rewrite its own code.
COPY --from=builder /app /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; url = 'http://127.0.0.1:%s/healthz' % os.environ.get('SPOTTER_PORT', '8000'); sys.exit(0 if urllib.request.urlopen(url, timeout=2).status == 200 else 1)"]
CMD ["spotter", "serve", "--workers", "2"]
