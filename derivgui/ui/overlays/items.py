"""The light graphics items the overlays draw with: a few points, lines through them, dots, a vertical line.

A slider step moves them, so each does only what its few points need (see ``PointsItem``); each
paints as the pyqtgraph item it stands for (PlotCurveItem, ScatterPlotItem, InfiniteLine) paints.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import QLineF, QPointF, QRectF, Qt
from PyQt5.QtGui import QPainter, QPainterPath, QPixmap
from pyqtgraph.graphicsItems.ScatterPlotItem import drawSymbol, renderSymbol

COLORS = {
    "f": "#1f77b4",
    "derivative": "#ff7f0e",
    "secant": "#d62728",
    "tangent": "#2ca02c",
    "guide": "#55a868",
    "point": "#222222",
}


class PointsItem(pg.GraphicsObject):
    """A few points in view coordinates, moved on every slider step.

    pyqtgraph's PlotDataItem and ScatterPlotItem cost ~0.3 ms a ``setData`` and as much again to
    paint and re-bound, for their generality (down-sampling, styles per point, caches keyed by
    data); this holds at most a handful of points and does only what they need. The pixel
    padding of the bounds is recomputed only when the view's transform changes, and the bounds
    stop at the view's edges (it clips its items), so a line that runs off the view does not
    repaint the axes beside it.
    """

    def __init__(self, pad_px: float) -> None:
        super().__init__()
        self._pad_px = pad_px
        self._x: list[float] = []
        self._y: list[float] = []
        self._data_rect: QRectF | None = None  # the finite points' bounds, None when there are none
        self._bounds: QRectF | None = None  # padded and within the view, in item coordinates
        self._padding: tuple[float, float] | None = None  # ``pad_px`` in item units, for the view's transform

    def setData(self, x, y) -> None:  # noqa: N802 (pyqtgraph's name)
        x, y = [float(v) for v in x], [float(v) for v in y]  # a handful: plain Python beats NumPy here
        if x == self._x and y == self._y:
            return  # (the tangent on a Δa step)
        self.prepareGeometryChange()
        self._x, self._y = x, y
        finite = [(px, py) for px, py in zip(self._x, self._y, strict=True) if math.isfinite(px) and math.isfinite(py)]
        if finite:
            xs, ys = [px for px, _py in finite], [py for _px, py in finite]
            x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
            self._data_rect = QRectF(x0, y0, x1 - x0, y1 - y0)
        else:
            self._data_rect = None
        self._bounds = None
        self._changed()
        self.update()

    def _changed(self) -> None:
        """What a subclass redoes when the points change."""

    def getData(self) -> tuple[np.ndarray, np.ndarray]:  # noqa: N802 (pyqtgraph's name)
        return np.array(self._x, dtype=float), np.array(self._y, dtype=float)

    def viewTransformChanged(self) -> None:  # noqa: N802 (pyqtgraph's name)
        super().viewTransformChanged()
        self.prepareGeometryChange()
        self._bounds = self._padding = None

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        if self._bounds is None:
            if self._data_rect is None:
                self._bounds = QRectF()
            else:
                if self._padding is None:
                    px, py = self.pixelVectors()
                    self._padding = (0.0 if px is None else px.length() * self._pad_px,
                                     0.0 if py is None else py.length() * self._pad_px)
                px, py = self._padding
                self._bounds = self._data_rect.adjusted(-px, -py, px, py)
                view = self.viewRect()
                if view is not None:  # the view clips what lies outside it: a step need not repaint the axes
                    self._bounds &= view.adjusted(-px, -py, px, py)
        return self._bounds

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):  # noqa: N802 (pyqtgraph's name)
        """The view's auto-range (pyqtgraph's 'A' button) sees the points as a PlotDataItem's."""
        if self._data_rect is None:
            return None, None
        if ax == 0:
            return self._data_rect.left(), self._data_rect.right()
        return self._data_rect.top(), self._data_rect.bottom()

    def pixelPadding(self) -> float:  # noqa: N802 (pyqtgraph's name)
        return self._pad_px


class Segments(PointsItem):
    """A line through a few points (or ``connect="pairs"`` segments), painted as PlotCurveItem paints it.

    ``opts`` has what a legend sample reads; a legend entry toggles it as it toggles a curve.
    """

    def __init__(self, pen, connect: str = "all", name: str | None = None) -> None:
        pen = pg.mkPen(pen)
        super().__init__(pad_px=pen.widthF() * 0.7072)  # PlotCurveItem's padding for a cosmetic pen
        self.opts = {"pen": pen, "name": name, "connect": connect, "antialias": pg.getConfigOption("antialias"),
                     "fillLevel": None, "fillBrush": None, "symbol": None}
        # PlotCurveItem's "auto" segmented-line mode: wide opaque solid lines without antialiasing
        # are drawn as separate segments, everything else as one path.
        self._as_segments = (pen.widthF() > 1.0 and pen.style() == Qt.SolidLine and pen.isSolid()
                             and pen.color().alphaF() == 1.0)
        self._path: QPainterPath | None = None
        self._lines: list[QLineF] | None = None

    def _changed(self) -> None:
        self._path = None
        self._lines = None

    def lines(self) -> list[QLineF]:
        """The segments it draws, in view coordinates (made once per ``setData``)."""
        if self._lines is None:
            self._lines = segments(self._x, self._y, self.opts["connect"])
        return self._lines

    def paint(self, p, *_args) -> None:
        if self._data_rect is None:
            return
        antialias = self.opts["antialias"] if self._exportOpts is False else self._exportOpts.get("antialias", True)
        p.setRenderHint(QPainter.Antialiasing, antialias)
        p.setPen(self.opts["pen"])
        if self._as_segments and not antialias:
            p.drawLines(self.lines())
        else:
            if self._path is None:
                self._path = QPainterPath()  # as pyqtgraph's arrayToQPath: a subpath per pair, or one polyline
                for i, line in enumerate(self.lines()):
                    if i == 0 or self.opts["connect"] == "pairs":
                        self._path.moveTo(line.p1())
                    self._path.lineTo(line.p2())
            p.drawPath(self._path)


