"""The 2D view: f, f', the point a and a + Δa with the notebook's guides, secant and tangent."""

from __future__ import annotations

import weakref

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import Qt, QTimer, pyqtSignal
from PyQt5.QtGui import QFont, QPixmapCache
from PyQt5.QtWidgets import QGraphicsItem

from derivgui.core.geometry import SampledCurve, SecantReport, line_through, robust_y_range, sample_curve

COLORS = {
    "f": "#1f77b4",
    "derivative": "#ff7f0e",
    "secant": "#d62728",
    "tangent": "#2ca02c",
    "guide": "#55a868",
    "point": "#222222",
}

_cached_views: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # view -> items drawn from caches


def cache_as_pixmaps(view: pg.GraphicsView, items) -> None:
    """Draw ``items`` of ``view`` from device-pixel caches: a paint blits them instead of drawing.

    For what does not move while the overlays above it do. Qt redraws a cache when its item
    changes or the view pans or zooms. Not for a rotated item (a vertical InfiniteLine): Qt
    re-renders its cache on every paint; nor for text items (a legend's labels): their glyphs
    come out differently in a pixmap (measured).
    """
    for item in items:
        item.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
    _cached_views[view] = _cached_views.get(view, 0) + len(items)
    fit_pixmap_cache()


def fit_pixmap_cache() -> None:
    """Let QPixmapCache hold every view's caches (10 MB by default; a cache is up to a viewport,
    ~1.3 MB for the 2D view of a 1500x950 window): caches that do not fit evict one another, and
    every paint draws them again."""
    needed_kb = 10240
    for view, count in list(_cached_views.items()):
        try:
            ratio = view.devicePixelRatioF()
            size = view.viewport().size()
        except RuntimeError:  # the view is gone
            continue
        needed_kb += int(2 * count * size.width() * size.height() * 4 * ratio * ratio / 1024)
    if QPixmapCache.cacheLimit() < needed_kb:
        QPixmapCache.setCacheLimit(needed_kb)


