# The projectlink container image: one static binary (rustls, no OpenSSL), the Mozilla CA
# bundle it verifies Zoho and Microsoft Graph with, and a non-root user, on an empty base.
#
#   docker build -t projectlink .             builds the binary from source (needs Docker Hub)
#
# With --build-arg BINARY_FROM=prebuilt the binary and CA bundle come from the build context
# instead, laid out by packaging/image/assemble-context (<arch>/projectlink, the CA bundle
# and /etc files); CI (.ci/image) and the release workflow build that way, pulling no image.
# Both ways end in the same final stage, so the images differ only in the binary.

ARG BINARY_FROM=source
ARG RUST_IMAGE=docker.io/library/rust:1.95-bookworm

# ---- the binary, built from source ------------------------------------------------------
FROM ${RUST_IMAGE} AS source
WORKDIR /src
COPY . .
# .git is not sent to the build (.dockerignore): name the commit with
# --build-arg PROJECTLINK_GIT_COMMIT=$(git rev-parse --short=10 HEAD).
ARG PROJECTLINK_GIT_COMMIT=unknown
ARG SOURCE_DATE_EPOCH
# crt-static links glibc in (its DNS resolver included since 2.34); the explicit --target
# keeps the flag off build scripts and proc-macros.
RUN set -eu; \
    target="$(uname -m)-unknown-linux-gnu"; \
    PROJECTLINK_GIT_COMMIT="$PROJECTLINK_GIT_COMMIT" SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-}" \
    RUSTFLAGS="-C target-feature=+crt-static" \
      cargo build --locked --profile dist --target "$target" --bin projectlink; \
    mkdir -p /rootfs/usr/local/bin /rootfs/etc/ssl/certs /rootfs/tmp /rootfs/home/nonroot; \
    cp "target/$target/dist/projectlink" /rootfs/usr/local/bin/projectlink; \
    cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ca-certificates.crt; \
    cp packaging/image/etc/passwd packaging/image/etc/group packaging/image/etc/nsswitch.conf /rootfs/etc/; \
    chmod 1777 /rootfs/tmp; \
    chown 65532:65532 /rootfs/home/nonroot; \
    /rootfs/usr/local/bin/projectlink --version

# ---- the binary, prebuilt (context from packaging/image/assemble-context) ---------------
FROM scratch AS prebuilt
ARG TARGETARCH
# /etc (passwd, group, nsswitch.conf, the CA bundle) and an empty /tmp of mode 1777: COPY
# keeps the modes of what it copies, but not of the folder it copies into.
COPY rootfs/ /rootfs/
COPY --chown=65532:65532 home/ /rootfs/home/
COPY ${TARGETARCH}/projectlink /rootfs/usr/local/bin/projectlink

FROM ${BINARY_FROM} AS rootfs

# ---- the image ----------------------------------------------------------------------------
FROM scratch
COPY --from=rootfs /rootfs/ /
# Owners are not kept by every builder's COPY: give the home to the user explicitly.
COPY --from=rootfs --chown=65532:65532 /rootfs/home/ /home/
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
ARG SOURCE=https://github.com/projectlink/projectlink
LABEL org.opencontainers.image.title="projectlink" \
      org.opencontainers.image.description="Keeps Zoho CRM's integrations with Zoho Projects and Office 365 as code" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="Apache-2.0"
# rustls reads the system's roots; name the bundle rather than rely on the search list.
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 65532:65532
WORKDIR /home/nonroot
ENTRYPOINT ["/usr/local/bin/projectlink"]
CMD ["--help"]
