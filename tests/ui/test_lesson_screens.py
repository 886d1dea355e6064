"""Each lesson's first sight: the plot is not mostly empty, f is not squashed flat, and the point is in view.

The view of every lesson is grabbed as the student first sees it (``widget.grab()``) and its pixels
counted inside the plot area (the axes' inside). A lesson whose y range fitted a wild f′ (x·sin(1/x)
near 0, where f′ is ±17 and f ±0.5) showed f as a flat line: its blue pixels spanned a sliver of the
height. The pictures are kept in the test's temporary folder for a look.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from PyQt5.QtCore import QRect
from PyQt5.QtGui import QImage

from derivgui.model.lessons import load_lessons
from derivgui.ui.view2d.plot2d import COLORS
from tests.ui.test_lessons import load

MIN_INK = 0.01  # of the plot area's pixels drawn in a colour (not the white, nor the faint grid)
MIN_F_SPAN = 0.3  # of the plot area's height that f's curve spans
MIN_SURFACE_INK = 0.06  # of the 3D view's pixels that are the surface (its default camera: 10-15%)


def pixels(image: QImage) -> np.ndarray:
    """The image as an (height, width, 3) array of RGB bytes."""
    image = image.convertToFormat(QImage.Format_RGB32)
    buffer = image.constBits()
    buffer.setsize(image.byteCount())
    data = np.frombuffer(buffer, dtype=np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    return data[:, : image.width(), 2::-1].copy()  # BGRA in memory: RGB


def plot_area(plot) -> QRect:
    """The inside of a plot's axes, in the plot widget's pixels."""
    view_box = plot.getPlotItem().getViewBox()
    return plot.mapFromScene(view_box.sceneBoundingRect()).boundingRect() & plot.rect()


def scaled(rect: QRect, ratio: float) -> tuple[int, int, int, int]:
    return (round(rect.left() * ratio), round(rect.top() * ratio), round((rect.right() + 1) * ratio),
            round((rect.bottom() + 1) * ratio))


def crop(rgb: np.ndarray, rect: QRect, ratio: float) -> np.ndarray:
    x0, y0, x1, y1 = scaled(rect, ratio)
    return rgb[y0:y1, x0:x1]


def plot_pixels(plot, rgb: np.ndarray) -> np.ndarray:
    """The plot area's pixels, the legend (with its sample of each curve) blanked out."""
    ratio = plot.devicePixelRatioF()
    rgb = rgb.copy()
    legend = plot.getPlotItem().legend
    if legend is not None and legend.isVisible():
        x0, y0, x1, y1 = scaled(plot.mapFromScene(legend.sceneBoundingRect()).boundingRect(), ratio)
        rgb[max(y0, 0):y1, max(x0, 0):x1] = 255
    return crop(rgb, plot_area(plot), ratio)


def ink(rgb: np.ndarray) -> float:
    """The share of pixels drawn in something darker or more colourful than the grid."""
    return float((rgb.min(axis=2) < 200).mean())


def colour_rows(rgb: np.ndarray, colour: str, tolerance: int = 40) -> np.ndarray:
    target = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    close = (np.abs(rgb.astype(int) - target) < tolerance).all(axis=2)
    return np.flatnonzero(close.any(axis=1))


def grab(widget, tmp_path, name: str) -> np.ndarray:
    image = widget.grab().toImage()
    image.save(str(tmp_path / f"{name}.png"))
    return pixels(image)


def settle(qtbot, window, lesson) -> None:
    qtbot.waitUntil(lambda: window.compiled is not None and window.compiled.text == lesson.expression, timeout=20000)
    if lesson.two_variables:
        page = window.page3d
        qtbot.waitUntil(lambda: not page._framing and not page._jobs, timeout=10000)  # its plots framed
    qtbot.wait(250)


@pytest.mark.parametrize("lesson", [lesson for lesson in load_lessons() if not lesson.two_variables],
                         ids=lambda lesson: lesson.id)
def test_a_2d_lesson_shows_its_point_at_first_sight(qtbot, window, tmp_path, lesson):
    load(qtbot, window, lesson.id)
    settle(qtbot, window, lesson)
    plot = window.plot2d
    rgb = grab(plot, tmp_path, lesson.id)
    area = plot_pixels(plot, rgb)
    assert area.shape[0] > 150 and area.shape[1] > 250
    assert ink(area) >= MIN_INK, f"{lesson.id}: the view is mostly empty ({ink(area):.1%} drawn)"
    rows = colour_rows(area, COLORS["f"])
    span = (rows.max() - rows.min()) / area.shape[0] if len(rows) else 0.0
    assert span >= MIN_F_SPAN, f"{lesson.id}: f spans {span:.0%} of the height: squashed flat"
    (x0, x1), (y0, y1) = plot.visible_x_range(), plot.visible_y_range()
    a = lesson.point[0]
    assert x0 < a < x1, f"{lesson.id}: a = {a} is outside the view's x range {x0, x1}"
    fa = window.compiled.value_and_grad(np.array([a]))[0][0]
    if math.isfinite(fa):
        assert y0 < fa < y1, f"{lesson.id}: f(a) = {fa} is outside the view's y range {y0, y1}"


@pytest.mark.gl
@pytest.mark.parametrize("lesson", [lesson for lesson in load_lessons() if lesson.two_variables],
                         ids=lambda lesson: lesson.id)
def test_a_3d_lesson_shows_its_point_at_first_sight(qtbot, window, tmp_path, lesson):
    load(qtbot, window, lesson.id)
    settle(qtbot, window, lesson)
    page = window.page3d
    a, b = lesson.point
    (x0, x1), (y0, y1) = window.state.surface_x_range, window.state.surface_y_range
    assert x0 < a < x1 and y0 < b < y1, f"{lesson.id}: the point is off the surface"
    rgb = grab(page.view, tmp_path, f"{lesson.id}-surface")
    assert ink(rgb) >= MIN_SURFACE_INK, f"{lesson.id}: the 3D view is mostly empty ({ink(rgb):.1%} drawn)"
    for plot, key in ((page.slice_x, a), (page.slice_y, b)):
        rgb = grab(plot, tmp_path, f"{lesson.id}-{plot.objectName()}")
        area = plot_pixels(plot, rgb)
        assert ink(area) >= MIN_INK, f"{lesson.id}: {plot.objectName()} is mostly empty"
        lo, hi = plot.visible_x_range()
        assert lo < key < hi, f"{lesson.id}: the point is outside {plot.objectName()}'s range {lo, hi}"
    fab = window.compiled.value_and_grad(np.array([a]), np.array([b]))[0][0]
    lo, hi = page.slice_x.visible_y_range()
    assert lo < fab < hi, f"{lesson.id}: f(a, b) is outside the slice's y range"


def test_the_check_sees_a_squashed_curve(qtbot, window, tmp_path):
    """What the lesson test guards against: x·sin(1/x) with y fitted to f and f′ shows f flat."""
    lesson = next(lesson for lesson in load_lessons() if lesson.id == "oscillation-x-sin")
    load(qtbot, window, lesson.id)
    settle(qtbot, window, lesson)
    window.plot2d.frame(*lesson.x_range)  # the old framing: y fitted to f and f′
    qtbot.wait(250)
    rgb = grab(window.plot2d, tmp_path, "squashed")
    area = plot_pixels(window.plot2d, rgb)
    rows = colour_rows(area, COLORS["f"])
    assert (rows.max() - rows.min()) / area.shape[0] < MIN_F_SPAN
