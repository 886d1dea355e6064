"""Error against step on log–log axes: the V that explains why a tiny Δa goes wrong."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import QLineF, QPointF, QRect, QRectF, Qt
from PyQt5.QtGui import QPainter, QPolygonF, QTransform
from PyQt5.QtWidgets import QGraphicsTextItem, QLabel, QStyleOptionGraphicsItem, QVBoxLayout, QWidget
from pyqtgraph.graphicsItems.LegendItem import ItemSample
from pyqtgraph.graphicsItems.ScatterPlotItem import drawSymbol

from derivgui.numeric.geometry import range_still_fits
from derivgui.numeric.steps import StepErrors, reference_line
from derivgui.ui.static_layer import LayeredPlotWidget
from derivgui.ui.tuning import fit_pixmap_cache
from derivgui.ui.view2d.plot2d import (
    Dots,
    cache_as_pixmaps,
    keep_axis_widths,
    paint_viewport_opaquely,
    plain_tick_labels,
)

NOTE = ("Right of the V the secant is not yet the tangent: the error falls like Δa (forward) or Δa² "
        "(central). Left of it f(a + Δa) and f(a) share most of their ~16 digits and the difference "
        "is rounding noise, growing like 1/Δa. The best forward step is near √ε ≈ 1.5e-8. Slopes divide "
        "by the step actually taken, h = (a + Δa) − a, as the secant readout does.")


STEP_LABEL_FILL = (255, 255, 255, 200)  # behind the current step's label, over the curves it may cross


def _log10(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log10(values)
    return np.where(np.isfinite(out), out, np.nan)


class _LegendText(pg.LabelItem):
    """A legend entry's words that can change, read back as a TextItem's (``toPlainText``)."""

    def toPlainText(self) -> str:  # noqa: N802 (Qt's name)
        return self.text


class _DotSample(ItemSample):
    """A legend sample that is the marker alone (ItemSample would draw a line through it)."""

    def paint(self, p, *args) -> None:
        if not self.item.isVisible():
            super().paint(p, *args)  # the closed eye
            return
        opts = self.item.opts
        p.setRenderHint(p.RenderHint.Antialiasing)
        p.translate(10, 11)
        drawSymbol(p, opts["symbol"], opts["size"], opts["pen"], opts["brush"])


class StepMarker(pg.GraphicsObject):
    """A vertical line at x = ``value()`` with a label near its top, as pyqtgraph draws an
    InfiniteLine(angle=90) with an InfLineLabel: the same pen, text, anchors and position.

    A move repaints the old and the new strip of the view directly (a widget update), with no
    change to the scene: the item's bounds are the whole view. Moving an InfiniteLine changed the
    scene, whose queued update pass repainted the window a second time after the 2D view's own,
    on every Δa step (~0.6 ms of a 5 ms step, measured).
    """

    def __init__(self, pen, text: str, color, position: float, fill=None) -> None:
        super().__init__()
        self._pen = pg.mkPen(pen)
        self._pen.setJoinStyle(Qt.MiterJoin)  # as InfiniteLine.paint sets it
        self._position = position  # where the label sits along the visible line, 0 (bottom) to 1 (top)
        self._fill = pg.mkBrush(fill) if fill is not None else None  # behind the label, as a TextItem's fill
        self._label = QGraphicsTextItem()  # drawn by this item, as a TextItem's text item draws itself
        self._label.setDefaultTextColor(pg.mkColor(color))
        self._label.setPlainText(text)
        self._text = text
        self._value = 0.0
        self._bounds: QRectF | None = None
        self._painted: list[QRect] = []  # viewport rectangles of the line and the label, as last drawn
        self.setAcceptedMouseButtons(Qt.NoButton)  # its bounds are the view's: clicks and drags go to the view

    def value(self) -> float:
        return self._value

    def setValue(self, value: float, position: float | None = None) -> None:  # noqa: N802 (pyqtgraph's name)
        """Move the line to x = ``value``, and its label to ``position`` along it (0 bottom, 1 top)."""
        position = self._position if position is None else position
        if value == self._value and position == self._position:
            return
        self._value, self._position = float(value), position
        view = self._view_widget()
        if view is None or not self.isVisible():
            self.update()
            return
        geometry = self._geometry(self.deviceTransform(view.viewportTransform()))
        for rect in self._painted + ([] if geometry is None else self._rects(*geometry)):
            view.viewport().update(rect)

    def _view_widget(self):
        scene = self.scene()
        views = scene.views() if scene is not None else []
        return views[0] if views else None

    def _geometry(self, to_device: QTransform) -> tuple[QLineF, QPointF, QRectF] | None:
        """The line (device), the label's top-left (device) and its size, from the visible range."""
        view = self.viewRect()
        if view is None:
            return None
        self._point_label(view)
        y0, y1 = view.top(), view.bottom()  # the visible range along the line
        line = to_device.map(QLineF(self._value, y0, self._value, y1))
        at = to_device.map(QPointF(self._value, y0 + self._position * (y1 - y0)))
        size = self._label.boundingRect().size()
        # InfLineLabel's anchors for a vertical line: beside it, on the side towards the view's middle.
        anchor_x = 0.0 if self._value < view.center().x() else 1.0
        top_left = at - QPointF(size.width() * anchor_x, size.height() * 0.5)
        # Always inside the view: a short plot clipped its top, a step past the axis's end hid it.
        area = to_device.mapRect(view)
        top_left = QPointF(min(max(top_left.x(), area.left()), area.right() - size.width()),
                           min(max(top_left.y(), area.top()), area.bottom() - size.height()))
        return line, top_left, QRectF(QPointF(), size)

    def _point_label(self, view: QRectF) -> None:
        """The label points the way to a line off the view (a step larger than 1, or below 1e-16)."""
        text = self._text
        if self._value > view.right():
            text = f"{text} →"
        elif self._value < view.left():
            text = f"← {text}"
        if self._label.toPlainText() != text:
            self._label.setPlainText(text)

    def _rects(self, line: QLineF, top_left: QPointF, size: QRectF) -> list[QRect]:
        """The viewport rectangles that hold the line and the label."""
        pad = self._pen.widthF() + 2
        strip = QRectF(line.p1(), line.p2()).normalized().adjusted(-pad, -pad, pad, pad)
        label = size.translated(top_left).adjusted(-2, -2, 2, 2)
        return [strip.toAlignedRect(), label.toAlignedRect()]

    def viewTransformChanged(self) -> None:  # noqa: N802 (pyqtgraph's name)
        super().viewTransformChanged()
        self.prepareGeometryChange()
        self._bounds = None
        self._painted = []

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        if self._bounds is None:
            view = self.viewRect()
            self._bounds = QRectF() if view is None else QRectF(view)
        return self._bounds

    def paint(self, p, _option=None, widget=None) -> None:
        geometry = self._geometry(p.transform())
        if geometry is None:
            return
        line, top_left, size = geometry
        view = self._view_widget()
        if view is not None and widget is view.viewport():  # on screen: the painter's coordinates are the viewport's
            self._painted = self._rects(line, top_left, size)
        view = self.viewRect()
        # The line as InfiniteLine draws it: along its own x axis, turned by 90 degrees.
        p.save()
        p.translate(self._value, 0)
        p.rotate(90)
        p.setPen(self._pen)
        p.drawLine(QPointF(view.top(), 0), QPointF(view.bottom(), 0))
        p.restore()
        # The label as a QGraphicsTextItem paints it, unscaled, at its place in device pixels.
        p.save()
        p.resetTransform()
        p.translate(top_left)
        if self._fill is not None:  # (as TextItem.paint draws its fill)
            p.setPen(Qt.NoPen)
            p.setBrush(self._fill)
            p.setRenderHint(QPainter.Antialiasing, True)
            p.drawPolygon(QPolygonF(size))
        option = QStyleOptionGraphicsItem()
        option.exposedRect = size
        self._label.paint(p, option, None)
        p.restore()


