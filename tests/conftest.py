"""Shared fixtures. GUI tests run under Xvfb (pytest-xvfb starts it when there is no display)."""

from __future__ import annotations

import os

# Compile caches and settings never touch the user's home during tests.
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp/derivgui-test-runtime")
os.makedirs(os.environ["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)
