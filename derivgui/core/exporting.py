"""The Qt-free half of exporting: formats, sizes, the Δa sweep and the CSV tables.

The command line checks its options with these before it imports Qt or PyTensor, so a typo
costs milliseconds; ``derivgui.ui.export`` draws the pictures.
"""

from __future__ import annotations

import io
import math
import os
import re
from collections.abc import Callable

import numpy as np

ValueAndGrad = Callable[..., tuple[np.ndarray, tuple[np.ndarray, ...]]]

# extension → what it is; "png-sequence" is a .png name with a printf-style frame number (%d, %04d).
FORMATS = {
    "png": "PNG image",
    "svg": "SVG vector drawing (2D view)",
    "pdf": "PDF vector page (2D view)",
    "csv": "CSV table of the sampled values",
    "gif": "animated GIF",
    "png-sequence": "numbered PNG frames",
}
ANIMATED = ("gif", "png-sequence")
VECTOR = ("svg", "pdf")
ANIMATIONS = {"sweep": "Δa → 0 sweep", "turntable": "turntable (3D)"}

MIN_SIDE = 16
MAX_SIDE = 10000
MAX_PIXELS = 64_000_000  # 8000 × 8000: a 256 MB image in memory
MAX_ANIMATION_PIXELS = 4_000_000  # per frame: every frame of a GIF is kept until it is written
DEFAULT_SIZE = (1600, 1000)
DEFAULT_ANIMATION_SIZE = (800, 500)
DEFAULT_FRAMES = 48
MAX_FRAMES = 2000
SMALLEST_DELTA = 1e-15
# Layouts are made at about this many logical pixels and scaled up, so text and lines keep the
# proportions they have on screen whatever the pixel size (what a HiDPI screen does).
REFERENCE_LAYOUT = (900, 560)
CURVE_SAMPLES = 1001
GRID_SAMPLES = 101

_FRAME_NUMBER = re.compile(r"%0?(\d*)d")


class ExportError(ValueError):
    """An export that cannot be done, with a one-line message for the user."""


class ExportCancelled(Exception):
    """The user pressed Cancel; nothing was written."""


def format_for_path(path: str | os.PathLike) -> str:
    """The format a file name asks for, from its extension; ``ExportError`` if there is none we write."""
    name = os.path.basename(os.fspath(path))
    ext = os.path.splitext(name)[1].lower().lstrip(".")
    if ext == "png" and _FRAME_NUMBER.search(name):
        return "png-sequence"
    if ext in FORMATS and ext != "png-sequence":
        return ext
    shown = f"'.{ext}'" if ext else "no extension"
    raise ExportError(f"unknown format ({shown}) for {name or path}: use .png, .svg, .pdf, .csv or .gif, "
                      "or a name like frame_%03d.png for numbered PNG frames")


def sequence_names(pattern: str | os.PathLike, count: int) -> list[str]:
    """The file names of a numbered PNG sequence, ``frame_%03d.png`` → frame_001.png …, from 1."""
    pattern = os.fspath(pattern)
    folder, name = os.path.split(pattern)
    match = _FRAME_NUMBER.search(name)
    if match is None:
        raise ExportError(f"{name} has no frame number: use a name like frame_%03d.png")
    width = int(match.group(1) or 0)
    width = max(width, len(str(count)))
    return [os.path.join(folder, name[:match.start()] + f"{i:0{width}d}" + name[match.end():])
            for i in range(1, count + 1)]


def parse_size(text: str, animated: bool = False) -> tuple[int, int]:
    """``"1600x1000"`` → (1600, 1000); ``ExportError`` for anything else or out of range."""
    match = re.fullmatch(r"\s*(\d{1,9})\s*[xX×]\s*(\d{1,9})\s*", text or "")
    if match is None:
        raise ExportError(f"bad size '{text}': expected WIDTHxHEIGHT in pixels, e.g. 1600x1000")
    return check_size(int(match.group(1)), int(match.group(2)), animated)


