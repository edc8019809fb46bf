# rexec-broker: built with the Swift toolchain and libzmq's headers, run on Debian slim with
# only the libzmq runtime, as a non-root user.
# Build from the repository root: docker build -f docker/rexec-broker.Dockerfile -t rexec-broker .
FROM swift:6.3.1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libzmq3-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN swift build -c release --static-swift-stdlib --product rexec-broker \
 && install -D "$(swift build -c release --show-bin-path)/rexec-broker" /out/rexec-broker

FROM debian:12.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata libzmq5 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/rexec-broker /usr/local/bin/rexec-broker
USER 65532:65532
# Clients, servers, control (bound to 127.0.0.1 unless asked), HTTP health and metrics.
EXPOSE 5559 5560 5561 9090
# No HEALTHCHECK: the image has no HTTP client; Kubernetes probes /healthz and /readyz.
ENTRYPOINT ["/usr/local/bin/rexec-broker"]
CMD ["--http-port", "9090"]
