# AutoSeg: `make run` serves with conf/autoseg.toml, `make test` proves the tree.
SHELL := /bin/bash
APT_PACKAGES := libdcmtk-dev libsqlite3-dev libopenjp2-7-dev libopenjp2-tools dcmtk dicom3tools orthanc pkg-config iproute2 chromium
PIP_REQUIREMENTS := Tests/IntegrationTests/requirements.txt
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CONFIG ?= conf/autoseg.toml

.PHONY: deps build build-debug run test unit-test integration-test bench fuzz clean

## Install what is missing: Debian packages (DCMTK, SQLite, dicom3tools, chromium for the console tests) and the
## Python packages the integration tests and benchmarks use.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; \
	fi
	@python3 -c "import pydicom, pynetdicom, numpy, pytest, pytest_timeout, nibabel, highdicom, imagecodecs, websocket, PIL" 2>/dev/null || python3 -m pip install -q -r $(PIP_REQUIREMENTS)

build: deps
	swift build -c release

build-debug: deps
	swift build

run: build
	.build/release/autoseg serve --config $(CONFIG)

unit-test: deps
	swift build --build-tests
	swift test --skip-build

integration-test: build-debug
	python3 -m pytest Tests/IntegrationTests -q -p no:cacheprovider

test: unit-test integration-test

## Benchmarks (on demand, never in tests): ingest vs storescp, kernels vs SimpleITK,
## analyzer quality and speed on held-out phantoms, end-to-end latency and throughput, soak
## with slow and hostile peers.
bench: build
	bash bench/ingest.sh
	bash bench/kernels/run.sh
	bash bench/real/run.sh
	bash bench/quality/run.sh
	bash bench/e2e/run.sh
	bash bench/soak.sh

## Fuzzing the bridge (libFuzzer + ASan, FUZZ_SECONDS per target, default 60): bench/fuzz.
fuzz:
	bash bench/fuzz/run.sh

clean:
	rm -rf .build
