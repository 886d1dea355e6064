"""The Qt-free half of exporting: formats, sizes, the Δa sweep and the CSV tables.

The command line checks its options with these before it imports Qt or PyTensor, so a typo
costs milliseconds; ``derivgui.ui.export.scene`` draws the pictures.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterator
from typing import TextIO

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
# A GIF keeps every frame (one byte a pixel once quantized) until it is written: at most this many
# pixels in all, about 400 MB (2000 frames of 400 × 500, or 1000 of 800 × 500).
MAX_GIF_PIXELS = 400_000_000
MAX_FRAME_DIGITS = 9  # the width of a frame number, %09d: more says nothing about 2000 frames
SMALLEST_DELTA = 1e-15
# Layouts are made at about this many logical pixels and scaled up, so text and lines keep the
# proportions they have on screen whatever the pixel size (what a HiDPI screen does).
REFERENCE_LAYOUT = (900, 560)
CURVE_SAMPLES = 1001
GRID_SAMPLES = 101
# CSV tables: 100 000 rows of x, f, f' (about 6 MB); a grid of at most 1000 × 1000 = 1e6 rows of
# x, y, f, ∂f/∂x, ∂f/∂y (about 90 MB of text, written in blocks: a few seconds, little memory).
MAX_CURVE_SAMPLES = 100_000
MAX_GRID_SAMPLES = 1000
CSV_BLOCK_ROWS = 20_000
NAME_MAX = 255  # bytes in one component of a file name

_FRAME_NUMBER = re.compile(r"%0?(\d*)d")


def shorten(text, limit: int = 40) -> str:
    """What the user typed, for a message: at most ``limit`` characters (the middle becomes "…")."""
    from derivgui.files.atomic import shorten as cut

    return cut(text, limit)


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
    shown = f"'.{shorten(ext, 20)}'" if ext else "no extension"
    raise ExportError(f"unknown format ({shown}) for {shorten(name or os.fspath(path), 60)}: use .png, .svg, .pdf, "
                      ".csv or .gif, or a name like frame_%03d.png for numbered PNG frames")


def sequence_names(pattern: str | os.PathLike, count: int) -> list[str]:
    """The file names of a numbered PNG sequence, ``frame_%03d.png`` → frame_001.png …, from 1.

    ``ExportError`` for a frame number wider than MAX_FRAME_DIGITS, more than MAX_FRAMES frames, or
    names longer than a file system takes (255 bytes).
    """
    pattern = os.fspath(pattern)
    folder, name = os.path.split(pattern)
    match = _FRAME_NUMBER.search(name)
    if match is None:
        raise ExportError(f"{shorten(name, 60)} has no frame number: use a name like frame_%03d.png")
    digits = match.group(1) or "0"
    if len(digits.lstrip("0")) > 2 or int(digits) > MAX_FRAME_DIGITS:
        too_long = len(digits.lstrip("0")) > 3 or len(os.fsencode(name)) - len(match.group(0)) + int(digits) > NAME_MAX
        raise ExportError(f"the frame number {shorten(match.group(0), 12)} is too wide"
                          + (" (the file names would be too long)" if too_long else "")
                          + f": use at most {MAX_FRAME_DIGITS} digits, e.g. %03d")
    if not 1 <= count <= MAX_FRAMES:
        raise ExportError(f"bad frame count {shorten(str(count), 12)}: use 1 to {MAX_FRAMES}")
    width = max(int(digits), len(str(count)))
    before, after = name[:match.start()], name[match.end():]
    longest = before + "9" * width + after
    if len(os.fsencode(longest)) > NAME_MAX:
        raise ExportError(f"file name too long: {shorten(longest, 60)} would have "
                          f"{len(os.fsencode(longest))} bytes; a file system takes at most {NAME_MAX}")
    return [os.path.join(folder, f"{before}{i:0{width}d}{after}") for i in range(1, count + 1)]


def parse_size(text: str, animated: bool = False) -> tuple[int, int]:
    """``"1600x1000"`` → (1600, 1000); ``ExportError`` for anything else or out of range."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text or "")
    if match is None:
        raise ExportError(f"bad size '{shorten(text or '', 30)}': expected positive WIDTHxHEIGHT in pixels, "
                          f"e.g. 1600x1000 (each side {MIN_SIDE} to {MAX_SIDE})")
    width, height = (int(g) if len(g.lstrip("0")) <= 9 else MAX_SIDE * 10 for g in match.groups())
    try:
        return check_size(width, height, animated)
    except ExportError:
        if len(text) <= 30:
            raise
        raise ExportError(f"bad size '{shorten(text, 30)}': each side must be {MIN_SIDE} to {MAX_SIDE} pixels") \
            from None


def check_size(width: int, height: int, animated: bool = False) -> tuple[int, int]:
    for side in (width, height):
        if not MIN_SIDE <= side <= MAX_SIDE:
            raise ExportError(f"bad size {shorten(width, 12)}x{shorten(height, 12)}: each side must be {MIN_SIDE} "
                              f"to {MAX_SIDE} pixels")
    limit = MAX_ANIMATION_PIXELS if animated else MAX_PIXELS
    if width * height > limit:
        what = "an animation's frames" if animated else "a picture"
        raise ExportError(f"bad size {width}x{height}: {what} can have at most {limit // 1_000_000} million pixels")
    return int(width), int(height)


