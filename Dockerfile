# syntax=docker/dockerfile:1.7
# One image for every target of plant-analytics, with the web dashboard built in.
#
#   docker build -t plant-analytics .                       # runs `serve --target all`
#   docker build --build-arg TARGET=api -t pa-api .         # bakes another default target
#   docker run plant-analytics plant-analytics serve --target worker   # or choose at run time
#   docker build --target airflow -t plant-analytics-airflow .          # Airflow + the platform
#
# Compose and the Helm chart use the same image and pick the target with PA_TARGET or args.

ARG PYTHON_VERSION=3.11
ARG NODE_VERSION=20
ARG AIRFLOW_VERSION=3.3.2

# --- 1. The dashboard: React/Vite, built to web/dist -------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# --- 2. The Python package, installed into a self-contained virtualenv -------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS python-build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies change less often than the code: resolve them in their own layer.
COPY pyproject.toml README.md ./
RUN mkdir -p src/plant_analytics && touch src/plant_analytics/__init__.py \
    && pip install . \
    && pip uninstall -y plant-analytics
COPY src ./src
RUN pip install --no-deps . \
    && python -m compileall -q /opt/venv/lib

# --- 3. Airflow 3 with the platform beside it (Compose's airflow-* services) ---------------
# Airflow pins its own FastAPI and SQLAlchemy, so the platform gets a virtualenv of its own,
# made with the Airflow image's Python from wheels built here; the DAG's tasks run in it
# through ExternalPythonOperator(python=os.environ["PA_PLATFORM_PYTHON"]).
FROM python-build AS wheels
RUN pip wheel --wheel-dir /wheels /src

FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION} AS airflow
USER root
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    python -m venv /opt/plant-analytics/venv \
    && /opt/plant-analytics/venv/bin/pip install --no-cache-dir --no-index \
       --find-links=/wheels plant-analytics
COPY data/egrid /opt/plant-analytics/data/egrid
USER airflow
ENV PA_PLATFORM_PYTHON=/opt/plant-analytics/venv/bin/python \
    PA_SAMPLE_DIR=/opt/plant-analytics/data/egrid

# --- 4. The runtime image, last so a plain `docker build` makes it: no node, not root ----
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
ARG TARGET=all
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="plant-analytics" \
      org.opencontainers.image.description="Analytics platform for the US EPA's eGRID data" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PA_TARGET=${TARGET} \
    PA_ENV=production \
    PA_HOST=0.0.0.0 \
    PA_OPS_PORT=9100 \
    PA_DATA_DIR=/var/lib/plant-analytics \
    PA_DASHBOARD_DIR=/app/web/dist \
    PA_SAMPLE_DIR=/app/data/egrid

RUN groupadd --system --gid 10001 plant \
    && useradd --system --uid 10001 --gid plant --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin plant \
    && mkdir -p /app /var/lib/plant-analytics \
    && chown plant:plant /var/lib/plant-analytics

WORKDIR /app
COPY --from=python-build /opt/venv /opt/venv
COPY --from=web /web/dist /app/web/dist
# The bundled sample eGRID files that `plant-analytics seed` loads.
COPY data/egrid /app/data/egrid

USER 10001:10001
# gateway, auth, api, and the ops port of worker and scheduler
EXPOSE 8000 5001 3000 9100
VOLUME ["/var/lib/plant-analytics"]

# /health of whichever target this container runs (all and gateway: 8000; worker and
# scheduler serve only their ops endpoints on PA_OPS_PORT).
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; t = os.environ.get('PA_TARGET', 'all'); e = {'all': ('PA_GATEWAY_PORT', 8000), 'gateway': ('PA_GATEWAY_PORT', 8000), 'auth': ('PA_AUTH_PORT', 5001), 'api': ('PA_API_PORT', 3000)}.get(t, ('PA_OPS_PORT', 9100)); urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get(e[0], e[1]), timeout=4)"]

# Shell form only to expand PA_TARGET; `exec` hands PID 1 to the server so it gets SIGTERM.
CMD ["sh", "-c", "exec plant-analytics serve --target \"${PA_TARGET}\""]