class ErrorPlot(QWidget):
    """|secant slope − f′(a)| against |Δa| from 1 to 1e-16, forward and central."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = LayeredPlotWidget(background="w")
        self.plot.setObjectName("errorPlot")
        item = self.plot.getPlotItem()
        # Data are plotted as log10 values on log axes so zero errors become gaps, not -inf.
        item.setLogMode(x=False, y=False)
        item.getAxis("bottom").setLogMode(True)
        item.getAxis("left").setLogMode(True)
        for axis in ("bottom", "left"):  # log ticks such as 10⁻⁵ need no "(x0.001)" beside them
            plain_tick_labels(item.getAxis(axis))
        item.setLabel("bottom", "|Δa|")
        item.setLabel("left", "|slope error|")
        item.showGrid(x=True, y=True, alpha=0.2)
        keep_axis_widths(item)
        # The legend lies above the plot area, in one row where the width allows: inside, it
        # covered the curves' right arm and the current step's label.
        self.legend = pg.LegendItem(labelTextColor="k", brush=pg.mkBrush(255, 255, 255, 220), colCount=5)
        self.legend.setParentItem(item)
        item.legend = self.legend
        self.legend.anchor(itemPos=(1, 0), parentPos=(1, 0), offset=(-8, 2))
        self.legend.geometryChanged.connect(self._fit_legend_row)
        # h: the step actually taken, (a + Δa) − a (see step_errors)
        self.forward = item.plot(name="forward (f(a+Δa) − f(a))/h", pen=pg.mkPen("#d62728", width=2),
                                 connect="finite")
        self.central = item.plot(name="central (f(a+Δa) − f(a−Δa))/2h", pen=pg.mkPen("#1f77b4", width=2),
                                 connect="finite")
        self.order1 = item.plot(name="O(Δa)", pen=pg.mkPen("#888", width=1, style=Qt.DashLine))
        self.order2 = item.plot(name="O(Δa²)", pen=pg.mkPen("#888", width=1, style=Qt.DotLine))
        self.current = StepMarker(pg.mkPen("#2ca02c", width=2), "current Δa", color="#2ca02c", position=0.92,
                                  fill=STEP_LABEL_FILL)
        item.addItem(self.current, ignoreBounds=True)
        # (a light Dots, not a ScatterPlotItem: each repaint of the marker's strip asks for its bounds)
        self.best = Dots(size=11, pen=pg.mkPen("k"), brush=pg.mkBrush("#ffcc00"))
        item.addItem(self.best)
        # Its words are the legend's last entry (beside the V they lay over the curves).
        self.best_label = _LegendText("", color="k", justify="left", size=self.legend.opts["labelTextSize"])
        self._best_sample = _DotSample(self.best)
        for part in (self._best_sample, self.best_label):
            part.setParentItem(self.legend)
            part.setVisible(False)
        item.setXRange(-16.5, 0.2, padding=0)
        self.note = QLabel(NOTE)
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #444;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.note)
        self.errors: StepErrors | None = None
        self._y_range: tuple[float, float] | None = None  # log10 of the errors shown
        self._current_step: float | None = None  # the Δa the marker shows, or will when the plot is shown
        # Δa steps move only the marker: the rest is the view's background, or a pixmap (the
        # legend, above the marker). A step's repaint of the marker's strip took ~2 ms, most of it
        # replaying the axes and the grid (measured).
        view_box = item.getViewBox()
        self.plot.set_static_items([item.getAxis("left"), item.getAxis("bottom"), self.best, self.forward,
                                    self.central, self.order1, self.order2],
                                   changes=[view_box.sigTransformChanged, view_box.sigResized])
        cache_as_pixmaps(self.plot, [item.legend])
        paint_viewport_opaquely(self.plot)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._arrange_legend()
        fit_pixmap_cache()

    def _show_best(self, text: str) -> None:
        """The best step's legend entry, or none."""
        self.best_label.setText(text, color="k", size=self.legend.opts["labelTextSize"])
        entry = (self._best_sample, self.best_label)
        if bool(text) != (entry in self.legend.items):
            if text:
                self.legend.items.append(entry)
            else:
                self.legend.items.remove(entry)
            for part in entry:
                part.setVisible(bool(text))
            self._arrange_legend(force=True)
        else:
            self.legend.updateSize()

    def _arrange_legend(self, force: bool = False) -> None:
        """As many of the legend's entries to a row as the plot's width takes."""
        legend = self.legend
        room = self.plot.width() - 24
        widths = [20 + 5 + label.minimumWidth() + 6 for _sample, label in legend.items]
        columns = max(len(widths), 1)
        while columns > 1:
            # (the grid's columns are as wide as their widest entry)
            if sum(max(widths[c::columns]) for c in range(columns)) <= room:
                break
            columns -= 1
        if force or columns != legend.columnCount:
            layout = legend.layout
            for i in range(layout.count() - 1, -1, -1):
                layout.removeAt(i)
            legend.columnCount = columns
            for index, (sample, label) in enumerate(legend.items):
                row, col = divmod(index, columns)
                layout.addItem(sample, row, 2 * col, alignment=Qt.AlignVCenter)
                layout.addItem(label, row, 2 * col + 1)
            legend.rowCount = max(1, -(-len(legend.items) // columns))
            legend.updateSize()
        self._fit_legend_row()

    def _fit_legend_row(self) -> None:
        """Room above the plot area for the legend (the plot item's title row)."""
        item = self.plot.getPlotItem()
        rows = max(1, -(-len(self.legend.items) // max(self.legend.columnCount, 1)))
        height = max(self.legend.height(), 20.0 * rows) + 4
        if abs(item.layout.rowMinimumHeight(0) - height) > 0.5:
            item.layout.setRowFixedHeight(0, height)

    def show_no_tangent(self, reason: str, vertical: bool = False) -> None:
        """At a point where f′(a) does not exist there is nothing for the secant to converge to:
        no curves, and the reason where the note usually explains the V. A vertical tangent is a
        tangent, so the note does not deny it: its slope is what has no finite value."""
        self.errors = None
        for curve in (self.forward, self.central, self.order1, self.order2):
            curve.setData([], [])
        self.best.setData([], [])
        self._show_best("")
        what = "No finite tangent slope at a" if vertical else "No tangent at a"
        self.note.setText(f"{what} ({reason}): the secant slope has no single value to converge to, "
                          "so there is no error to plot. Move a off this point.")
        self.plot.static_layer.invalidate()

    def set_errors(self, errors: StepErrors) -> None:
        self.note.setText(NOTE)
        self.errors = errors
        lx = _log10(errors.steps)
        self.forward.setData(lx, _log10(errors.forward))
        self.central.setData(lx, _log10(errors.central))
        anchor = np.argmin(np.abs(errors.steps - 1e-2))
        for curve, order, series in ((self.order1, 1, errors.forward), (self.order2, 2, errors.central)):
            if np.isfinite(series[anchor]) and series[anchor] > 0:
                curve.setData(lx, _log10(reference_line(errors.steps, order, errors.steps[anchor], series[anchor])))
            else:
                curve.setData([], [])
        best = errors.best_forward_step()
        best_log_error = np.nan
        if np.isfinite(best):
            best_log_error = _log10(np.array([errors.forward[np.argmin(np.abs(errors.steps - best))]]))[0]
        if np.isfinite(best_log_error):
            self.best.setData([np.log10(best)], [best_log_error])
            self._show_best(f"best forward step ≈ {best:.1e}")
        else:  # the difference was exact at every step (f linear): there is no V to show
            self.best.setData([], [])
            self._show_best("")
        self._fit_y_range(np.concatenate([_log10(errors.forward), _log10(errors.central)]))
        self.plot.static_layer.invalidate()
        if self._current_step is not None and self.isVisible():
            self._show_step(np.log10(abs(self._current_step)))  # (its label, off the new curves)

    def _fit_y_range(self, log_errors: np.ndarray) -> None:
        """Whole decades, kept while the errors fit them: the next function's curves then
        repaint over the same axes (re-rendering the log axes took ~5 ms each, measured)."""
        finite = log_errors[np.isfinite(log_errors)]
        if not finite.size:
            return
        lo, hi = max(finite.min(), -17.0), finite.max()
        if not range_still_fits(self._y_range, lo, hi):
            self._y_range = (math.floor(lo) - 0.5, math.ceil(hi) + 0.5)
            self.plot.getPlotItem().setYRange(*self._y_range, padding=0)

    def set_current_step(self, delta: float) -> None:
        """Move the marker to |Δa|; while the plot is hidden (dock closed, 3D), only when it is shown."""
        if delta != 0:
            self._current_step = delta
            if self.isVisible():
                self._show_step(np.log10(abs(delta)))

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._current_step is not None:
            self._show_step(np.log10(abs(self._current_step)))

    def _show_step(self, log_step: float) -> None:
        self.current.setValue(log_step, position=self._step_label_position(log_step))

    def _step_label_position(self, log_step: float) -> float:
        """Where the step's label goes along its line: near the top, unless the curves pass
        there beside the line (large errors: both ends of the V), then near the bottom."""
        errors, y_range = self.errors, self._y_range
        if errors is None or y_range is None:
            return 0.92
        view_box = self.plot.getPlotItem().getViewBox()
        (x0, x1), _ = view_box.viewRange()
        room = 110.0 / max(view_box.width(), 1.0) * (x1 - x0)  # the label's width, and a little, in decades
        side = 1.0 if log_step < (x0 + x1) / 2 else -1.0  # (it lies towards the view's middle)
        xs = np.clip(log_step + side * np.linspace(0, room, 6), x0, x1)
        steps = _log10(errors.steps)[::-1]  # increasing, for np.interp
        lo, hi = y_range
        top_busy = bottom_busy = False
        for series in (errors.forward, errors.central):
            values = _log10(series)[::-1]
            finite = np.isfinite(values)
            if finite.sum() < 2:
                continue
            at = np.interp(xs, steps[finite], values[finite])
            top_busy |= bool((at > lo + 0.75 * (hi - lo)).any())
            bottom_busy |= bool((at < lo + 0.25 * (hi - lo)).any())
        return 0.08 if top_busy and not bottom_busy else 0.92
