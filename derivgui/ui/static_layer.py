"""What a plot's slider steps do not move, drawn as one opaque picture under the items that do move."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager

import pyqtgraph as pg
from PyQt5.QtCore import Qt
from PyQt5.QtGui import QPainter, QPainterPath
from PyQt5.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

_NO_CONTENTS = QGraphicsItem.ItemHasNoContents


class StaticLayer:
    """Axes with their grid, axis lines, titles and the curves a step leaves alone: painted into
    the view's background, which QGraphicsView keeps as one opaque pixmap (``CacheBackground``).

    Cached one by one (``DeviceCoordinateCache``) these items cost a blend of a pixmap each on
    every repaint, most of them as large as the view: ~1.5 of the 2D view's ~3 ms per step
    (measured). Here a step's repaint copies one pixmap, and only the moving items are drawn.

    The items keep their place in the scene (mouse, layout, auto-range and exports see them as
    before) but are flagged ``ItemHasNoContents``, so the view's own pass skips them; the layer
    paints them in the scene's stacking order with their transforms, clips and opacity. It is
    drawn anew after ``invalidate``: on the signals given as ``changes`` (a curve's new data,
    a view's new range or size), when an item moves, shows, hides or resizes, and wherever a
    caller changes them. Items that must lie above the moving ones (legends) do not belong here:
    the whole layer lies under everything else.
    """

    def __init__(self, view: pg.GraphicsView, items: Iterable[QGraphicsItem], changes: Iterable = ()) -> None:
        self.view = view
        self.roots = list(items)
        self._flagged: list[QGraphicsItem] = []
        for signal in changes:
            signal.connect(self.invalidate)
        for item in self.roots:  # moved, shown, hidden or resized: draw the layer anew
            for name in ("xChanged", "yChanged", "visibleChanged", "opacityChanged", "zChanged", "geometryChanged"):
                signal = getattr(item, name, None)
                if signal is not None:
                    signal.connect(self.invalidate)
        self._flag_items()
        scene = view.scene()
        original_render = scene.render

        def render(*args, **kwargs):  # pyqtgraph's image and print exporters render the scene itself
            with self.suspended():
                return original_render(*args, **kwargs)

        scene.render = render

    def items(self) -> list[QGraphicsItem]:
        """The static items and everything under them (an axis's title, a title's text item)."""
        out, stack = [], list(self.roots)
        while stack:
            item = stack.pop()
            out.append(item)
            stack.extend(item.childItems())
        return out

    def _flag_items(self) -> None:
        self._flagged = self.items()
        for item in self._flagged:
            item.setCacheMode(QGraphicsItem.NoCache)
            item.setFlag(_NO_CONTENTS, True)

    def invalidate(self, *_args) -> None:
        """Draw the layer anew at the next paint (and take in items added under the static ones)."""
        if len(self.items()) != len(self._flagged):
            self._flag_items()
        self.view.resetCachedContent()
        self.view.viewport().update()

    @contextmanager
    def suspended(self):
        """The static items paint themselves again, as in a view without a layer (for exports)."""
        flagged = self.items()
        for item in flagged:
            item.setFlag(_NO_CONTENTS, False)
        try:
            yield
        finally:
            for item in flagged:
                item.setFlag(_NO_CONTENTS, True)

    def paint(self, painter: QPainter) -> None:
        """Paint the static items through ``painter`` (the view's, in scene coordinates)."""
        static = set(self._flagged)
        base = painter.worldTransform()
        widget = self.view.viewport()
        for item in self.view.scene().items(Qt.AscendingOrder):
            if item not in static or not item.isVisible():
                continue
            painter.save()
            clip = _ancestor_clip(item)
            if clip is not None:
                painter.setWorldTransform(base)
                painter.setClipPath(clip, Qt.IntersectClip)
            painter.setWorldTransform(item.sceneTransform() * base)
            painter.setOpacity(item.effectiveOpacity())
            option = QStyleOptionGraphicsItem()
            option.exposedRect = item.boundingRect()
            option.rect = option.exposedRect.toAlignedRect()
            item.paint(painter, option, widget)
            painter.restore()


def _ancestor_clip(item: QGraphicsItem) -> QPainterPath | None:
    """The clip Qt applies to ``item`` (its ancestors' shapes that clip children), in scene coordinates."""
    clip = None
    parent = item.parentItem()
    while parent is not None:
        if parent.flags() & QGraphicsItem.ItemClipsChildrenToShape:
            shape = parent.mapToScene(parent.shape())
            clip = shape if clip is None else clip.intersected(shape)
        parent = parent.parentItem()
    return clip


class StaticLayerView:
    """Mixin for a pyqtgraph view (before it in the bases) whose background draws a ``StaticLayer``."""

    static_layer: StaticLayer | None = None

    def set_static_items(self, items: Iterable[QGraphicsItem], changes: Iterable = ()) -> StaticLayer:
        self.static_layer = StaticLayer(self, items, changes)
        self.static_layer.invalidate()
        return self.static_layer

    def drawBackground(self, painter: QPainter, rect) -> None:  # noqa: N802 (Qt's name)
        super().drawBackground(painter, rect)
        if self.static_layer is not None:
            self.static_layer.paint(painter)


class LayeredPlotWidget(StaticLayerView, pg.PlotWidget):
    """A PlotWidget that can draw its static items as a ``StaticLayer``."""