def segments(xs: list[float], ys: list[float], connect: str) -> list[QLineF]:
    """The segments PlotCurveItem draws for ``connect`` "all" (a polyline through the finite points)
    or "pairs" (each pair of finite points)."""
    finite = [math.isfinite(x) and math.isfinite(y) for x, y in zip(xs, ys, strict=True)]
    if connect == "pairs":
        return [QLineF(xs[i], ys[i], xs[i + 1], ys[i + 1]) for i in range(0, len(xs) - 1, 2)
                if finite[i] and finite[i + 1]]
    points = [(px, py) for px, py, ok in zip(xs, ys, finite, strict=True) if ok]
    return [QLineF(*a, *b) for a, b in zip(points, points[1:], strict=False)]


class Dots(PointsItem):
    """A few round markers, ``size`` pixels across whatever the zoom, painted as ScatterPlotItem paints them:
    on screen from a pre-rendered symbol, in an export as vector symbols (× the export's resolution scale)."""

    def __init__(self, size: float, pen, brush) -> None:
        pen, brush = pg.mkPen(pen), pg.mkBrush(brush)
        side = renderSymbol("o", size, pen, brush).width()
        super().__init__(pad_px=side * 0.7072)  # ScatterPlotItem's padding
        self.opts = {"pen": pen, "brush": brush, "size": size, "symbol": "o", "antialias": False}
        self._symbol: QPixmap | None = None  # rendered for the device pixel ratio of the last paint

    def _device_points(self, p) -> list[QPointF]:
        transform = p.transform()
        points = []
        for x, y in zip(self._x, self._y, strict=True):
            if math.isfinite(x) and math.isfinite(y):
                at = transform.map(QPointF(x, y))
                points.append(QPointF(min(max(at.x(), -2.0**30), 2.0**30), min(max(at.y(), -2.0**30), 2.0**30)))
        return points

    def paint(self, p, _option, widget=None) -> None:
        if self._data_rect is None:
            return
        points = self._device_points(p)
        p.resetTransform()
        if self._exportOpts is not False:
            p.setRenderHint(QPainter.Antialiasing, self._exportOpts.get("antialias", True))
            size = self.opts["size"] * self._exportOpts.get("resolutionScale", 1.0)
            for at in points:
                p.resetTransform()
                p.translate(at)
                drawSymbol(p, "o", size, self.opts["pen"], self.opts["brush"])
            return
        ratio = widget.devicePixelRatioF() if widget is not None else 1.0
        if self._symbol is None or self._symbol.devicePixelRatioF() != ratio:
            image = renderSymbol("o", self.opts["size"], self.opts["pen"], self.opts["brush"], dpr=ratio)
            self._symbol = QPixmap.fromImage(image)
            self._symbol.setDevicePixelRatio(ratio)
        source = QRectF(0, 0, self._symbol.width(), self._symbol.height())
        p.drawPixmapFragments([QPainter.PixmapFragment.create(at, source, 1 / ratio, 1 / ratio) for at in points],
                              self._symbol)


class VerticalLine(pg.GraphicsObject):
    """x = ``x`` across the view, drawn as pyqtgraph's InfiniteLine(angle=90) draws it.

    An InfiniteLine is a rotated item, and Qt redraws a rotated item's device-pixel cache on
    every paint; this item is not rotated (it turns the painter), so its cache holds.
    """

    def __init__(self, x: float, pen) -> None:
        super().__init__()
        self._x = x
        self._pen = pg.mkPen(pen)
        self._pen.setJoinStyle(Qt.MiterJoin)  # as InfiniteLine.paint sets it
        self._bounds: QRectF | None = None

    def viewTransformChanged(self) -> None:  # noqa: N802 (pyqtgraph's name)
        super().viewTransformChanged()
        self.prepareGeometryChange()
        self._bounds = None

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        if self._bounds is None:
            view = self.viewRect()
            if view is None:
                self._bounds = QRectF()
            else:
                px, _py = self.pixelVectors()
                half = (0.0 if px is None else px.length()) * (self._pen.widthF() / 2 + 2)
                self._bounds = QRectF(self._x - half, view.top(), 2 * half, view.height())
        return self._bounds

    def paint(self, p, *_args) -> None:
        view = self.viewRect()
        if view is None:
            return
        p.translate(self._x, 0)
        p.rotate(90)
        p.setPen(self._pen)
        p.drawLine(QPointF(view.top(), 0), QPointF(view.bottom(), 0))