def check_size(width: int, height: int, animated: bool = False) -> tuple[int, int]:
    for side in (width, height):
        if not MIN_SIDE <= side <= MAX_SIDE:
            raise ExportError(f"bad size {width}x{height}: each side must be {MIN_SIDE} to {MAX_SIDE} pixels")
    limit = MAX_ANIMATION_PIXELS if animated else MAX_PIXELS
    if width * height > limit:
        what = "an animation's frames" if animated else "a picture"
        raise ExportError(f"bad size {width}x{height}: {what} can have at most {limit // 1_000_000} million pixels")
    return int(width), int(height)


def layout_for(width: int, height: int, scale: float | None = None) -> tuple[int, int, float]:
    """The logical size to lay a view out at, and the scale from it to ``width`` × ``height`` pixels.

    Without ``scale`` the layout is about REFERENCE_LAYOUT (never smaller than 1:1), so a
    4000-pixel export looks like a sharp window, not a window with tiny text.
    """
    if scale is None:
        ref_w, ref_h = REFERENCE_LAYOUT
        scale = max(1.0, math.sqrt(width * height / (ref_w * ref_h)))
    if not (math.isfinite(scale) and 0.1 <= scale <= 20):
        raise ExportError(f"bad scale {scale}: use a number from 0.1 to 20")
    lw = max(1, round(width / scale))
    lh = max(1, round(height / scale))
    return lw, lh, width / lw


def sweep_deltas(start: float, frames: int, end: float = SMALLEST_DELTA) -> np.ndarray:
    """Δ from ``start`` to ``end`` (same sign as start) in ``frames`` geometric steps."""
    if frames < 1:
        raise ExportError("an animation needs at least one frame")
    if not math.isfinite(start) or start == 0:
        raise ExportError(f"cannot sweep from Δ = {start}")
    sign = math.copysign(1.0, start)
    if frames == 1:
        return np.array([start])
    t = np.linspace(0.0, 1.0, frames)
    magnitudes = np.exp(np.log(abs(start)) * (1 - t) + np.log(end) * t)
    magnitudes[0], magnitudes[-1] = abs(start), end
    return sign * magnitudes


def _format_row(values) -> str:
    return ",".join(repr(float(v)) for v in values)  # shortest text that reads back exactly; nan, inf


def curve_table(value_and_grad: ValueAndGrad, x_range: tuple[float, float], samples: int = CURVE_SAMPLES):
    """x, f(x), f'(x) at ``samples`` evenly spaced points of ``x_range`` (f' from autodiff)."""
    x = np.linspace(float(x_range[0]), float(x_range[1]), max(int(samples), 2))
    f, (df,) = value_and_grad(x)
    return x, np.asarray(f, float), np.asarray(df, float)


def grid_table(value_and_grad: ValueAndGrad, x_range, y_range, samples: int = GRID_SAMPLES):
    """x, y, f, ∂f/∂x, ∂f/∂y on a ``samples`` × ``samples`` grid, flattened with y varying fastest."""
    n = max(int(samples), 2)
    xs = np.linspace(float(x_range[0]), float(x_range[1]), n)
    ys = np.linspace(float(y_range[0]), float(y_range[1]), n)
    x, y = np.meshgrid(xs, ys, indexing="ij")
    f, (dfdx, dfdy) = value_and_grad(x, y)
    return x.ravel(), y.ravel(), np.asarray(f, float).ravel(), np.asarray(dfdx, float).ravel(), \
        np.asarray(dfdy, float).ravel()


def csv_text(columns: dict[str, np.ndarray]) -> str:
    """A plain CSV: one header row, then full-precision numbers (``repr``; ``nan``/``inf`` as text)."""
    out = io.StringIO()
    out.write(",".join(columns) + "\n")
    for row in zip(*columns.values(), strict=True):
        out.write(_format_row(row) + "\n")
    return out.getvalue()


def curve_csv(value_and_grad: ValueAndGrad, x_range, samples: int = CURVE_SAMPLES) -> str:
    x, f, df = curve_table(value_and_grad, x_range, samples)
    return csv_text({"x": x, "f": f, "df_dx": df})


def grid_csv(value_and_grad: ValueAndGrad, x_range, y_range, samples: int = GRID_SAMPLES) -> str:
    x, y, f, dfdx, dfdy = grid_table(value_and_grad, x_range, y_range, samples)
    return csv_text({"x": x, "y": y, "f": f, "df_dx": dfdx, "df_dy": dfdy})
