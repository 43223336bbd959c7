# secure-scoring: `make demo` (the main job) and `make test` (the suite). Both bootstrap everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_TOOL := .uv-tool
export UV_PYTHON_DOWNLOADS := never
# the system packages the data-plane tests and serve-local use
DEB_PACKAGES := nginx nsd bind9-dnsutils openssl wrk ca-certificates iproute2 mkcert

# Every venv is installed with its bytecode compiled (--compile-bytecode): uv does not compile by
# default, and where PYTHONDONTWRITEBYTECODE is set nothing is ever cached, so each process (every CLI
# run, every gate program's forked child, every inference server) compiled pulumi_azure_native's
# modules from source again: ~1 s of CPU per run, most of the suite's time.
# uv from PATH when there is one that runs, else a private copy in .uv-tool (bootstrapped with pip).
# 'uv --version' and not just 'command -v uv': a pyenv shim exists for every command of every
# installed version and fails ("pyenv: uv: command not found") under a version that lacks uv.
HAVE_UV := $(shell uv --version >/dev/null 2>&1 && command -v uv)
UV := $(if $(HAVE_UV),$(HAVE_UV),$(CURDIR)/$(UV_TOOL)/bin/uv)

.PHONY: lock help setup uv venv system inference-venv sslyze-venv azure-oracle-venv lint format test test-fast demo bench clean

help:
	@echo "make demo    set up, inspect certificates, run the offline policy gate on the example stacks,"
	@echo "             then serve a secure endpoint locally and verify it"
	@echo "make test    set up, lint, run the whole test suite (unit, policy, data-plane, e2e)"
	@echo "make bench   run the benchmarks and print the ratios (see docs/benchmarks.md)"

$(UV_TOOL)/bin/uv:
	$(PYTHON) -m venv $(UV_TOOL)
	$(UV_TOOL)/bin/pip install --quiet --disable-pip-version-check uv

uv: $(if $(HAVE_UV),,$(UV_TOOL)/bin/uv)

$(BIN)/secure-scoring: pyproject.toml requirements/main.txt | uv
	$(UV) venv -q --seed --allow-existing --python $$($(PYTHON) -c 'import sys; print(sys.executable)') $(VENV)
	$(UV) pip sync -q --compile-bytecode --python $(BIN)/python requirements/main.txt
	$(UV) pip install -q --python $(BIN)/python --no-deps -e .
	@touch $@

venv: $(BIN)/secure-scoring

system:
	@missing=""; for b in nginx nsd dig openssl wrk ip mkcert; do \
	  command -v $$b >/dev/null 2>&1 || [ -x /usr/sbin/$$b ] || [ -x /sbin/$$b ] || missing=1; done; \
	[ -f /etc/ssl/certs/ca-certificates.crt ] || missing=1; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $(DEB_PACKAGES)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(DEB_PACKAGES) >/dev/null; \
	fi

.venv-inference/.done: requirements/inference.txt | uv
	$(UV) venv -q --allow-existing --python $$($(PYTHON) -c 'import sys; print(sys.executable)') .venv-inference
	$(UV) pip install -q --compile-bytecode --python .venv-inference/bin/python -r requirements/inference.txt
	@touch $@

inference-venv: .venv-inference/.done

.venv-sslyze/.done: requirements/sslyze.txt | uv
	$(UV) venv -q --allow-existing --python $$($(PYTHON) -c 'import sys; print(sys.executable)') .venv-sslyze
	$(UV) pip install -q --compile-bytecode --python .venv-sslyze/bin/python -r requirements/sslyze.txt
	@touch $@

sslyze-venv: .venv-sslyze/.done

# Azure's own SDK models, the conformance oracle of tests/conformance (pins clash with pulumi's)
.venv-azure-oracle/.done: requirements/azure-oracle.txt | uv
	$(UV) venv -q --allow-existing --python $$($(PYTHON) -c 'import sys; print(sys.executable)') .venv-azure-oracle
	$(UV) pip install -q --compile-bytecode --python .venv-azure-oracle/bin/python -r requirements/azure-oracle.txt
	@touch $@

azure-oracle-venv: .venv-azure-oracle/.done

setup: venv system inference-venv sslyze-venv azure-oracle-venv

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/actionlint
	$(BIN)/zizmor --offline --no-progress .github/workflows action.yml

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: setup lint
	@$(BIN)/python -m compileall -q components  # the package's bytecode too (see --compile-bytecode)
	$(BIN)/pytest -q

test-fast: venv
	$(BIN)/pytest -q -m "not dataplane and not slow"

demo: setup
	@bash scripts/demo.sh

# the benchmarks also need valgrind (deterministic instruction counts) and a C compiler
BENCH_DEB_PACKAGES := valgrind gcc libc6-dev

bench: setup
	@if ! command -v valgrind >/dev/null 2>&1 || ! command -v gcc >/dev/null 2>&1 \
	    || [ ! -f /usr/include/valgrind/callgrind.h ]; then \
	  echo "installing Debian packages: $(BENCH_DEB_PACKAGES)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(BENCH_DEB_PACKAGES) >/dev/null; \
	fi
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done
	@echo "== bench/gateway.py --layout shared"; $(BIN)/python bench/gateway.py --layout shared
	@echo "== bench/aci_mocks.py --instructions"; $(BIN)/python bench/aci_mocks.py --instructions

clean:
	rm -rf .venv .venv-inference .venv-sslyze .venv-azure-oracle $(UV_TOOL) .pytest_cache .ruff_cache build

# Refresh the pinned sets (needs the registry); commit the result.
lock: | uv
	$(UV) pip compile -q --no-header --no-annotate --python-version 3.11 --extra test pyproject.toml -o requirements/main.txt
	echo "azureml-inference-server-http==1.5.1" | $(UV) pip compile -q --no-header --no-annotate --python-version 3.11 - -o requirements/inference.txt
	echo "sslyze>=6,<7" | $(UV) pip compile -q --no-header --no-annotate --python-version 3.11 - -o requirements/sslyze.txt
	printf 'azure-mgmt-containerinstance==10.1.0\nazure-mgmt-kubernetesconfiguration==3.1.0\nazure-mgmt-dns==9.0.0\nazure-mgmt-privatedns==2.0.0\nazure-mgmt-network==33.1.0\nazure-ai-ml==1.35.2\n' \
	  | $(UV) pip compile -q --no-header --no-annotate --python-version 3.11 - -o requirements/azure-oracle.txt
