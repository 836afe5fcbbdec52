# bouncepipe image: every streaming service (worker, sink, receiver) and the CLI.
#   docker build -t bouncepipe:0.1.0 .      (docker compose builds it once: docker-compose.yml)
# Dependencies come pinned and hash-checked from requirements.lock (see its header to regenerate).

# -- build: a virtualenv with the locked dependencies, then the project without dependencies --
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /build
COPY requirements.lock build-requirements.lock ./
RUN python -m venv /venv \
 && /venv/bin/pip install --require-hashes --no-deps -r requirements.lock \
 && python -m venv /tools \
 && /tools/bin/pip install --require-hashes --no-deps -r build-requirements.lock
COPY pyproject.toml README.md ./
COPY schemas ./schemas
COPY pipeline ./pipeline
COPY connectors ./connectors
RUN /tools/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /wheels . \
 && /venv/bin/pip install --no-deps /wheels/*.whl \
 && /venv/bin/python -m compileall -q /venv/lib

# -- runtime: the virtualenv only, run as an unprivileged user ----------------------------------
FROM python:3.11-slim-bookworm AS runtime
RUN groupadd --system --gid 10001 bouncepipe \
 && useradd --system --uid 10001 --gid bouncepipe --home-dir /home/bouncepipe --create-home \
      --shell /usr/sbin/nologin bouncepipe \
 && mkdir -p /lake /spool && chown bouncepipe:bouncepipe /lake /spool
COPY --from=build /venv /venv
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    BOUNCEPIPE_LAKE__PATH=/lake
USER bouncepipe:bouncepipe
WORKDIR /home/bouncepipe
# /metrics, /healthz, /readyz of worker and sink (settings service.metrics_port); receiver 8025
EXPOSE 9100 8025
ENTRYPOINT ["/venv/bin/bouncepipe"]
CMD ["--help"]
