"""The 2D view's slider-step path: light overlay items that paint as pyqtgraph's, and cached static items."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt5.QtCore import Qt
from PyQt5.QtGui import QImage
from PyQt5.QtWidgets import QDoubleSpinBox

from derivgui.ui.overlays.items import Dots, Segments, VerticalLine
from tests.ui.conftest import type_expression


def pixels(widget) -> np.ndarray:
    image = widget.grab().toImage().convertToFormat(QImage.Format_RGB32)
    data = image.constBits()
    data.setsize(image.sizeInBytes())
    return np.frombuffer(data, np.uint8).reshape(image.height(), image.width(), 4).copy()


def plot_with(qtbot, items) -> pg.PlotWidget:
    plot = pg.PlotWidget(background="w")
    qtbot.addWidget(plot)
    plot.resize(500, 400)
    plot.setRange(xRange=(-3, 3), yRange=(-2, 2), padding=0)
    for item in items:
        plot.addItem(item)
    plot.show()
    qtbot.waitExposed(plot)
    return plot


@pytest.mark.parametrize(("pen", "connect", "x", "y"), [
    (pg.mkPen("#d62728", width=2), "all", [-3, 3], [-1.3, 1.9]),  # the secant: drawn as segments
    (pg.mkPen("#2ca02c", width=2, style=Qt.DashLine), "all", [-3, 3], [1.7, -0.4]),  # the tangent: a path
    (pg.mkPen("#55a868", width=1.2, style=Qt.DashLine), "pairs",  # the guides
     [0.5, 0.5, 1.7, 1.7, 0, 0.5, 0, 1.7], [0, 0.8, 0, 1.4, 0.8, 0.8, 1.4, 1.4]),
    (pg.mkPen("#d62728", width=2), "all", [-3, 3], [np.nan, np.nan]),  # f not finite at a: no line
])
def test_segments_paint_as_a_curve(qtbot, pen, connect, x, y):
    mine = Segments(pen, connect=connect)
    mine.setData(np.array(x, float), np.array(y, float))
    theirs = pg.PlotDataItem(np.array(x, float), np.array(y, float), pen=pen, connect=connect)
    assert np.array_equal(pixels(plot_with(qtbot, [mine])), pixels(plot_with(qtbot, [theirs])))


def test_dots_paint_as_a_scatter_plot(qtbot):
    style = {"size": 9, "pen": pg.mkPen("w", width=1.5), "brush": pg.mkBrush("#222222")}
    x, y = np.array([-1.2, 0.4, 2.0, 5.0]), np.array([0.3, -0.7, np.nan, 0.0])  # one not finite, one outside
    mine = Dots(**style)
    mine.setData(x, y)
    theirs = pg.ScatterPlotItem(x=x, y=y, **style)
    assert np.array_equal(pixels(plot_with(qtbot, [mine])), pixels(plot_with(qtbot, [theirs])))


@pytest.mark.parametrize("x", [0.0, 1.37, -2.9])
def test_vertical_line_paints_as_an_infinite_line(qtbot, x):
    pen = pg.mkPen("#888", width=1)
    mine = plot_with(qtbot, [VerticalLine(x, pen)])
    theirs = plot_with(qtbot, [pg.InfiniteLine(pos=x, angle=90, pen=pen)])
    assert np.array_equal(pixels(mine), pixels(theirs))


def test_overlay_bounds_follow_the_points(qtbot):
    line = Segments(pg.mkPen("k", width=2))
    plot = plot_with(qtbot, [line])  # noqa: F841 (keeps the view, and so the item, alive)
    line.setData(np.array([-1.0, 2.0]), np.array([0.5, -1.5]))
    rect = line.boundingRect()
    assert rect.left() < -1.0 < 2.0 < rect.right() and rect.top() < -1.5 < 0.5 < rect.bottom()
    assert line.dataBounds(0) == (-1.0, 2.0) and line.dataBounds(1) == (-1.5, 0.5)
    line.setData(np.array([np.nan, np.nan]), np.array([np.nan, np.nan]))
    assert line.boundingRect().isEmpty() and line.dataBounds(1) == (None, None)


def test_a_slider_step_repaints_only_what_moves(qtbot, window, monkeypatch):
    type_expression(qtbot, window, "sin(x) + x^2/4")
    point = window.findChild(QDoubleSpinBox, "pointSpin")
    plot = window.plot2d
    point.setValue(0.5)
    qtbot.wait(100)
    painted = []

    def counting(name, original):
        def paint(*args):
            painted.append(name)
            original(*args)
        return paint

    monkeypatch.setattr(plot.f_curve.curve, "paint", counting("f", plot.f_curve.curve.paint))
    left_axis = plot.getPlotItem().getAxis("left")
    monkeypatch.setattr(left_axis, "paint", counting("left axis", left_axis.paint))
    plot_paints = []
    original_paint_event = type(plot).paintEvent

    def paint_event(view, event):
        plot_paints.append(view)
        original_paint_event(view, event)

    monkeypatch.setattr(type(plot), "paintEvent", paint_event)
    for a in (0.7, 0.9, 1.1):
        point.setValue(a)
        qtbot.waitUntil(lambda: plot in plot_paints, timeout=2000)
        plot_paints.clear()
    assert painted == []  # drawn from their caches
    assert window.plot2d.secant.getData()[0].tolist() == list(plot.visible_x_range())


def test_error_plot_marker_follows_the_step_while_hidden(qtbot, window):
    type_expression(qtbot, window, "sin(x)")
    delta = window.findChild(QDoubleSpinBox, "deltaSpin")
    window.error_dock.hide()
    delta.setValue(1e-3)
    window.error_dock.show()
    qtbot.waitUntil(lambda: window.error_plot.isVisible(), timeout=2000)
    assert window.error_plot.current.value() == pytest.approx(-3)


def screen_pixels(widget) -> np.ndarray:
    """What the X server shows for ``widget`` (the window's incremental repaints, not a fresh render)."""
    from PyQt5.QtWidgets import QApplication

    image = QApplication.primaryScreen().grabWindow(widget.winId()).toImage().convertToFormat(QImage.Format_RGB32)
    data = image.constBits()
    data.setsize(image.sizeInBytes())
    return np.frombuffer(data, np.uint8).reshape(image.height(), image.width(), 4).copy()


def test_step_marker_paints_as_an_infinite_line_and_moves_cleanly(qtbot):
    from derivgui.numeric.steps import step_errors
    from derivgui.ui.view2d.error_plot import STEP_LABEL_FILL, ErrorPlot

    class Line(pg.InfiniteLine):
        def setValue(self, value, position=None):  # noqa: N802 (pyqtgraph's name)
            if position is not None:  # (where the error plot puts the label, away from the curves)
                self.label.setPosition(position)
            super().setValue(value)

    errors = step_errors(lambda x: (np.sin(x), (np.cos(x),)), 1.0)
    plots = []
    for marker in ("mine", "pyqtgraph's"):
        plot = ErrorPlot()
        qtbot.addWidget(plot)
        if marker == "pyqtgraph's":  # the InfiniteLine with an InfLineLabel it replaces
            item = plot.plot.getPlotItem()
            item.removeItem(plot.current)
            plot.current = Line(angle=90, pen=pg.mkPen("#2ca02c", width=2), label="current Δa",
                                labelOpts={"color": "#2ca02c", "position": 0.92, "fill": STEP_LABEL_FILL})
            item.addItem(plot.current, ignoreBounds=True)
            plot.current.stackBefore(plot.best)  # stacked where the original was: under the best-step marker
        plot.setGeometry(0, 330 * len(plots), 1200, 300)  # side by side: the screen shows each whole
        plot.show()
        qtbot.waitExposed(plot)
        plot.set_errors(errors)
        plots.append(plot)
    # (Where pyqtgraph's label lies inside the plot: mine keeps it inside where it would not, below.)
    for delta in (1.0, 0.3, 3e-5, 2.5e-9, 1e-13):  # both sides of the middle
        for plot in plots:
            plot.set_current_step(delta)
        qtbot.wait(30)
        assert np.array_equal(pixels(plots[0]), pixels(plots[1])), delta
        # Stale pixels never go away by themselves; the screen catches up with the last repaint.
        qtbot.waitUntil(lambda: np.array_equal(screen_pixels(plots[0]), pixels(plots[0])), timeout=3000)


def test_step_marker_label_stays_in_the_plot_and_points_to_a_step_off_it(qtbot):
    """A short plot clipped the label's top; a step past either end of the axis hid it."""
    from derivgui.numeric.steps import step_errors
    from derivgui.ui.view2d.error_plot import ErrorPlot

    plot = ErrorPlot()
    qtbot.addWidget(plot)
    plot.setGeometry(0, 0, 900, 190)
    plot.show()
    qtbot.waitExposed(plot)
    plot.set_errors(step_errors(lambda x: (np.sin(x), (np.cos(x),)), 1.0))
    marker = plot.current
    for delta, text in ((1.0, "current Δa"), (1e-8, "current Δa"), (15.0, "current Δa →"),
                        (1e-17, "← current Δa"), (0.5, "current Δa")):
        plot.set_current_step(delta)
        qtbot.wait(30)
        assert marker._label.toPlainText() == text
        to_device = marker.deviceTransform(plot.plot.viewportTransform())
        _line, top_left, size = marker._geometry(to_device)
        assert to_device.mapRect(marker.viewRect()).adjusted(-1, -1, 1, 1).contains(size.translated(top_left)), delta
        qtbot.waitUntil(lambda: np.array_equal(screen_pixels(plot), pixels(plot)), timeout=3000)


def test_error_plot_keeps_its_decades_while_the_errors_fit(qtbot):
    from derivgui.numeric.steps import step_errors
    from derivgui.ui.view2d.error_plot import ErrorPlot

    plot = ErrorPlot()
    qtbot.addWidget(plot)

    def y_range() -> tuple[float, float]:
        return tuple(plot.plot.getPlotItem().getViewBox().viewRange()[1])

    plot.set_errors(step_errors(lambda x: (np.sin(x), (np.cos(x),)), 1.0))
    first = y_range()
    assert first[0] % 1 == pytest.approx(0.5) and first[1] % 1 == pytest.approx(0.5)  # whole decades
    plot.set_errors(step_errors(lambda x: (np.sin(1.1 * x), (1.1 * np.cos(1.1 * x),)), 1.0))
    assert y_range() == first  # a similar function: the same axes, not re-rendered
    plot.set_errors(step_errors(lambda x: (1e6 * np.exp(x), (1e6 * np.exp(x),)), 1.0))
    lo, hi = y_range()
    assert hi > first[1]  # errors above the old range: framed anew around them
    log_errors = np.log10(plot.errors.forward[plot.errors.forward > 0])
    assert lo <= max(log_errors.min(), -17) and log_errors.max() <= hi
