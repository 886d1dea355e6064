"""The 2D view: the point a and a + Δa, and the registered overlays (f, f′, secant, tangent, guides, …)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from contextlib import contextmanager

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import QPointF, QRectF, Qt, QTimer, pyqtSignal
from PyQt5.QtGui import QFont
from PyQt5.QtWidgets import QGraphicsItem

from derivgui.numeric.geometry import (
    SampledCurve,
    SecantReport,
    range_still_fits,
    robust_y_range,
    sample_curve,
)
from derivgui.ui.overlays import PLOT2D_OVERLAYS, OverlayRegistry
from derivgui.ui.overlays.base import Z_MARKS
from derivgui.ui.overlays.items import COLORS, Dots, VerticalLine
from derivgui.ui.static_layer import StaticLayerView
from derivgui.ui.tuning import fit_pixmap_cache, note_pixmap_caches

UNDEFINED_COLOR = "#a02020"  # the hollow marker and its words where f(a) is undefined


def cache_as_pixmaps(view: pg.GraphicsView, items) -> None:
    """Draw ``items`` of ``view`` from device-pixel caches: a paint blits them instead of drawing.

    For what does not move while the overlays above it do. Qt redraws a cache when its item
    changes or the view pans or zooms. Not for a rotated item (a vertical InfiniteLine): Qt
    re-renders its cache on every paint; nor for text items (a legend's labels): their glyphs
    come out differently in a pixmap (measured).
    """
    for item in items:
        item.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
    note_pixmap_caches(view, len(items))
    fit_pixmap_cache()  # process-wide: QPixmapCache's limit (see tuning)


def paint_viewport_opaquely(view: pg.GraphicsView) -> None:
    """Skip the viewport's background fill: the view's own opaque background covers every repaint.

    QGraphicsView fills its viewport with the palette before drawing its (cached, opaque)
    background over the same pixels: ~0.15 ms of each slider step (measured).
    """
    if view.backgroundBrush().isOpaque():
        view.viewport().setAutoFillBackground(False)
        view.viewport().setAttribute(Qt.WA_OpaquePaintEvent, True)


def keep_axis_widths(item: pg.PlotItem) -> None:
    """Let the axes' room for tick labels grow but never shrink.

    pyqtgraph fits the left axis's width to its widest tick label: a new y range with shorter or
    longer labels ("0.5" after "−1000") resized the axis, which re-laid the plot out, resized its
    view and re-rendered every cached item in it (half of the new expressions in
    benchmarks/ui.py section 2 did, measured). Grown once, the width stays.
    """
    for name in ("left", "bottom"):
        item.getAxis(name).setStyle(autoReduceTextSpace=False)


def plain_tick_labels(axis: pg.AxisItem) -> None:
    """Tick labels that say their values themselves, in one notation.

    No multiplier beside the axis's name: pyqtgraph's SI-prefix scaling wrote "f(x) (x1e+27)"
    beside ticks like 3.5e+113 for exp(exp(x)). Large and tiny ticks are written 3.5e+113 and
    2e-07, with as many significant digits as it takes to tell neighbouring ticks apart.
    """
    axis.enableAutoSIPrefix(False)
    default = axis.tickStrings

    def tick_strings(values, scale, spacing):
        strings = default(values, scale, spacing)
        for digits in range(7, 18):
            if len(set(strings)) == len(set(values)):
                break
            strings = [f"{v * scale:.{digits}g}" for v in values]
        return strings

    axis.tickStrings = tick_strings


# A moving point's labels are placed once it has rested this long (``placing_when_settled``).
SETTLE_MS = 80

CORNERS = ((0, 0), (1, 0), (0, 1), (1, 1))  # (left 0 / right 1, top 0 / bottom 1), in order of preference


class InkMap:
    """How much curve lies in any rectangle of a view (pixels): the curves' length per 4-pixel
    cell as a summed-area table, so that a rectangle costs four look-ups (``cost``)."""

    CELL = 4.0

    def __init__(self, ink: np.ndarray, width: float, height: float) -> None:
        self.nx, self.ny = int(width // self.CELL) + 1, int(height // self.CELL) + 1
        grid = np.zeros(self.nx * self.ny)
        if len(ink):
            ix = np.clip((ink[:, 0] / self.CELL).astype(int), 0, self.nx - 1)
            iy = np.clip((ink[:, 1] / self.CELL).astype(int), 0, self.ny - 1)
            grid = np.bincount(iy * self.nx + ix, weights=ink[:, 2], minlength=self.nx * self.ny)
        self.table = np.zeros((self.ny + 1, self.nx + 1))
        self.table[1:, 1:] = grid.reshape(self.ny, self.nx).cumsum(0).cumsum(1)

    def cost(self, rect: QRectF) -> float:
        """The length of curve in ``rect`` (to the cell)."""
        x0 = int(_clamp(rect.left() / self.CELL, 0, self.nx))
        x1 = int(_clamp(math.ceil(rect.right() / self.CELL), 0, self.nx))
        y0 = int(_clamp(rect.top() / self.CELL, 0, self.ny))
        y1 = int(_clamp(math.ceil(rect.bottom() / self.CELL), 0, self.ny))
        t = self.table
        return float(t[y1, x1] - t[y0, x1] - t[y1, x0] + t[y0, x0])


def length_in(lines: list[tuple[float, float, float, float]], rect: QRectF) -> float:
    """The length of the segments ``lines`` (x0, y0, x1, y1) inside ``rect`` (Liang–Barsky)."""
    left, top, right, bottom = rect.left(), rect.top(), rect.right(), rect.bottom()
    total = 0.0
    for x0, y0, x1, y1 in lines:
        if (x0 < left and x1 < left) or (x0 > right and x1 > right) or (y0 < top and y1 < top) \
                or (y0 > bottom and y1 > bottom):
            continue
        dx, dy = x1 - x0, y1 - y0
        t0, t1 = 0.0, 1.0
        for p, q in ((-dx, x0 - left), (dx, right - x0), (-dy, y0 - top), (dy, bottom - y0)):
            if p == 0:
                if q < 0:
                    t1 = -1.0
                    break
            elif p < 0:
                t0 = max(t0, q / p)
            else:
                t1 = min(t1, q / p)
        if t1 > t0:
            total += (t1 - t0) * math.hypot(dx, dy)
    return total


class AutoLegend(pg.LegendItem):
    """A legend in the corner of its view where it covers nothing that matters (``place``).

    It never covers a rectangle it is told to keep clear (the point, its labels) when a corner
    can avoid it, and otherwise takes the corner with the least curve and line under it. It
    stays where it is while that corner does about as well, so it does not jump about with each
    slider step. Dragged by the user, it stays where they put it.
    """

    def __init__(self, margin: float = 8.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.margin = margin
        self.corner: tuple[int, int] | None = None
        self.user_placed = False

    def put(self, corner: tuple[int, int]) -> None:
        """Anchor to ``corner`` of the parent (the view box)."""
        if corner == self.corner:
            return
        self.corner = corner
        m = self.margin
        self.anchor(itemPos=corner, parentPos=corner, offset=(-m if corner[0] else m, -m if corner[1] else m))

    def corner_rect(self, corner: tuple[int, int], width: float, height: float) -> QRectF:
        """The legend's rectangle in ``corner`` of a ``width`` × ``height`` view, in the view's pixels."""
        w, h, m = self.width(), self.height(), self.margin
        return QRectF(width - m - w if corner[0] else m, height - m - h if corner[1] else m, w, h)

    def place(self, width: float, height: float, keep_clear: list[QRectF], ink: InkMap | None,
              lines: list[tuple[float, float, float, float]] = ()) -> None:
        """Go to the best corner of a ``width`` × ``height`` view: one that covers none of
        ``keep_clear`` (pixel rectangles), then the one with the least curve (``ink``) and
        ``lines`` (pixel segments x0, y0, x1, y1) under it."""
        if self.user_placed or width <= 0 or height <= 0 or not self.items:
            return

        def cost(corner) -> tuple[float, float]:
            rect = self.corner_rect(corner, width, height)
            hard = sum(_area(rect & other) for other in keep_clear)
            rect.adjust(-4, -4, 4, 4)
            soft = (ink.cost(rect) if ink is not None else 0.0) + length_in(lines, rect)
            return hard, 5.0 * hard + soft  # (a covered point, 144 px², weighs as 720 px of curve)

        costs = {corner: cost(corner) for corner in CORNERS}
        best = min(CORNERS, key=lambda corner: costs[corner][1])
        current = costs.get(self.corner)
        if current is not None and current[0] <= costs[best][0] and current[1] <= 1.25 * costs[best][1] + 40:
            return  # where it is does about as well
        self.put(best)

    def mouseDragEvent(self, ev) -> None:  # noqa: N802 (pyqtgraph's name)
        super().mouseDragEvent(ev)
        if ev.button() == Qt.LeftButton:
            self.user_placed = True


def add_auto_legend(item: pg.PlotItem, **kwargs) -> AutoLegend:
    """What ``PlotItem.addLegend`` does, with an ``AutoLegend`` starting at the top left."""
    legend = AutoLegend(**kwargs)
    legend.setParentItem(item.getViewBox())
    item.legend = legend
    legend.put((0, 0))
    return legend


def ink_of(item: pg.PlotItem) -> InkMap | None:
    """Where the visible curves of ``item`` lie in its view box's pixels (for ``AutoLegend.place``)."""
    view_box = item.getViewBox()
    width, height = view_box.width(), view_box.height()
    (x0, x1), (y0, y1) = view_box.viewRange()
    if width <= 0 or height <= 0 or x1 <= x0 or y1 <= y0:
        return None
    parts = []
    for curve in item.items:
        if not isinstance(curve, (pg.PlotDataItem, pg.PlotCurveItem)) or not curve.isVisible():
            continue
        x, y = curve.getData()
        if x is None or len(x) < 2:
            continue
        step = max(1, len(x) // 1000)
        px = (np.asarray(x[::step], float) - x0) * (width / (x1 - x0))
        py = (y1 - np.asarray(y[::step], float)) * (height / (y1 - y0))
        with np.errstate(invalid="ignore", over="ignore"):
            # each segment as its midpoint with its length (a steep one as several points along it)
            length = np.minimum(np.hypot(np.diff(px), np.diff(py)), 2 * height)
            pieces = np.where(np.isfinite(length), np.ceil(length / InkMap.CELL), 0).astype(int)
            pieces = np.maximum(pieces, 1)
            start = np.repeat(np.arange(len(length)), pieces)
            fraction = (np.arange(len(start)) - np.repeat(np.cumsum(pieces) - pieces, pieces) + 0.5) / pieces[start]
            mx = px[start] + fraction * (px[start + 1] - px[start])
            my = py[start] + fraction * (py[start + 1] - py[start])
            weight = length[start] / pieces[start]
            keep = np.isfinite(weight) & (mx >= 0) & (mx <= width) & (my >= 0) & (my <= height)
        parts.append(np.column_stack([mx[keep], my[keep], weight[keep]]))
    return InkMap(np.concatenate(parts) if parts else np.zeros((0, 3)), width, height)


def _clamp(value: float, lo: float, hi: float) -> float:
    return max(lo, min(value, hi)) if hi >= lo else lo


def _beside(at: QPointF, size: QRectF, side: float, below: bool, view: QRectF, taken: list[QRectF],
            ink: InkMap | None, lines: list[tuple[float, float, float, float]] = ()) -> QRectF:
    """A label's rectangle of ``size`` beside the point ``at`` (pixels): on the ``side`` (−1 left,
    1 right), below or above it, or at the other three corners of the point, or a step further
    out from any of them (a crowded corner); each pushed inside ``view``. The nearest that
    needs no push and lies clear of ``taken``, of the curves (``ink``) and of ``lines`` (pixel
    segments x0, y0, x1, y1) wins; else the one that covers least."""
    gap = 6.0
    w, h = size.width(), size.height()
    best, best_score = None, math.inf
    corners = ((side, below), (side, not below), (-side, below), (-side, not below))
    for step in (0, 1, 2):
        for order, (s, b) in enumerate(corners):
            preference = 8.0 * order + 40.0 * step  # (growing: a candidate that costs nothing more wins)
            if preference >= best_score:
                return best
            out = gap + step * 0.8 * h
            left = at.x() + gap + step * 6 if s > 0 else at.x() - gap - step * 6 - w
            top = at.y() + out if b else at.y() - out - h
            rect = QRectF(_clamp(left, 0, view.width() - w), _clamp(top, 0, view.height() - h), w, h)
            pushed = abs(rect.left() - left) + abs(rect.top() - top)
            covered = sum(_area(rect & other) for other in taken)
            curves = (ink.cost(rect) if ink is not None else 0.0) + length_in(lines, rect)
            score = 10.0 * covered + 3.0 * curves + 2.0 * pushed + preference
            if score < best_score:
                best, best_score = rect, score
    return best


def _area(rect: QRectF) -> float:
    return 0.0 if rect.isEmpty() else rect.width() * rect.height()


class Plot2DView(StaticLayerView, pg.PlotWidget):
    """A PlotWidget that resamples f for whatever x range is visible.

    The compiled function arrives through ``set_function``; ``set_report`` moves the point
    overlays (cheap, for every slider step); panning or zooming resamples the curves.
    ``cache_static`` (for views on screen, not for off-screen export views) draws what a step
    does not move from pixmaps; ``static_curves`` says whether f and f′ are among that (not in
    the 3D page's slices, where a step of the other coordinate changes them). Without
    ``lines_in_legend`` the legend names the curves only (a small slice plot's full legend
    covered a third of it); ``derivative_legend`` is f′'s name there (f′ "(autodiff)" by default).

    What it draws over the axes besides the points are overlays (``derivgui.ui.overlays``), one
    of each class in ``PLOT2D_OVERLAYS``, kept by name in ``overlays`` (an ``OverlayRegistry``):
    ``set_overlays`` shows and hides them by name, ``set_report`` feeds the shown ones the point,
    ``resample`` all of them the new samples of f and f′. ``f_curve``, ``df_curve``, ``secant``,
    ``tangent`` and ``guides`` are the items of the overlays "f", "derivative", "secant",
    "tangent" and "guides". A legend sample clicked shows or hides its overlay (``overlay_toggled``).

    The guides' labels (``values``: what f(a) and f(a + Δa) are called, "f(a, b)" in a slice)
    sit beside their points, inside the view, clear of one another; the legend takes the
    corner where it covers neither them nor much of the curves (``AutoLegend``). Where f(a) is
    undefined (and has no limit: a hole's open circle shows that) there is no point: a hollow
    marker on the x axis says "f(a) undefined".
    """

    point_dragged = pyqtSignal(float)
    range_changed = pyqtSignal(float, float)  # the visible x range, after a pan or zoom
    overlay_toggled = pyqtSignal(str, bool)  # an overlay's name and whether it shows, toggled in the view (its legend)

    def __init__(self, parent=None, object_name: str = "plot2d", variable: str = "x", point: str = "a",
                 function: str = "f(x)", derivative: str = "f′(x)", cache_static: bool = False,
                 static_curves: bool = True, lines_in_legend: bool = True, derivative_legend: str | None = None,
                 values: tuple[str, str] | None = None, label_size: int = 11) -> None:
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
            plain_tick_labels(item.getAxis(axis))
        keep_axis_widths(item)
        self.legend = add_auto_legend(item, labelTextColor="k", brush=pg.mkBrush(255, 255, 255, 220))
        self._value_and_grad = None
        self._branch_changes = None
        self._find_holes = None
        self._holes: list[tuple[float, float]] = []  # (x, limit) in the visible range
        self._report: SecantReport | None = None

        axis_pen = pg.mkPen("#888", width=1)
        self.x_axis_line = pg.InfiniteLine(pos=0, angle=0, pen=axis_pen)
        self.y_axis_line = VerticalLine(0.0, axis_pen)
        for line in (self.x_axis_line, self.y_axis_line):
            self.addItem(line, ignoreBounds=True)

        # What the overlays read of the view as they build their items.
        self.function_label = function
        self.derivative_label = derivative_legend or f"{derivative} (autodiff)"
        self.lines_in_legend = lines_in_legend
        self.overlays = OverlayRegistry(overlay(self) for overlay in PLOT2D_OVERLAYS)
        self.f_curve = self.overlays["f"].curve
        self.df_curve = self.overlays["derivative"].curve
        self.secant = self.overlays["secant"].line
        self.tangent = self.overlays["tangent"].line
        self.guides = self.overlays["guides"].line
        self.legend.sigSampleClicked.connect(self._on_legend_clicked)
        # The student's f′ lies over the overlays at Z_LINES (over f′, which it should match) and under
        # those at Z_MARKS (the guides), as the points and their labels lie over those.
        self.mine_curve = self.plot(pen=pg.mkPen("#9467bd", width=2, style=Qt.DotLine),
                                    connect="finite")
        self.mismatch = pg.ScatterPlotItem(size=7, symbol="x", pen=pg.mkPen("#b00000", width=1.5),
                                           brush=pg.mkBrush("#b00000"))
        self.addItem(self.mismatch, ignoreBounds=True)
        self.show_my_derivative(None)
        self.points = Dots(size=9, pen=pg.mkPen("w", width=1.5), brush=pg.mkBrush(COLORS["point"]))
        self.points.setZValue(Z_MARKS)
        self.addItem(self.points, ignoreBounds=True)
        # An open circle where f(a) is undefined but has a limit: a removable discontinuity.
        self.hole = Dots(size=20, pen=pg.mkPen(COLORS["f"], width=2.5), brush=pg.mkBrush("w"))
        self.hole.setZValue(10)
        self.addItem(self.hole, ignoreBounds=True)
        # Where f(a) is undefined (no limit either): a hollow circle on the x axis, never a point.
        self.undefined_marker = Dots(size=13, pen=pg.mkPen(UNDEFINED_COLOR, width=2), brush=pg.mkBrush(0, 0, 0, 0))
        self.undefined_marker.setZValue(10)
        self.addItem(self.undefined_marker, ignoreBounds=True)
        self.handle = pg.TargetItem(size=14, movable=True, pen=pg.mkPen(COLORS["secant"], width=2),
                                    brush=pg.mkBrush(0, 0, 0, 0))
        self.handle.setToolTip(f"drag to move {point} along the curve")
        self.handle.setZValue(20)
        # Its bounds are its symbol's (not its position's) and it does not count in the view's
        # auto-range (ignoreBounds), so the Python geometry-change notices pyqtgraph asks for do
        # nothing but cost ~40 µs of every step; a drag still moves it through TargetItem.setPos.
        self.handle.setFlag(QGraphicsItem.ItemSendsGeometryChanges, False)
        self.handle.setFlag(QGraphicsItem.ItemSendsScenePositionChanges, False)
        self.addItem(self.handle, ignoreBounds=True)
        self.handle.sigPositionChanged.connect(self._on_handle_moved)
        font = QFont()
        font.setPointSize(label_size)
        self.labels = {}
        fname = function.split("(")[0]
        values = values or (f"{fname}({point})", f"{fname}({point} + Δ{point})")
        for key, text, color in (("a", point, COLORS["guide"]), ("a+da", f"{point} + Δ{point}", COLORS["guide"]),
                                 ("fa", values[0], COLORS["guide"]), ("fa+da", values[1], COLORS["guide"]),
                                 ("undefined", f"{values[0]} undefined", UNDEFINED_COLOR)):
            # Placed by their top-left corners (``_place_overlays``), on a light background over the curves.
            label = pg.TextItem(text, color=color, anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 160))
            label.setFont(font)
            # Outside the view's bounds (ignoreBounds), so pyqtgraph needs no notice of each move.
            label.setFlag(QGraphicsItem.ItemSendsGeometryChanges, False)
            label.setVisible(False)  # shown once there is a point to label
            label.setZValue(Z_MARKS)
            self.labels[key] = label
            self.addItem(label, ignoreBounds=True)
        self._undefined = False  # f(a) undefined without a limit: the hollow marker on the axis
        self._ink: InkMap | None = None  # where the curves lie, for placing labels and legend; None when stale

        self.curve = SampledCurve(np.zeros(0), np.zeros(0), np.zeros(0))
        self._resample_timer = QTimer(self)
        self._resample_timer.setSingleShot(True)
        self._resample_timer.setInterval(0)
        self._resample_timer.timeout.connect(self.resample)
        item.getViewBox().sigRangeChanged.connect(self._on_range_changed)
        item.getViewBox().sigResized.connect(self._on_view_resized)
        self._moving_handle = False
        self._placement_deferred = self._placement_pending = False  # see ``placing_when_settled``
        self._settle_timer: QTimer | None = None  # see ``placing_when_settled``
        if cache_static:
            self._cache_static_items(static_curves)

    def _cache_static_items(self, static_curves: bool) -> None:
        """Keep what a slider step does not move as pixmaps, so a step repaints only the overlays.

        The secant and tangent span the view, so every step repaints all of it: the axes with
        their grid, the axis lines and (``static_curves``) f and f′ are one opaque background
        (``StaticLayer``), the legend, which lies above the overlays, a pixmap of its own. Only
        for a view on screen: ``scene.render`` into an image or PDF (export) would use the
        screen-resolution pixmaps instead of drawing through the export's painter.
        """
        item = self.getPlotItem()
        view_box = item.getViewBox()
        static = [item.getAxis("left"), item.getAxis("bottom"), self.x_axis_line, self.y_axis_line]
        changes = [view_box.sigTransformChanged, view_box.sigResized]
        curves = [self.f_curve, self.df_curve]
        if static_curves:
            static += curves
            changes += [curve.sigPlotChanged for curve in curves]
        else:
            cache_as_pixmaps(self, [curve.curve for curve in curves])
        self.set_static_items(static, changes)
        cache_as_pixmaps(self, [self.legend])
        paint_viewport_opaquely(self)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        fit_pixmap_cache()

    # -- data in -----------------------------------------------------------------------------

    def set_function(self, value_and_grad, x_range: tuple[float, float] | None = None,
                     branch_changes=None, holes=None) -> None:
        """Show a new compiled function; with ``x_range``, frame it (y from the curve's values),
        keeping the y range while the new curve fits it well (see ``frame``). ``branch_changes``
        (see ``sample_curve``) lets f′ break where a switching function changes branch;
        ``holes(x0, x1)`` (``CompiledExpression.holes``) gives the open circles to draw."""
        self._value_and_grad = value_and_grad
        self._branch_changes = branch_changes
        self._find_holes = holes
        if x_range is not None:
            self.frame(*x_range, keep_fitting_y=True)
        self.resample()
        self._resample_timer.stop()  # framing queued a resample for the range it just set: done

    def frame(self, x_min: float, x_max: float, keep_fitting_y: bool = False) -> None:
        """Show [x_min, x_max] with a y range that fits the curve (robust against poles).

        ``keep_fitting_y`` keeps the y range on screen when the curve lies inside it and fills at
        least half of it: the axes stay put from one expression to a similar next one, as the eye
        expects, and are not re-rendered.
        """
        y_lo, y_hi = -1.0, 1.0
        if self._value_and_grad is not None:
            xs = np.linspace(x_min, x_max, 400)
            values, (slopes,) = self._value_and_grad(xs)
            y_lo, y_hi = robust_y_range(np.concatenate([values, slopes]))
        if keep_fitting_y and range_still_fits(self.visible_y_range(), y_lo, y_hi):
            y_lo, y_hi = self.visible_y_range()
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
        self.curve = sample_curve(self._value_and_grad, x0, x1, self.sample_count(), y1 - y0, self._branch_changes)
        self._holes = self._find_holes(x0, x1) if self._find_holes is not None else []
        for overlay in self.overlays:  # (hidden ones too: a new range is rare, and showing one then costs nothing)
            overlay.resampled(self.curve)
        self._ink = None
        if self._report is not None:
            self._feed_overlays(self._report)
            self._place_overlays()

    def set_report(self, report: SecantReport) -> None:
        """Move the point, its markers and the shown overlays to a new (a, Δa)."""
        self._report = report
        a, ad = report.a, report.a + report.delta
        fa, fad = report.f_a, report.f_a_delta
        self.points.setData([a, ad], [fa, fad])  # (an undefined value draws no point)
        verdict = report.verdict
        limit = verdict.f_left if verdict is not None and verdict.kind == "hole" else None
        self._undefined = not np.isfinite(fa) and limit is None
        if not self._undefined:
            self._move_handle(a, fa if np.isfinite(fa) else limit)
        self._show_handle_as_point(not self._undefined)
        self._feed_overlays(report)
        self._place_overlays()

    def _move_handle(self, x: float, y: float) -> None:
        self._moving_handle = True
        self.handle.setPos(x, y)
        self._moving_handle = False

    def _show_handle_as_point(self, on: bool) -> None:
        """The handle is the red target on the point; where f(a) is undefined it is an unmarked
        drag area over the hollow marker (a drag goes on through the undefined stretch)."""
        pen = pg.mkPen(COLORS["secant"], width=2) if on else pg.mkPen(0, 0, 0, 0)
        if self.handle.pen.color() != pen.color():
            self.handle.setPen(pen)
            self.handle.setSymbol("crosshair" if on else "o")

    @contextmanager
    def placing_when_settled(self, settle_ms: int = SETTLE_MS):
        """For a point that is moving (the 3D page's slices on a drag or an animation; a step may
        also give them a new curve): inside, ``set_function`` and ``set_report`` place nothing; the
        labels beside the points step aside and the labels and legend are placed once, when the
        point has rested ``settle_ms``. Placing them costs about 0.5 ms a slice, a tenth of a 3D
        step (benchmarks/ui.py section 6), for labels no one reads mid-drag."""
        self._placement_deferred = True
        try:
            yield
        finally:
            self._placement_deferred = False
            if self._placement_pending:
                self._placement_pending = False
                for label in self.labels.values():
                    if label.isVisible():
                        label.setVisible(False)
                if self._settle_timer is None:
                    self._settle_timer = QTimer(self)
                    self._settle_timer.setSingleShot(True)
                    self._settle_timer.timeout.connect(self._place_overlays)
                self._settle_timer.start(settle_ms)

    def _place_overlays(self) -> None:
        """Place the labels, the undefined marker and the legend for the view as it is now.

        In the view box's pixels: each label goes beside its point (the x axis's below the axis,
        or at the view's edge when the axis is off it), on the side away from the other point
        and from where the secant runs, inside the view and clear of the points and of the
        labels placed before it; a label whose point is off the view is hidden. Then the legend
        takes a corner clear of all of them.
        """
        if self._placement_deferred:
            self._placement_pending = True
            return
        report = self._report
        view_box = self.getPlotItem().getViewBox()
        width, height = view_box.width(), view_box.height()
        (x0, x1), (y0, y1) = view_box.viewRange()
        if report is None or width <= 0 or height <= 0 or x1 <= x0 or y1 <= y0:
            return
        sx, sy = width / (x1 - x0), height / (y1 - y0)
        view = QRectF(0, 0, width, height)

        def to_px(x: float, y: float) -> QPointF:
            return QPointF((x - x0) * sx, (y1 - y) * sy)

        def place(label: pg.TextItem, rect: QRectF) -> None:
            label.setPos(x0 + rect.left() / sx, y1 - rect.top() / sy)
            label.setVisible(True)

        if self._ink is None:
            self._ink = ink_of(self.getPlotItem())
        a, ad, fa, fad = report.a, report.a + report.delta, report.f_a, report.f_a_delta
        keep_clear: list[QRectF] = []
        own: dict[str, QRectF] = {}  # the marker each label is beside (it may touch its own)
        handle = self.handle.scale / 2 + 3  # the drag handle's reach about a (its cross's arms)
        for key, x, y, reach in (("fa", a, fa, handle), ("fa+da", ad, fad, 6.0),
                                 *(("hole", x, y, 10.0) for x, y in self._holes_shown())):
            if math.isfinite(x) and math.isfinite(y) and view.contains(to_px(x, y)):
                at = to_px(x, y)
                own[key] = QRectF(at.x() - reach, at.y() - reach, 2 * reach, 2 * reach)
                keep_clear.append(own[key])
        axis_y = _clamp((y1 - 0.0) * sy, 9.0, height - 9.0)  # the x axis, or the view's edge nearest to it
        a_px = (a - x0) * sx
        marker = None  # the undefined marker's rectangle
        if self._undefined:
            self._move_handle(a, y1 - axis_y / sy)
        if self._undefined and 0 <= a_px <= width:
            self.undefined_marker.setData([a], [y1 - axis_y / sy])
            marker = own["undefined"] = QRectF(a_px - 8, axis_y - 8, 16, 16)
            keep_clear.append(marker)
        else:
            self.undefined_marker.setData([], [])
        apart_x = abs(ad - a) * sx > 70
        apart_y = math.isfinite(fa) and math.isfinite(fad) and abs(fad - fa) * sy > 18
        guides = self.overlays.visible("guides")
        # The x axis's labels, centred under their points.
        for key, x, shown in (("a", a, guides), ("a+da", ad, guides and apart_x)):
            label, at = self.labels[key], (x - x0) * sx
            if not shown or not 0 <= at <= width:
                label.setVisible(False)
                continue
            size = label.textItem.boundingRect()
            rect = QRectF(_clamp(at - size.width() / 2, 0, width - size.width()),
                          _clamp((y1 - 0.0) * sy + 1, 0, height - size.height()), size.width(), size.height())
            if marker is not None and rect.intersects(marker):  # under the hollow marker, or above it
                rect.moveTop(marker.bottom() if marker.bottom() + rect.height() <= height
                             else marker.top() - rect.height())
            place(label, rect)
            keep_clear.append(rect)
        guide_ends = []  # where the guides meet the y axis, the values read off it: kept clear of the legend
        if guides and 0 <= -x0 * sx <= width:
            for y in (fa, fad):
                if math.isfinite(y) and 0 <= (y1 - y) * sy <= height:
                    guide_ends.append(QRectF(-x0 * sx - 6, (y1 - y) * sy - 6, 40, 12))
        lines = [((line.x1() - x0) * sx, (y1 - line.y1()) * sy, (line.x2() - x0) * sx, (y1 - line.y2()) * sy)
                 for overlay in self.overlays.shown() for line in overlay.segments()]
        # The legend before the labels beside the points: it has four places, they have more.
        self.legend.place(width, height, keep_clear + guide_ends, self._ink, lines)
        taken = list(keep_clear)
        if self.legend.isVisible() and self.legend.items:
            taken.append(view_box.mapRectFromItem(self.legend, self.legend.boundingRect()))
        # f(a) and f(a + Δa) beside their points, away from each other and from the secant.
        slope = report.secant_slope if math.isfinite(report.secant_slope) else report.tangent_slope
        slope = slope if math.isfinite(slope) else 0.0
        toward = 1.0 if report.delta >= 0 else -1.0  # where a + Δa lies from a
        for key, x, y, side, shown in (("fa", a, fa, -toward, guides and math.isfinite(fa)),
                                       ("fa+da", ad, fad, toward, guides and math.isfinite(fad)
                                        and (apart_x or apart_y)),
                                       ("undefined", a, y1 - axis_y / sy, 1.0, self._undefined)):
            label = self.labels[key]
            at = to_px(x, y) if shown else None
            if at is None or not view.adjusted(-1, -1, 1, 1).contains(at):
                label.setVisible(False)
                continue
            below = slope * side > 0 if key != "undefined" else False  # (the secant rises on this side: below)
            others = [rect for rect in taken if rect is not own.get(key)]
            rect = _beside(at, label.textItem.boundingRect(), side, below, view, others, self._ink, lines)
            place(label, rect)
            taken.append(rect)

    def _holes_shown(self) -> list[tuple[float, float]]:
        x, y = self.hole.getData()
        return list(zip(x.tolist(), y.tolist(), strict=True))

    def _feed_overlays(self, report: SecantReport) -> None:
        """The shown overlays follow the point (the hidden ones wait until shown), and the holes' circles."""
        view_range = self.getPlotItem().getViewBox().viewRange()
        for overlay in self.overlays.fed():
            overlay.update(report, view_range)
        holes = dict(self._holes)
        verdict = report.verdict
        if verdict is not None and verdict.kind == "hole" and verdict.f_left is not None:
            holes.setdefault(report.a, verdict.f_left)
        self.hole.setData(list(holes), list(holes.values()))

    def show_my_derivative(self, x, mine=None, bad_x=None, bad_y=None) -> None:
        """Overlay the student's derivative; mark (at most 60 of) the points where it disagrees."""
        in_legend = any(sample.item is self.mine_curve for sample, _label in self.legend.items)
        if x is None:
            self.mine_curve.setData([], [])
            self.mismatch.setData([], [])
            self.mismatch.setVisible(False)
            if in_legend:
                self.legend.removeItem(self.mine_curve)
            return
        if not in_legend:
            self.legend.addItem(self.mine_curve, "your f′")
        self._ink = None
        self.mine_curve.setData(x, mine)
        if bad_x is not None and len(bad_x):
            pick = np.linspace(0, len(bad_x) - 1, min(60, len(bad_x))).astype(int)
            self.mismatch.setData(np.asarray(bad_x)[pick], np.asarray(bad_y)[pick])
        else:
            self.mismatch.setData([], [])
        self.mismatch.setVisible(bad_x is not None and len(bad_x) > 0)  # empty, it would still paint on every step

    # -- toggles -----------------------------------------------------------------------------

    def set_overlays(self, visible: Mapping[str, bool]) -> None:
        """Show or hide overlays by name (``overlays.names()``); other names are ignored, so the
        model's whole visibility dict can be passed, and overlays it does not name stay as they are."""
        if not self.overlays.apply(visible):
            return
        self._ink = None
        if self._report is not None:
            self.set_report(self._report)  # the newly shown follow the point; labels and legend placed anew

    def set_overlay_visible(self, name: str, on: bool) -> None:
        self.set_overlays({name: on})

    def _on_legend_clicked(self, item) -> None:
        """pyqtgraph's legend toggled ``item``: its whole overlay follows, and says so."""
        overlay = self.overlays.owner(item)
        if overlay is not None:
            on = item.isVisible()
            self.set_overlay_visible(overlay.name, on)
            self.overlay_toggled.emit(overlay.name, on)

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

    def _on_view_resized(self, *_args) -> None:
        self._ink = None
        if self._report is not None:
            self._place_overlays()

    def _on_handle_moved(self) -> None:
        if not self._moving_handle:
            self.point_dragged.emit(float(self.handle.pos().x()))
