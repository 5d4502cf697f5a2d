# Two commands set everything up on a fresh Debian/Ubuntu machine:
#   make run   - start AuditDesk on the default store
#   make test  - lint, type-check, layer contracts and the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
APT_PACKAGES := libgl1 libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0 fonts-dejavu-core poppler-utils postgresql
# Qt's xcb platform (a real X11 desktop) needs these too; only `make run` asks for them.
DESKTOP_PACKAGES := libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 \
	libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0
# Test processes for the integration and UI tiers (pytest-xdist); CI machines have two cores.
TEST_WORKERS ?= 2
HEADLESS := $(if $(DISPLAY)$(WAYLAND_DISPLAY),,yes)

.PHONY: run test lint bench screenshots sysdeps setup clean

run: setup
	@if [ -n "$(HEADLESS)" ]; then \
	  echo "No display found: rendering AuditDesk's main window offscreen to auditdesk-run.png instead."; \
	  QT_QPA_PLATFORM=offscreen $(BIN)/auditdesk --screenshot auditdesk-run.png && echo "Wrote auditdesk-run.png"; \
	else $(MAKE) --no-print-directory sysdeps APT_PACKAGES="$(DESKTOP_PACKAGES)" && $(BIN)/auditdesk; fi

test: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest tests/unit -p no:pytest-qt --cov --cov-report=
	AUDITDESK_REQUIRE_PG=1 QT_QPA_PLATFORM=offscreen $(BIN)/pytest tests/integration tests/ui -n $(TEST_WORKERS) \
	  --cov --cov-append --cov-report=term-missing --cov-fail-under=100
	@echo "make test: all checks passed"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup
	@set -e; for script in tests/bench/bench_*.py; do \
	  echo "== $$script"; QT_QPA_PLATFORM=offscreen $(BIN)/python $$script; done

screenshots: setup
	mkdir -p docs/screenshots
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m ui.screenshots docs/screenshots

setup: sysdeps $(STAMP)

# Qt's wheels need these system libraries; install them when missing and we can.
sysdeps:
	@if command -v dpkg >/dev/null 2>&1; then \
	  missing=""; \
	  for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  $(PYTHON) -c 'import venv, ensurepip' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then SUDO=""; \
	    elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; \
	    else echo "Please install these system packages:$$missing"; exit 1; fi; \
	    echo "Installing system packages:$$missing"; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	  fi; \
	else echo "Not a Debian-based system: make sure Qt's libraries (libGL, libEGL, xkbcommon, fontconfig) are installed."; fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage
