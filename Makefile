# Saker's build, test and benchmark entry points.
GO        ?= go
BIN       ?= bin/sakerctl
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.0.0-dev)
LDFLAGS   := -s -w -X github.com/sakersec/saker/internal/version.Version=$(VERSION) \
             -X github.com/sakersec/saker/internal/version.Commit=$(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
export CGO_ENABLED = 0

.PHONY: build run test unit fuzz bench generate lint

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
