# rexec-deploy-api: built with the Swift toolchain, run on Debian slim as a non-root user.
# Build from the repository root: docker build -f docker/rexec-deploy-api.Dockerfile -t rexec-deploy-api .
FROM swift:6.3.1-bookworm AS build
WORKDIR /src
COPY . .
RUN swift build -c release --static-swift-stdlib --product rexec-deploy-api \
 && install -D "$(swift build -c release --show-bin-path)/rexec-deploy-api" /out/rexec-deploy-api

FROM debian:12.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/rexec-deploy-api /usr/local/bin/rexec-deploy-api
# The rexec server package the deploy API ships to Kubernetes servers (REXEC_SERVER_SOURCE).
COPY --from=build --chown=root:root /src/rexec-server /opt/rexec-server
ENV REXEC_SERVER_SOURCE=/opt/rexec-server
USER 65532:65532
EXPOSE 8000
# No HEALTHCHECK: the image has no HTTP client; Kubernetes probes /healthz and /readyz
# (helm/rexec-stack), and the services log and exit on failure.
ENTRYPOINT ["/usr/local/bin/rexec-deploy-api"]
CMD ["--host", "0.0.0.0", "--port", "8000"]
