# reconcile as a container: slim Python, the package installed with pinned dependencies, non-root.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY reconcile ./reconcile
COPY rules ./rules
COPY sample_statements ./sample_statements
RUN pip install -c constraints.txt . \
 && useradd --create-home --uid 10001 reconcile \
 && mkdir -p /data \
 && chown reconcile:reconcile /data

USER reconcile
WORKDIR /data
ENV RECONCILE_DATABASE_URL=sqlite:////data/state/reconcile.sqlite \
    RECONCILE_INBOX=/data/inbox \
    RECONCILE_REPORTS_DIR=/data/reports
VOLUME ["/data"]

ENTRYPOINT ["reconcile"]
CMD ["--help"]
