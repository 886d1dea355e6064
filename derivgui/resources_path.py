"""Where shipped resources live, in a wheel, an editable install or a plain source checkout."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path


def _root() -> Traversable:
    try:
        return resources.files("derivgui.resources")
    except ModuleNotFoundError:
        # Running from a source checkout that was not installed: resources/ sits beside the package.
        return Path(__file__).resolve().parent.parent / "resources"


def resource(*parts: str) -> Traversable:
    """A file or folder under ``resources/``, found through ``importlib.resources`` when installed."""
    node = _root()
    for part in parts:
        node = node / part
    return node


def read_text(*parts: str) -> str:
    return resource(*parts).read_text(encoding="utf-8")
