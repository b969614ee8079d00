# Saker's build, test and benchmark entry points.
GO        ?= go
BIN       ?= bin/sakerctl
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.0.0-dev)
LDFLAGS   := -s -w -X github.com/sakersec/saker/internal/version.Version=$(VERSION) \
             -X github.com/sakersec/saker/internal/version.Commit=$(shell git rev-parse --short HEAD 2>/dev/null || echo unknown) \
             -X github.com/sakersec/saker/internal/version.Date=$(shell git log -1 --format=%cI 2>/dev/null || echo unknown)
export CGO_ENABLED = 0

.PHONY: build run test unit fuzz bench generate lint image ship-test snapshot arm64-check

# The container image (see Dockerfile).
IMAGE         ?= ghcr.io/sakersec/sakerctl:$(VERSION)
IMAGE_CONTEXT ?= bin/image
# The build host's CA bundle (Debian/Ubuntu, Fedora/RHEL, Alpine/macOS paths).
CA_BUNDLE     ?= $(firstword $(wildcard /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/cert.pem))

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/sakerctl

# The main job on embedded defaults: embedded rules and the embedded eBPF object (needs root).
run: build
	$(BIN) run

# Everything CI checks.
test: lint unit fuzz

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: run gofmt -w on the files above'; exit 1; }
	$(GO) vet ./...

unit:
	$(GO) test -count=1 -timeout 20m ./...

fuzz:
	FUZZTIME=$${FUZZTIME:-5s} ./scripts/fuzz.sh

bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./...

# Regenerate the eBPF objects and bindings (needs clang, llvm and bpftool).
generate:
	$(GO) generate ./drivers/...

# The driver and capture tests on arm64: Debian's arm64 kernel under
# qemu-system-aarch64 (software emulation; needs root for apt). Not part of
# test: see docs/drivers.md, "arm64".
arm64-check:
	./scripts/arm64-qemu.sh

# The container image, FROM scratch, so nothing is pulled: stage the static
# binary, the host's CA bundle, passwd/group (root, nobody) and an empty /tmp
# in $(IMAGE_CONTEXT), then docker build it as $(IMAGE).
image:
	rm -rf $(IMAGE_CONTEXT)
	mkdir -p $(IMAGE_CONTEXT)/rootfs/usr/bin $(IMAGE_CONTEXT)/rootfs/etc/ssl/certs $(IMAGE_CONTEXT)/rootfs/tmp
	chmod 1777 $(IMAGE_CONTEXT)/rootfs/tmp
	GOOS=linux $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(IMAGE_CONTEXT)/rootfs/usr/bin/sakerctl ./cmd/sakerctl
	@test -n "$(CA_BUNDLE)" || { echo 'image: no CA bundle found; pass CA_BUNDLE=/path/to/ca-certificates.crt'; exit 1; }
	cp $(CA_BUNDLE) $(IMAGE_CONTEXT)/rootfs/etc/ssl/certs/ca-certificates.crt
	printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' > $(IMAGE_CONTEXT)/rootfs/etc/passwd
	printf 'root:x:0:\nnobody:x:65534:\n' > $(IMAGE_CONTEXT)/rootfs/etc/group
	cp Dockerfile .dockerignore $(IMAGE_CONTEXT)/
	docker build -q -t $(IMAGE) --build-arg VERSION=$(VERSION) \
		--build-arg REVISION=$(shell git rev-parse --short HEAD 2>/dev/null || echo unknown) $(IMAGE_CONTEXT)

# The shipping checks alone (unit runs them too): image, Helm chart, goreleaser.
ship-test:
	$(GO) test -count=1 ./internal/imagetest ./internal/charttest ./internal/releasetest

# Release archives and checksums for every target in dist/, nothing published
# (goreleaser v2: go install github.com/goreleaser/goreleaser/v2@v2.16.0).
snapshot:
	goreleaser release --snapshot --clean