class Plot2DView(pg.PlotWidget):
    """A PlotWidget that resamples f for whatever x range is visible.

    The compiled function arrives through ``set_function``; ``set_report`` moves the point
    overlays (cheap, for every slider step); panning or zooming resamples the curves.
    ``cache_static`` (for the window's view, not for off-screen export views) draws what a step
    does not move from pixmaps.
    """

    point_dragged = pyqtSignal(float)
    range_changed = pyqtSignal(float, float)  # the visible x range, after a pan or zoom

    def __init__(self, parent=None, object_name: str = "plot2d", variable: str = "x", point: str = "a",
                 function: str = "f(x)", derivative: str = "f′(x)", cache_static: bool = False) -> None:
        super().__init__(parent, background="w")
        self.setObjectName(object_name)
        self.setMinimumSize(400, 300)
        item = self.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.15)
        item.setLabel("bottom", variable)
        item.setLabel("left", function)
        for axis in ("bottom", "left"):
            item.getAxis(axis).setTextPen("k")
            item.getAxis(axis).setPen(pg.mkPen("#444"))
        self.legend = item.addLegend(offset=(10, 10), labelTextColor="k", brush=pg.mkBrush(255, 255, 255, 220))
        self._value_and_grad = None
        self._report: SecantReport | None = None

        axis_pen = pg.mkPen("#888", width=1)
        self.x_axis_line = pg.InfiniteLine(pos=0, angle=0, pen=axis_pen)
        self.y_axis_line = pg.InfiniteLine(pos=0, angle=90, pen=axis_pen)
        for line in (self.x_axis_line, self.y_axis_line):
            self.addItem(line, ignoreBounds=True)

        self.f_curve = self.plot(name=function, pen=pg.mkPen(COLORS["f"], width=2.5), connect="finite")
        self.df_curve = self.plot(name=f"{derivative} (autodiff)", pen=pg.mkPen(COLORS["derivative"], width=2),
                                  connect="finite")
        self.secant = self.plot(name="secant", pen=pg.mkPen(COLORS["secant"], width=2))
        self.tangent = self.plot(name="tangent", pen=pg.mkPen(COLORS["tangent"], width=2, style=Qt.DashLine))
        self.mine_curve = self.plot(pen=pg.mkPen("#9467bd", width=2, style=Qt.DotLine),
                                    connect="finite")
        self.mismatch = pg.ScatterPlotItem(size=7, symbol="x", pen=pg.mkPen("#b00000", width=1.5),
                                           brush=pg.mkBrush("#b00000"))
        self.addItem(self.mismatch, ignoreBounds=True)
        self.show_my_derivative(None)
        guide_pen = pg.mkPen(COLORS["guide"], width=1.2, style=Qt.DashLine)
        self.guides = pg.PlotCurveItem(pen=guide_pen, connect="pairs")
        self.addItem(self.guides, ignoreBounds=True)
        self.points = pg.ScatterPlotItem(size=9, pen=pg.mkPen("w", width=1.5), brush=pg.mkBrush(COLORS["point"]))
        self.addItem(self.points, ignoreBounds=True)
        self.handle = pg.TargetItem(size=14, movable=True, pen=pg.mkPen(COLORS["secant"], width=2),
                                    brush=pg.mkBrush(0, 0, 0, 0))
        self.handle.setToolTip(f"drag to move {point} along the curve")
        self.handle.setZValue(20)
        self.addItem(self.handle, ignoreBounds=True)
        self.handle.sigPositionChanged.connect(self._on_handle_moved)
        font = QFont()
        font.setPointSize(11)
        self.labels = {}
        fname = function.split("(")[0]
        for key, text, anchor in (("a", point, (0.5, 0)), ("a+da", f"{point} + Δ{point}", (0.5, 0)),
                                  ("fa", f"{fname}({point})", (1, 0.5)),
                                  ("fa+da", f"{fname}({point} + Δ{point})", (1, 0.5))):
            label = pg.TextItem(text, color=COLORS["guide"], anchor=anchor)
            label.setFont(font)
            self.labels[key] = label
            self.addItem(label, ignoreBounds=True)

        self.curve = SampledCurve(np.zeros(0), np.zeros(0), np.zeros(0))
        self._resample_timer = QTimer(self)
        self._resample_timer.setSingleShot(True)
        self._resample_timer.setInterval(0)
        self._resample_timer.timeout.connect(self.resample)
        item.getViewBox().sigRangeChanged.connect(self._on_range_changed)
        self._moving_handle = False
        if cache_static:
            self._cache_static_items()

    def _cache_static_items(self) -> None:
        """Keep what a slider step does not move as pixmaps, so a step repaints only the overlays.

        The secant and tangent span the view, so every step repaints all of it: with the axes and
        their grid, f, f′ and the legend drawn from device-pixel caches, that repaint takes ~2.5 ms
        instead of ~5.5 (measured). Only for a view on screen: ``scene.render`` into an image or
        PDF (export) would use the screen-resolution pixmaps instead of drawing through the
        export's painter.
        """
        item = self.getPlotItem()
        cache_as_pixmaps(self, [item.getAxis("left"), item.getAxis("bottom"), self.f_curve.curve,
                                self.df_curve.curve, self.x_axis_line, self.legend])

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        fit_pixmap_cache()

    # -- data in -----------------------------------------------------------------------------

    def set_function(self, value_and_grad, x_range: tuple[float, float] | None = None) -> None:
        """Show a new compiled function; with ``x_range``, frame it (y from the curve's values)."""
        self._value_and_grad = value_and_grad
        if x_range is not None:
            self.frame(*x_range)
        self.resample()
        self._resample_timer.stop()  # framing queued a resample for the range it just set: done

    def frame(self, x_min: float, x_max: float) -> None:
        """Show [x_min, x_max] with a y range that fits the curve (robust against poles)."""
        y_lo, y_hi = -1.0, 1.0
        if self._value_and_grad is not None:
            xs = np.linspace(x_min, x_max, 400)
            values, (slopes,) = self._value_and_grad(xs)
            y_lo, y_hi = robust_y_range(np.concatenate([values, slopes]))
        self.getPlotItem().getViewBox().setRange(xRange=(x_min, x_max), yRange=(y_lo, y_hi), padding=0)

    def visible_x_range(self) -> tuple[float, float]:
        (x0, x1), _ = self.getPlotItem().getViewBox().viewRange()
        return float(x0), float(x1)

    def visible_y_range(self) -> tuple[float, float]:
        _, (y0, y1) = self.getPlotItem().getViewBox().viewRange()
        return float(y0), float(y1)

    def sample_count(self) -> int:
        """At least one sample per pixel (the issue asks one per 2 px; curves look smoother)."""
        return max(400, int(self.getPlotItem().getViewBox().width()) + 1)

    def resample(self) -> None:
        if self._value_and_grad is None:
            return
        x0, x1 = self.visible_x_range()
        y0, y1 = self.visible_y_range()
        self.curve = sample_curve(self._value_and_grad, x0, x1, self.sample_count(), y1 - y0)
        self.f_curve.setData(self.curve.x, self.curve.f)
        self.df_curve.setData(self.curve.x, self.curve.df)
        if self._report is not None:
            self._draw_lines(self._report)

    def set_report(self, report: SecantReport) -> None:
        """Move the point overlays to a new (a, Δa)."""
        self._report = report
        a, ad = report.a, report.a + report.delta
        fa, fad = report.f_a, report.f_a_delta
        self.points.setData([a, ad], [fa, fad])
        self._moving_handle = True
        self.handle.setPos(a, fa if np.isfinite(fa) else 0.0)
        self._moving_handle = False
        # The notebook's dashed guides: down to the x axis and across to the y axis.
        self.guides.setData(np.array([a, a, ad, ad, 0, a, 0, ad], dtype=float),
                            np.array([0, fa, 0, fad, fa, fa, fad, fad], dtype=float))
        self.labels["a"].setPos(a, 0)
        self.labels["a+da"].setPos(ad, 0)
        self.labels["fa"].setPos(0, fa)
        self.labels["fa+da"].setPos(0, fad)
        # Labels would pile up when Δa is small on screen; show the a + Δa ones only when they are apart.
        view_box = self.getPlotItem().getViewBox()
        x0, x1 = self.visible_x_range()
        y0, y1 = self.visible_y_range()
        apart_x = abs(report.delta) / (x1 - x0) * view_box.width() > 70
        apart_y = abs(fad - fa) / (y1 - y0) * view_box.height() > 18
        self.labels["a+da"].setVisible(bool(self.guides.isVisible() and apart_x))
        self.labels["fa+da"].setVisible(bool(self.guides.isVisible() and apart_y))
        self._draw_lines(report)

    def _draw_lines(self, report: SecantReport) -> None:
        x0, x1 = self.visible_x_range()
        self.secant.setData(*line_through(report.a, report.f_a, report.secant_slope, x0, x1))
        self.tangent.setData(*line_through(report.a, report.f_a, report.tangent_slope, x0, x1))

    def show_my_derivative(self, x, mine=None, bad_x=None, bad_y=None) -> None:
        """Overlay the student's derivative; mark (at most 60 of) the points where it disagrees."""
        in_legend = any(sample.item is self.mine_curve for sample, _label in self.legend.items)
        if x is None:
            self.mine_curve.setData([], [])
            self.mismatch.setData([], [])
            if in_legend:
                self.legend.removeItem(self.mine_curve)
            return
        if not in_legend:
            self.legend.addItem(self.mine_curve, "your f′")
        self.mine_curve.setData(x, mine)
        if bad_x is not None and len(bad_x):
            pick = np.linspace(0, len(bad_x) - 1, min(60, len(bad_x))).astype(int)
            self.mismatch.setData(np.asarray(bad_x)[pick], np.asarray(bad_y)[pick])
        else:
            self.mismatch.setData([], [])

    # -- toggles -----------------------------------------------------------------------------

    def set_visibility(self, f: bool, derivative: bool, secant: bool, tangent: bool, guides: bool) -> None:
        self.f_curve.setVisible(f)
        self.df_curve.setVisible(derivative)
        self.secant.setVisible(secant)
        self.tangent.setVisible(tangent)
        self.guides.setVisible(guides)
        for key, label in self.labels.items():
            label.setVisible(guides and key in ("a", "fa"))
        if self._report is not None:
            self.set_report(self._report)

    # -- events ------------------------------------------------------------------------------

    PAN_KEYS = {Qt.Key_Left: (-0.1, 0.0), Qt.Key_Right: (0.1, 0.0), Qt.Key_Up: (0.0, 0.1), Qt.Key_Down: (0.0, -0.1)}

    def keyPressEvent(self, event) -> None:
        """Arrow keys pan by a tenth of the view; + and − zoom about the centre."""
        x0, x1 = self.visible_x_range()
        y0, y1 = self.visible_y_range()
        view_box = self.getPlotItem().getViewBox()
        if event.key() in self.PAN_KEYS:
            fx, fy = self.PAN_KEYS[event.key()]
            dx, dy = fx * (x1 - x0), fy * (y1 - y0)
            view_box.setRange(xRange=(x0 + dx, x1 + dx), yRange=(y0 + dy, y1 + dy), padding=0)
        elif event.key() in (Qt.Key_Plus, Qt.Key_Equal, Qt.Key_Minus):
            factor = 1.25 if event.key() == Qt.Key_Minus else 0.8
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            view_box.setRange(xRange=(cx - (cx - x0) * factor, cx + (x1 - cx) * factor),
                              yRange=(cy - (cy - y0) * factor, cy + (y1 - cy) * factor), padding=0)
        else:
            super().keyPressEvent(event)

    def _on_range_changed(self, *_args) -> None:
        self._resample_timer.start()  # coalesce the burst of range signals of one gesture
        self.range_changed.emit(*self.visible_x_range())

    def _on_handle_moved(self) -> None:
        if not self._moving_handle:
            self.point_dragged.emit(float(self.handle.pos().x()))
