# Crypto Tracker: one entry point for developers and CI.
#
#   make deps    install missing Debian packages and pinned tools
#   make build   build every Bazel target and the gateway sidecar
#   make up      run the whole stack locally (foreground; Ctrl-C stops it)
#   make test    unit, integration and end-to-end tests on a separate stack
#   make bench   pricing-service benchmarks on a separate stack (testing/bench)
#   make images  build the container images with podman (deploy/images)
#   make fmt     clang-format the C++ sources (fmt-check only checks)
#   make clean   delete local data of `make up` / `make test`

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
# deps, then build, then run: never side by side, even under -j.
.NOTPARALLEL:

# Tools installed by `make deps` and Go's default location.
export PATH := $(CURDIR)/.local/bin:$(PATH):/usr/local/go/bin

# CI gets quiet, non-interactive Bazel output.
BAZEL_FLAGS := $(if $(filter true,$(CI)),--config=ci,)
# What `make build` builds and `make test` tests (e.g. BAZEL_TARGETS=//services/...).
export BAZEL_TARGETS ?= //...

CXX_SOURCES = $(shell git ls-files --cached --others --exclude-standard -- \
	'services/*.cc' 'services/*.h' 'services/*.cpp' 'services/*.hpp' 2>/dev/null)

.PHONY: help deps build build-cc build-gateway build-frontend up test bench fmt fmt-check clean images

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

deps:
	@scripts/deps.sh

build: build-cc build-gateway build-frontend

build-cc:
	bazel build $(BAZEL_FLAGS) -- $(BAZEL_TARGETS)

build-gateway:
	@if [[ -f gateway/Makefile ]]; then $(MAKE) -C gateway build; \
	else echo "gateway/Makefile not there yet: skipping the sidecar build"; fi

# The SPA's API types are generated from the gateway's OpenAPI documents, so
# it builds after the gateway.
build-frontend:
	cd frontend && npm ci --no-audit --no-fund && npm run build

up:
	@scripts/up.sh --check
	@$(MAKE) --no-print-directory deps build
	@scripts/up.sh

test: deps build
	@scripts/test.sh

bench: deps build
	@testing/bench/run.sh

fmt:
	@if [[ -n "$(CXX_SOURCES)" ]]; then clang-format -i --style=file $(CXX_SOURCES); fi

fmt-check:
	@if [[ -n "$(CXX_SOURCES)" ]]; then clang-format --dry-run --Werror --style=file $(CXX_SOURCES); fi

clean:
	@scripts/clean.sh

# Container images, built with podman and tagged as the Kubernetes manifests
# pull them (deploy/images/README.md). Needs root and what `make deps`
# installs for it: podman, the OCI runtime containers.conf names, debootstrap.
images:
	@deploy/images/build.sh
