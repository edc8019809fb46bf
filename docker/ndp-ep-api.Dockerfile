# ndp-ep-api: built with the Swift toolchain, run on Debian slim as a non-root user.
# Build from the repository root: docker build -f docker/ndp-ep-api.Dockerfile -t ndp-ep-api .
FROM swift:6.3.1-bookworm AS build
WORKDIR /src
COPY . .
RUN swift build -c release --static-swift-stdlib --product ndp-ep-api \
 && install -D "$(swift build -c release --show-bin-path)/ndp-ep-api" /out/ndp-ep-api

FROM debian:12.11-slim
# libxml2: Foundation's XML parser, which reads S3's answers (S3_ENABLED).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata libxml2 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ndp-ep-api /usr/local/bin/ndp-ep-api
USER 65532:65532
EXPOSE 8003
# No HEALTHCHECK: the image has no HTTP client; Kubernetes probes /healthz and /readyz
# (helm/rexec-stack), and the services log and exit on failure.
ENTRYPOINT ["/usr/local/bin/ndp-ep-api"]
CMD ["--host", "0.0.0.0", "--port", "8003"]
