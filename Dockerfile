# The sakerctl image: the static binary and nothing else. One image runs the
# sensor (`sakerctl run`) and the artifact manager (`sakerctl artifact ...`).
#
# No base image is pulled: `make image` builds the binary outside Docker
# (CGO_ENABLED=0) and stages the image's whole filesystem in rootfs/:
#   usr/bin/sakerctl                   the static binary
#   etc/ssl/certs/ca-certificates.crt  the build host's CA bundle, for HTTPS registries
#   etc/passwd, etc/group              root and nobody (65534), so user names resolve
#   tmp/                               empty, mode 1777
# One COPY of the tree keeps directory modes (COPY of a single directory
# would create /tmp as 0755).
FROM scratch

ARG VERSION=0.0.0-dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="sakerctl" \
      org.opencontainers.image.description="Falco-compatible eBPF sensor and falcoctl-compatible artifact manager" \
      org.opencontainers.image.source="https://github.com/sakersec/saker" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"

COPY rootfs/ /

# Root by default: the sensor needs it. The Helm chart runs the artifact
# containers as 65534 instead.
ENTRYPOINT ["/usr/bin/sakerctl"]
CMD ["--help"]
