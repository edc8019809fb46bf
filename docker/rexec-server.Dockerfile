# The per-user rexec server, with its pinned Python dependencies baked in: nothing is fetched
# with pip or git when a server pod starts (upstream cloned and installed at every start).
# Set the deploy API's REXEC_SERVER_IMAGE to this image.
# Build from the repository root: docker build -f docker/rexec-server.Dockerfile -t rexec-server .
FROM python:3.12.8-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY rexec-server/requirements.txt /opt/rexec-server/requirements.txt
RUN pip install --no-cache-dir -r /opt/rexec-server/requirements.txt
COPY rexec-server/rexec_server /opt/rexec-server/rexec_server
ENV PYTHONPATH=/opt/rexec-server
USER 1000:1000
WORKDIR /tmp
# No HEALTHCHECK: a rexec server has no port; the broker reports it (heartbeats, stale).
ENTRYPOINT ["python", "-m", "rexec_server"]
