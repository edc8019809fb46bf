# user-pods-backend: built with the Swift toolchain, run on Debian slim as a non-root user.
# Build from the repository root: docker build -f docker/user-pods-backend.Dockerfile -t user-pods-backend .
FROM swift:6.3.1-bookworm AS build
WORKDIR /src
COPY . .
RUN swift build -c release --static-swift-stdlib --product user-pods-backend \
 && install -D "$(swift build -c release --show-bin-path)/user-pods-backend" /out/user-pods-backend

FROM debian:12.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/user-pods-backend /usr/local/bin/user-pods-backend
USER 65532:65532
EXPOSE 8080
# No HEALTHCHECK: the image has no HTTP client; Kubernetes probes /healthz and /readyz
# (helm/rexec-stack), and the services log and exit on failure.
ENTRYPOINT ["/usr/local/bin/user-pods-backend"]
CMD ["--host", "0.0.0.0", "--port", "8080"]