def check_animation(width: int, height: int, frames: int, fmt: str = "gif") -> None:
    """``ExportError`` naming the limit if an animation would be too large to make."""
    if not 1 <= frames <= MAX_FRAMES:
        raise ExportError(f"bad frame count {shorten(frames, 12)}: use 1 to {MAX_FRAMES}")
    check_size(width, height, animated=True)
    if fmt == "gif" and width * height * frames > MAX_GIF_PIXELS:
        most = max(1, MAX_GIF_PIXELS // (width * height))
        raise ExportError(f"a GIF of {frames} frames of {width}x{height} is too large: at most "
                          f"{MAX_GIF_PIXELS // 1_000_000} million pixels in all ({most} frames at this size); "
                          "use fewer frames, a smaller size or numbered PNG frames")


def check_samples(samples: int, two_variables: bool) -> int:
    """The CSV sample count if it is within the limits; ``ExportError`` naming them if not."""
    limit = MAX_GRID_SAMPLES if two_variables else MAX_CURVE_SAMPLES
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or not 2 <= samples <= limit:
        what = (f"grid points per side for f(x, y) (a grid of at most {limit * limit:,} rows)" if two_variables
                else "points of the curve")
        raise ExportError(f"bad sample count {shorten(samples, 12)}: use 2 to {limit} {what}")
    return int(samples)


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


def _format_column(values: np.ndarray) -> list[str]:
    """``repr`` of each value: the shortest text that reads back exactly; nan and inf as such.

    A grid's x and y columns repeat a few values many times: those are formatted once each.
    """
    values = np.ascontiguousarray(values, dtype=float)
    if len(values) > 64:
        unique, inverse = np.unique(values.view(np.int64), return_inverse=True)  # bits: -0.0 is not 0.0
        if len(unique) * 4 < len(values):
            texts = list(map(repr, unique.view(float).tolist()))
            return list(map(texts.__getitem__, inverse.ravel().tolist()))
    return list(map(repr, values.tolist()))


def curve_table(value_and_grad: ValueAndGrad, x_range: tuple[float, float], samples: int = CURVE_SAMPLES):
    """x, f(x), f'(x) at ``samples`` evenly spaced points of ``x_range`` (f' from autodiff)."""
    n = check_samples(max(int(samples), 2), two_variables=False)
    x = np.linspace(float(x_range[0]), float(x_range[1]), n)
    f, (df,) = value_and_grad(x)
    return x, np.broadcast_to(np.asarray(f, float), x.shape), np.broadcast_to(np.asarray(df, float), x.shape)


def grid_table(value_and_grad: ValueAndGrad, x_range, y_range, samples: int = GRID_SAMPLES):
    """x, y, f, ∂f/∂x, ∂f/∂y on a ``samples`` × ``samples`` grid, flattened with y varying fastest."""
    n = check_samples(max(int(samples), 2), two_variables=True)
    xs = np.linspace(float(x_range[0]), float(x_range[1]), n)
    ys = np.linspace(float(y_range[0]), float(y_range[1]), n)
    x, y = np.meshgrid(xs, ys, indexing="ij")
    f, (dfdx, dfdy) = value_and_grad(x, y)
    columns = (np.asarray(v, float) for v in (f, dfdx, dfdy))
    return (x.ravel(), y.ravel(), *(np.broadcast_to(v, x.shape).ravel() for v in columns))


def csv_blocks(columns: dict[str, np.ndarray], cancelled: Callable[[], bool] | None = None,
               block_rows: int = CSV_BLOCK_ROWS) -> Iterator[str]:
    """A plain CSV in pieces: the header row, then blocks of full-precision rows.

    Numbers are ``repr`` (``nan``/``inf`` as text). ``cancelled()`` is asked between blocks and
    raises ``ExportCancelled`` when it says so.
    """
    yield ",".join(columns) + "\n"
    arrays = [np.asarray(v, dtype=float).ravel() for v in columns.values()]
    rows = len(arrays[0]) if arrays else 0
    for start in range(0, rows, block_rows):
        if cancelled is not None and cancelled():
            raise ExportCancelled
        texts = [_format_column(a[start:start + block_rows]) for a in arrays]
        yield "\n".join(map(",".join, zip(*texts, strict=True))) + "\n"


def csv_text(columns: dict[str, np.ndarray]) -> str:
    """A plain CSV: one header row, then full-precision numbers (``repr``; ``nan``/``inf`` as text)."""
    return "".join(csv_blocks(columns))


def write_csv(out: TextIO, columns: dict[str, np.ndarray], cancelled: Callable[[], bool] | None = None) -> None:
    """``csv_text`` written block by block to ``out``: memory stays small whatever the table's length."""
    for block in csv_blocks(columns, cancelled):
        out.write(block)


def curve_columns(value_and_grad: ValueAndGrad, x_range, samples: int = CURVE_SAMPLES) -> dict[str, np.ndarray]:
    x, f, df = curve_table(value_and_grad, x_range, samples)
    return {"x": x, "f": f, "df_dx": df}


def grid_columns(value_and_grad: ValueAndGrad, x_range, y_range, samples: int = GRID_SAMPLES) -> dict[str, np.ndarray]:
    x, y, f, dfdx, dfdy = grid_table(value_and_grad, x_range, y_range, samples)
    return {"x": x, "y": y, "f": f, "df_dx": dfdx, "df_dy": dfdy}


def curve_csv(value_and_grad: ValueAndGrad, x_range, samples: int = CURVE_SAMPLES) -> str:
    return csv_text(curve_columns(value_and_grad, x_range, samples))


def grid_csv(value_and_grad: ValueAndGrad, x_range, y_range, samples: int = GRID_SAMPLES) -> str:
    return csv_text(grid_columns(value_and_grad, x_range, y_range, samples))
