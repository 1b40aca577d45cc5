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
# Bazel's compilation mode, and so which binaries the scripts run (they ask
# `bazel info -c <mode> bazel-bin`, never the bazel-bin symlink, which
# follows the last build of whatever mode). `make up`, `make bench` and a
# plain `make build` use opt, as the images do (deploy/images); `make test`
# keeps fastbuild, see the test target.
export CT_COMPILATION_MODE ?= opt

CXX_SOURCES = $(shell git ls-files --cached --others --exclude-standard -- \
	'services/*.cc' 'services/*.h' 'services/*.cpp' 'services/*.hpp' 2>/dev/null)

.PHONY: help deps build build-cc build-gateway build-frontend up test bench fmt fmt-check clean images

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

deps:
	@scripts/deps.sh

build: build-cc build-gateway build-frontend

build-cc:
	bazel build $(BAZEL_FLAGS) -c $(CT_COMPILATION_MODE) -- $(BAZEL_TARGETS)

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

# Tests build and run in fastbuild, not opt. Measured on this machine
# (g++ -c, CPU seconds, fastbuild vs opt): pricing_handler.cc 5.4 vs 9.0,
# pricing_handler_test.cc 5.4 vs 6.9, the generated pricing_service.pb.cc
# 2.4 vs 4.3, so opt costs 1.3-1.8x per file. CI and the edit-then-test loop
# build only what `make test` needs (70 test files beside 81 others), so
# fastbuild is the cheaper build there; the tests themselves wait on
# PostgreSQL and the stack, not on the CPU. opt also defines NDEBUG, which
# would switch off every assert() the tests exercise. The price: after `make
# up`, the first `make test` builds the services once more in fastbuild.
test: CT_COMPILATION_MODE := fastbuild
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
