"""The two-variable page: the 3D surface, the linked slice plots and the gradient along a line."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import Qt, QTimer
from PyQt5.QtWidgets import QGraphicsItem, QSplitter, QVBoxLayout, QWidget

from derivgui.core.geometry import robust_y_range
from derivgui.core.surface import PointReport, gradient_along_line, sample_surface, slice_along_x, slice_along_y
from derivgui.ui.plot2d import Plot2DView
from derivgui.ui.plot3d import Surface3DPanel

DRAFT_RESOLUTION = 100  # while ranges or the expression change
IDLE_RESOLUTION = 200  # once things are still
IDLE_DELAY_MS = 250


class SurfacePage(QWidget):
    """Surface on top; below it, the slices x ↦ f(x, b) and y ↦ f(a, y) and the notebook's
    gradient-along-the-diagonal plot, all following the same point."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.surface = Surface3DPanel()
        self.view = self.surface.view
        self.slice_x = Plot2DView(object_name="sliceXPlot", variable="x", point="a",
                                  function="f(x, b)", derivative="∂f/∂x")
        self.slice_y = Plot2DView(object_name="sliceYPlot", variable="y", point="b",
                                  function="f(a, y)", derivative="∂f/∂y")
        self.gradient_line = pg.PlotWidget(background="w")
        self.gradient_line.setObjectName("gradientLinePlot")
        item = self.gradient_line.getPlotItem()
        item.setTitle("∇f along the diagonal (a + t, b + t)", color="k", size="10pt")
        item.setLabel("bottom", "t")
        item.showGrid(x=True, y=True, alpha=0.15)
        item.addLegend(offset=(8, 8), labelTextColor="k", brush=pg.mkBrush(255, 255, 255, 220))
        self.grad_x_curve = item.plot(name="∂f/∂x", pen=pg.mkPen("#1f77b4", width=2), connect="finite")
        self.grad_y_curve = item.plot(name="∂f/∂y", pen=pg.mkPen("#9467bd", width=2), connect="finite")
        item.addItem(pg.InfiniteLine(pos=0, angle=90, pen=pg.mkPen("#888", style=Qt.DashLine)))
        for plot in (self.slice_x, self.slice_y, self.gradient_line):
            plot.setMinimumSize(220, 180)

        bottom = QSplitter(Qt.Horizontal)
        for plot in (self.slice_x, self.slice_y, self.gradient_line):
            bottom.addWidget(plot)
        splitter = QSplitter(Qt.Vertical)
        splitter.addWidget(self.surface)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self._value_and_grad = None
        self.x_range = (-6.0, 6.0)
        self.y_range = (-6.0, 6.0)
        self.resolution = 0
        self._slices_framed = False  # the slice plots are framed once per function, then left to the user
        self._slice_at = (None, None)  # the b and a whose slices the plots show
        self._gradient_x_range: tuple[float, float] | None = None
        self._gradient_y_range: tuple[float, float] | None = None
        self.gradient_line.getPlotItem().getViewBox().disableAutoRange()
        # What does not move with the point is drawn once and then copied: axes with their grid
        # lines, legends and titles (and the slices' curves between the steps that change them).
        for plot in (self.slice_x, self.slice_y, self.gradient_line):
            _cache_static_items(plot)
        for plot in (self.slice_x, self.slice_y):
            for curve in (plot.f_curve, plot.df_curve):
                curve.curve.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self._refine_timer = QTimer(self)
        self._refine_timer.setSingleShot(True)
        self._refine_timer.setInterval(IDLE_DELAY_MS)
        self._refine_timer.timeout.connect(lambda: self._draw_surface(IDLE_RESOLUTION))

    def set_function(self, value_and_grad, x_range, y_range) -> None:
        """A new expression or domain: draw a draft surface now and a finer one when idle."""
        self._value_and_grad = value_and_grad
        self.x_range, self.y_range = tuple(x_range), tuple(y_range)
        self._draw_surface(DRAFT_RESOLUTION)
        self._refine_timer.start()
        self._slices_framed = False
        self._gradient_y_range = None

    def _draw_surface(self, resolution: int) -> None:
        if self._value_and_grad is None:
            return
        grid = sample_surface(self._value_and_grad, self.x_range, self.y_range, resolution, resolution)
        self.resolution = resolution
        self.surface.set_surface(self._value_and_grad, grid)

    def set_point(self, report: PointReport, delta_a: float, delta_b: float) -> None:
        if self._value_and_grad is None:
            return
        self.view.set_point(report, delta_a, delta_b)
        frame = not self._slices_framed
        # A slice's curve depends on the other coordinate only: a step of a leaves f(x, b) as it is.
        if frame or self._slice_at[0] != report.b:
            self.slice_x.set_function(slice_along_x(self._value_and_grad, report.b),
                                      x_range=self.x_range if frame else None)
        if frame or self._slice_at[1] != report.a:
            self.slice_y.set_function(slice_along_y(self._value_and_grad, report.a),
                                      x_range=self.y_range if frame else None)
        self._slice_at = (report.b, report.a)
        self._slices_framed = True
        self.slice_x.set_report(report.along_x)
        self.slice_y.set_report(report.along_y)
        half = 0.5 * min(self.x_range[1] - self.x_range[0], self.y_range[1] - self.y_range[0])
        t = np.linspace(-half, half, 300)
        gx, gy = gradient_along_line(self._value_and_grad, report.a, report.b, t)
        self.grad_x_curve.setData(t, gx)
        self.grad_y_curve.setData(t, gy)
        self._fit_gradient_range(half, gx, gy)

    def _fit_gradient_range(self, half: float, gx: np.ndarray, gy: np.ndarray) -> None:
        """Frame the gradient plot, changing its y range only when the curves leave it or fill
        less than half of it: steady axes while the point moves (and one repaint per step, where
        auto-range repainted again for the new range)."""
        lo, hi = robust_y_range(np.concatenate([gx, gy]))
        x_range = (-half, half)
        current = self._gradient_y_range
        refit = current is None or lo < current[0] or hi > current[1] \
            or hi - lo < 0.5 * (current[1] - current[0])
        if refit:
            pad = 0.15 * (hi - lo)
            self._gradient_y_range = (lo - pad, hi + pad)
        if refit or x_range != self._gradient_x_range:
            self._gradient_x_range = x_range
            self.gradient_line.getPlotItem().getViewBox().setRange(
                xRange=x_range, yRange=self._gradient_y_range, padding=0)

    def set_overlay_visibility(self, secant: bool, tangent: bool, gradient: bool, slices: bool, plane: bool,
                               guides: bool, f: bool, derivative: bool) -> None:
        self.view.set_overlay_visibility(secant=secant, tangent=tangent, gradient=gradient, slices=slices,
                                         plane=plane)
        for plot in (self.slice_x, self.slice_y):
            plot.set_visibility(f, derivative, secant, tangent, guides)

    def stop_timers(self) -> None:
        self._refine_timer.stop()


def _cache_static_items(plot: pg.PlotWidget) -> None:
    item = plot.getPlotItem()
    for name in ("left", "bottom", "top", "right"):
        item.getAxis(name).setCacheMode(QGraphicsItem.DeviceCoordinateCache)
    if item.legend is not None:
        item.legend.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
    item.titleLabel.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
