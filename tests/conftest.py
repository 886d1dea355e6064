"""Shared fixtures. GUI tests run under Xvfb (pytest-xvfb starts it when there is no display)."""

from __future__ import annotations

import os

# Compile caches and settings never touch the user's home during tests.
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp/derivgui-test-runtime")
os.makedirs(os.environ["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)

# The program cache (core/program_cache.py) of every window and subprocess a test starts goes to a
# private folder, never ~/.cache/derivgui.
if "DERIVGUI_CACHE_DIR" not in os.environ:
    import tempfile

    os.environ["DERIVGUI_CACHE_DIR"] = tempfile.mkdtemp(prefix="derivgui-test-cache-")
