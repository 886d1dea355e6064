# Two commands do everything on a fresh Debian machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# What Qt's xcb plugin, Xvfb and Mesa's OpenGL need beside the Python wheels.
SYSTEM_PACKAGES := xvfb xauth libgl1 libgl1-mesa-dri libegl1 libopengl0 libglib2.0-0 libfontconfig1 \
  libdbus-1-3 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-xinerama0 libxcb-image0 \
  libxcb-render-util0 libxcb-shape0 libxcb-randr0 libxcb-xfixes0 libxcb-xkb1 libxcb-cursor0 fonts-dejavu-core

.PHONY: run test bench lint system-packages clean

$(VENV)/bin/activate:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "derivgui needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(VENV)/bin/activate pyproject.toml
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

run: $(VENV)/.installed
	@if [ -z "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
	  echo "make run needs a display (DISPLAY is not set). Headless: $(VENV)/bin/derivgui export --help"; exit 1; fi
	$(VENV)/bin/derivgui

system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing system packages: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "derivgui's GUI tests need these system packages; please run:"; \
	    echo "  sudo apt-get install $$missing"; exit 1; \
	  fi; \
	fi

test: system-packages $(VENV)/.installed
	$(VENV)/bin/ruff check derivgui tests benchmarks
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) -m pytest

# Prints the engine and UI tables; exits non-zero when benchmarks/ui.py reports a missed target.
bench: system-packages $(VENV)/.installed
	$(PY) benchmarks/engine.py
	$(PY) benchmarks/ui.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check derivgui tests benchmarks
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
