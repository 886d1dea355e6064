"""The static layer: static items painted into a view's background look as the scene paints them."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import QRectF, Qt
from PyQt5.QtGui import QImage, QPainter

from derivgui.ui.static_layer import LayeredPlotWidget
from tests.ui.test_plot2d import pixels


def build(qtbot, layered: bool, moving_shown: bool = False):
    """A plot with a grid, a clipped curve, a rotated line and a moving item (hidden unless
    ``moving_shown``: over a layer it lies above the grid, in the scene under it; so would a legend)."""
    plot = (LayeredPlotWidget if layered else pg.PlotWidget)(background="w")
    qtbot.addWidget(plot)
    plot.resize(520, 380)
    item = plot.getPlotItem()
    item.showGrid(x=True, y=True, alpha=0.3)
    x = np.linspace(-4, 4, 300)
    curve = item.plot(x, 3 * np.sin(2 * x), pen=pg.mkPen("#1f77b4", width=2.5))  # leaves the view: clipped
    zero = pg.InfiniteLine(pos=0.5, angle=90, pen=pg.mkPen("#888", style=Qt.DashLine))
    item.addItem(zero)
    moving = item.plot([-3, 3], [-1, 1], pen=pg.mkPen("#d62728", width=2))
    moving.setVisible(moving_shown)
    item.setRange(xRange=(-3, 3), yRange=(-2, 2), padding=0)
    if layered:
        view_box = item.getViewBox()
        plot.set_static_items([item.getAxis("left"), item.getAxis("bottom"), curve, zero],
                              changes=[view_box.sigTransformChanged, curve.sigPlotChanged])
    plot.show()
    qtbot.waitExposed(plot)
    return plot, curve, moving


def same_picture(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal but for rounding where translucent pixels were blended in another order."""
    difference = np.abs(a.astype(int) - b.astype(int)).max(axis=2)
    return difference.max() <= 3 and (difference > 0).mean() < 0.002


def test_layer_paints_static_items_as_the_scene_does(qtbot):
    (mine, *_), (theirs, *_) = build(qtbot, True), build(qtbot, False)
    qtbot.wait(20)
    assert same_picture(pixels(mine), pixels(theirs))


def test_layer_follows_changes(qtbot):
    views = [build(qtbot, layered) for layered in (True, False)]
    x = np.linspace(-4, 4, 300)
    for _plot, curve, _moving in views:
        curve.setData(x, np.cos(3 * x))  # a new function: the layer is drawn anew
    qtbot.wait(20)
    assert same_picture(pixels(views[0][0]), pixels(views[1][0]))
    for plot, _curve, _moving in views:
        plot.getPlotItem().setRange(xRange=(-2, 5), yRange=(-1.5, 1.5), padding=0)  # a new range
    qtbot.wait(20)
    assert same_picture(pixels(views[0][0]), pixels(views[1][0]))


def test_moving_items_paint_over_the_layer_and_leave_it_intact(qtbot):
    plot, _curve, moving = build(qtbot, True, moving_shown=True)
    alone, *_ = build(qtbot, True)
    red = np.array([0x28, 0x27, 0xd6])  # #d62728 as B, G, R

    def on_line(image: np.ndarray) -> np.ndarray:
        """Pixels of the moving line's colour."""
        return (np.abs(image[..., :3].astype(int) - red) <= 8).all(axis=2)

    assert on_line(pixels(plot)).sum() > 300
    moving.setVisible(False)  # gone: what was under it is the layer again
    qtbot.wait(20)
    assert not on_line(pixels(plot)).any()
    assert same_picture(pixels(plot), pixels(alone))


def test_scene_render_of_a_layered_view_includes_the_static_items(qtbot):
    """pyqtgraph's image and print exporters render the scene, not the view's background."""
    renders = []
    for layered in (True, False):
        plot, *_ = build(qtbot, layered)
        image = QImage(plot.viewport().size(), QImage.Format_RGB32)
        image.fill(Qt.white)
        painter = QPainter(image)
        plot.scene().render(painter, QRectF(image.rect()), QRectF(plot.viewport().rect()))
        painter.end()
        renders.append(image)
    assert renders[0] == renders[1]
    assert len({renders[0].pixel(x, 200) for x in range(0, renders[0].width(), 4)}) > 3  # not blank
