"""Presentation mode (F11): larger text, thicker lines and larger markers for a projector.

Each function enlarges what it is given and returns the callables that undo it, so that leaving
the mode puts every font, pen and size back exactly as it was.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import QSize, Qt
from PyQt5.QtGui import QFont, QGuiApplication, QPen
from PyQt5.QtWidgets import QAbstractSpinBox, QLabel, QWidget

QWIDGETSIZE_MAX = (1 << 24) - 1
# Text, lines and markers this many times as large.
# (The panels' text less: their readouts must leave the plot most of a projector's 1024 pixels.)
PRESENTATION_SCALE = {"text": 1.4, "panel": 1.15, "line": 2.0, "marker": 1.6}
PRESENTATION_ITEM_SCALE = {key: PRESENTATION_SCALE[key] for key in ("line", "marker", "text")}


def _scaled_pen(pen, factor: float):
    pen = QPen(pg.mkPen(pen))
    pen.setWidthF(max(pen.widthF(), 1.0) * factor)
    return pen


def present_widgets(root: QWidget, formula: QLabel, big: list[QWidget], scale: dict[str, float]) -> list:
    """Enlarge the text under ``root`` by ``scale["panel"]`` (``formula`` and ``big``: by ``scale["text"]``);
    returns what undoes it.

    Widgets that inherit their font grow with ``root``'s; those with a font size of their own, or a
    style sheet (Qt does not pass a new font on to them), are scaled one by one, and labels of a
    fixed size (readouts keep one, so that new text never relays the window out) grow with their text.
    """
    k = scale["panel"]
    undo = []
    own_font = [w for w in root.findChildren(QWidget)
                if w is not formula and w.parentWidget() is not None
                and (w in big or w.styleSheet()
                     or (w.testAttribute(Qt.WA_SetFont)
                         and w.font().pointSizeF() != w.parentWidget().font().pointSizeF()))]
    fixed = [w for w in root.findChildren(QLabel) if w.minimumSize() != QSize(0, 0)
             and (w.minimumWidth() == w.maximumWidth() or w.minimumHeight() == w.maximumHeight())]
    fixed += root.findChildren(QWidget, "colorBar")
    capped = [w for w in root.findChildren(QAbstractSpinBox) if w.maximumWidth() < QWIDGETSIZE_MAX]
    old_fonts = [(w, QFont(w.font())) for w in own_font]
    had_font = root.testAttribute(Qt.WA_SetFont)
    old_root_font = QFont(root.font())
    font = QFont(root.font())
    font.setPointSizeF(font.pointSizeF() * k)
    root.setFont(font)
    undo.append(lambda: root.setFont(old_root_font if had_font else QFont()))
    for widget, old in old_fonts:
        font = QFont(old)
        font.setPointSizeF(old.pointSizeF() * (scale["text"] if widget in big else k))
        widget.setFont(font)
        undo.append(lambda widget=widget, old=old: widget.setFont(old))
    style = formula.styleSheet()
    formula.setStyleSheet(style.replace("font-size: 13pt", f"font-size: {13 * scale['text']:.0f}pt"))
    undo.append(lambda: formula.setStyleSheet(formula.styleSheet().replace(
        f"font-size: {13 * scale['text']:.0f}pt", "font-size: 13pt")))
    for widget in fixed:
        low, high = widget.minimumSize(), widget.maximumSize()
        factor = scale["text"] if widget is formula or widget in big else k
        if low.width() == high.width():
            widget.setFixedWidth(round(low.width() * factor))
        if low.height() == high.height():
            widget.setFixedHeight(round(low.height() * factor))
        undo.append(lambda widget=widget, low=low, high=high: (widget.setMinimumSize(low),
                                                               widget.setMaximumSize(high)))
    for widget in capped:  # (as wide as their value: a, Δa…)
        low, high = widget.minimumWidth(), widget.maximumWidth()
        widget.setMinimumWidth(round(low * k))
        widget.setMaximumWidth(round(high * k))
        undo.append(lambda widget=widget, low=low, high=high: (widget.setMinimumWidth(low),
                                                               widget.setMaximumWidth(high)))
    return undo


def present_views(root: QWidget, scale: dict[str, float]) -> list:
    """Thicker lines, larger markers and text in every plot under ``root`` (and ``root`` itself)."""
    undo = []
    plots = [root] if isinstance(root, pg.PlotWidget) else []
    plots += root.findChildren(pg.PlotWidget)
    for plot in plots:
        undo.extend(_present_plot(plot, scale))
    try:
        import pyqtgraph.opengl as gl
    except ImportError:  # no OpenGL: no 3D view either
        return undo
    for view in ([root] if isinstance(root, gl.GLViewWidget) else []) + root.findChildren(gl.GLViewWidget):
        for item in view.items:
            if isinstance(item, gl.GLLinePlotItem):
                width = item.width
                item.setData(width=width * scale["line"])
                undo.append(lambda item=item, width=width: item.setData(width=width))
            elif isinstance(item, gl.GLScatterPlotItem) and np.isscalar(item.size):
                size = item.size
                item.setData(size=size * scale["marker"])
                undo.append(lambda item=item, size=size: item.setData(size=size))
        view.update()
    return undo


def _present_plot(plot: pg.PlotWidget, scale: dict[str, float]) -> list:
    """One pyqtgraph plot for a projector (see ``present_views``); returns what undoes it."""
    undo = []
    line, marker, text = scale["line"], scale["marker"], scale["text"]
    item = plot.getPlotItem()
    tick_font = QGuiApplication.font()  # (the plot's own font is the panels', already larger)
    tick_font.setPointSizeF(tick_font.pointSizeF() * text)
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        old_font, old_style = axis.style.get("tickFont"), dict(axis.labelStyle)
        axis.setTickFont(tick_font)
        if axis.labelText:
            axis.labelStyle = {**old_style, "font-size": f"{round(11 * text)}pt"}
            axis.setLabel(axis.labelText, axis.labelUnits, axis.labelUnitPrefix)

        def restore(axis=axis, old_font=old_font, old_style=old_style):
            axis.setTickFont(old_font)
            axis.textWidth, axis.textHeight = 30, 18  # (pyqtgraph's first guess) the room for tick text shrinks
            if axis.labelText:
                axis.labelStyle = old_style
                axis.setLabel(axis.labelText, axis.labelUnits, axis.labelUnitPrefix)
            axis.picture = None
            axis.update()
        undo.append(restore)
    legend = item.legend
    if legend is not None:
        size = legend.opts["labelTextSize"]
        _legend_text_size(legend, f"{round(9 * text)}pt")
        undo.append(lambda legend=legend, size=size: _legend_text_size(legend, size))
    for child in dict.fromkeys([*item.items, *item.getViewBox().addedItems]):  # (each once)
        undo.extend(present_item(child, line, marker, text))
    layer = getattr(plot, "static_layer", None)
    if layer is not None:
        layer.invalidate()
        undo.append(layer.invalidate)
    return undo


def _legend_text_size(legend, size: str) -> None:
    legend.setLabelTextSize(size)
    for _sample, label in legend.items:
        label.setText(label.text)  # (setLabelTextSize keeps the text drawn at the old size)
    legend.updateSize()


def present_item(item, line: float, marker: float, text: float) -> list:
    """A plot item drawn thicker or larger; returns what undoes it. (Some of the 2D view's own
    light items keep their pen and size in ``opts`` and cache bounds padded for them.)"""
    if isinstance(item, (pg.PlotDataItem, pg.PlotCurveItem, pg.InfiniteLine)):
        pen = item.opts["pen"] if not isinstance(item, pg.InfiniteLine) else item.pen
        if isinstance(item, pg.PlotDataItem) and item.opts["symbol"] is not None:
            return []
        item.setPen(_scaled_pen(pen, line))
        return [lambda: item.setPen(pen)]
    if isinstance(item, pg.ScatterPlotItem):
        size = item.opts["size"]
        item.setSize(size * marker)
        return [lambda: item.setSize(size)]
    if isinstance(item, pg.TextItem):
        font = QFont(item.textItem.font())
        bigger = QFont(font)
        bigger.setPointSizeF(font.pointSizeF() * text)
        item.setFont(bigger)
        return [lambda: item.setFont(font)]
    if isinstance(item, pg.TargetItem):
        size = item.scale

        def resize(value: float) -> None:
            item.prepareGeometryChange()
            item.scale, item._shape = value, None
            item.update()
        resize(size * marker)
        return [lambda: resize(size)]
    opts = getattr(item, "opts", None)
    if isinstance(opts, dict) and ("pen" in opts or "size" in opts) and hasattr(item, "_pad_px"):
        old = dict(opts)
        old_pad = item._pad_px

        def apply(new: dict, pad: float) -> None:
            item.prepareGeometryChange()
            opts.update(new)
            item._pad_px, item._bounds, item._padding = pad, None, None
            for cache in ("_symbol", "_path"):
                if hasattr(item, cache):
                    setattr(item, cache, None)
            if hasattr(item, "_lines"):
                item._lines = []
            item.update()
        if "size" in opts:
            apply({"size": opts["size"] * marker}, old_pad * marker)
        else:
            apply({"pen": _scaled_pen(opts["pen"], line)}, old_pad * line)
        return [lambda: apply(old, old_pad)]
    pen = getattr(item, "_pen", None)
    if isinstance(pen, QPen) and hasattr(item, "_bounds"):  # the 2D view's vertical axis line
        old = QPen(pen)
        item._pen = _scaled_pen(pen, line)
        item._pen.setJoinStyle(old.joinStyle())
        item.prepareGeometryChange()
        item._bounds = None

        def restore() -> None:
            item._pen = old
            item.prepareGeometryChange()
            item._bounds = None
        return [restore]
    return []
