"""Exports shared by File ▸ Export… and ``derivgui export``: PNG, SVG, PDF, CSV, GIF and PNG frames.

One code path for both: an ``ExportScene`` holds a compiled expression and the state, and
draws it with the app's own views — a ``Plot2DView`` laid out off-screen for f(x), the
``Plot3DView`` (``render_image``) for f(x, y). The window builds its scene from what is on
screen (``ExportScene.from_window``); the command line from its options (``ExportScene.offscreen``).
Every file is written through ``derivgui.files.atomic``: a failed or cancelled export leaves
the previous file as it was.

Pixel sizes are exact and independent of the screen: a view is laid out at a logical size
(about 900 × 560, or the on-screen size for "scale" exports) and painted into an image of the
requested size with a device-pixel ratio, as a HiDPI screen would, with pens widened to match.
A surface is framed to fill its picture (``frame_camera``), seen from where the window's camera
looks. PNG, SVG and PDF can have a caption (f, a, Δa and the slopes), as a sweep's frames do.
"""

from __future__ import annotations

import contextlib
import html
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import QBuffer, QIODevice, QMarginsF, QPoint, QPointF, QRectF, QSizeF, Qt
from PyQt5.QtGui import QColor, QFont, QFontMetricsF, QImage, QPageSize, QPainter, QPdfWriter, QPen
from PyQt5.QtWidgets import QApplication, QGraphicsItem

from derivgui.files import exporting as ex
from derivgui.files.atomic import atomic_open, atomic_path, atomic_write_bytes, atomic_write_text, check_writable
from derivgui.files.exporting import ExportCancelled, ExportError
from derivgui.model.state import AppState
from derivgui.numeric.geometry import format_number, judged_secant_report
from derivgui.ui.view2d.plot2d import Plot2DView

__all__ = [
    "ExportCancelled", "ExportError", "ExportRequest", "ExportScene", "export_animation", "export_delta_sweep",
    "export_file",
]

SURFACE_RESOLUTION = 200  # grid points per side of an exported surface (the window's idle resolution)
COLOR_BAR_WIDTH = 78  # logical pixels, as in the window
GIF_FRAME_MS = 90
GIF_LAST_FRAME_MS = 1500

Progress = Callable[[int, int], object]  # (frames done, total); returning False cancels
Cancelled = Callable[[], bool]


# -- painting a pyqtgraph scene at any pixel size ---------------------------------------------


class _ScalingPainter(QPainter):
    """A painter whose cosmetic pens are ``factor`` times wider.

    Cosmetic pens (pyqtgraph's default) have a width in device pixels, which a device-pixel
    ratio does not scale: a 2.5 px curve would be a hairline in a 4000 px image. pyqtgraph's
    items set their pens from Python, so widening them here covers curves, lines, symbols and
    the legend's samples.
    """

    def __init__(self, device, factor: float) -> None:
        super().__init__(device)
        self._factor = factor

    def setPen(self, *args) -> None:  # noqa: N802 (Qt's name)
        if self._factor != 1.0 and len(args) == 1 and isinstance(args[0], QPen):
            pen = args[0]
            if pen.isCosmetic() and pen.style() != Qt.NoPen:
                pen = QPen(pen)
                pen.setWidthF(max(pen.widthF(), 1.0) * self._factor)
            super().setPen(pen)
        else:
            super().setPen(*args)


@contextlib.contextmanager
def _export_mode(scene, painter: QPainter | None, symbol_scale: float = 1.0) -> Iterator[None]:
    """pyqtgraph's export mode: no auto-range button, scatter symbols as vectors (``symbol_scale`` × size),
    and each curve drawn as one path (not line segments: one smooth ``<path>`` in SVG, clean joins)."""
    opts = {"antialias": True, "background": QColor("white"), "painter": painter, "resolutionScale": symbol_scale}
    items = [item for item in scene.items() if hasattr(item, "setExportMode")]
    curves = [(item, item.opts.get("segmentedLineMode", "auto")) for item in scene.items()
              if isinstance(item, pg.PlotCurveItem)]
    for item in items:
        item.setExportMode(True, opts)
    for curve, _mode in curves:
        curve.setSegmentedLineMode("off")
    try:
        yield
    finally:
        for item in items:
            item.setExportMode(False)
        for curve, mode in curves:
            curve.setSegmentedLineMode(mode)


@contextlib.contextmanager
def _scaled_axis_pens(scene, factor: float) -> Iterator[None]:
    """Axes draw from a cached QPicture, not through our painter: widen their pens directly."""
    saved = []
    if factor != 1.0:
        for axis in (item for item in scene.items() if isinstance(item, pg.AxisItem)):
            pen, tick = axis.pen(), axis._tickPen  # _tickPen None means "the axis pen"
            saved.append((axis, pen, tick))
            wide = QPen(pen)
            wide.setWidthF(max(pen.widthF(), 1.0) * factor)
            axis.setPen(wide)
            if tick is not None:
                wide_tick = pg.mkPen(tick)
                wide_tick.setWidthF(max(wide_tick.widthF(), 1.0) * factor)
                axis.setTickPen(wide_tick)
    try:
        yield
    finally:
        for axis, pen, tick in saved:
            axis.setPen(pen)
            if tick is None:
                axis.setTickPen()
            else:
                axis.setTickPen(tick)


@contextlib.contextmanager
def _transformable_items(scene) -> Iterator[None]:
    """Let items that ignore transformations (the legend) follow a scaled painter, for vector output."""
    flagged = [item for item in scene.items() if item.flags() & QGraphicsItem.ItemIgnoresTransformations]
    for item in flagged:
        item.setFlag(QGraphicsItem.ItemIgnoresTransformations, False)
    try:
        yield
    finally:
        for item in flagged:
            item.setFlag(QGraphicsItem.ItemIgnoresTransformations, True)


def _source_rect(view: pg.GraphicsView) -> QRectF:
    return view.viewportTransform().inverted()[0].mapRect(QRectF(view.viewport().rect()))


def _settle() -> None:
    app = QApplication.instance()
    if app is not None:
        for _ in range(2):
            app.processEvents()


def render_view_image(view: pg.GraphicsView, width: int, height: int) -> QImage:
    """The view's scene as an image of exactly ``width`` × ``height`` pixels (RGB32, white).

    The view keeps its logical layout; the image's device-pixel ratio maps it onto the pixels,
    so text, symbols and (through ``_ScalingPainter``) lines grow together.
    """
    lw = max(view.viewport().width(), 1)
    ratio = width / lw
    image = QImage(width, height, QImage.Format_RGB32)
    image.fill(QColor("white"))
    image.setDotsPerMeterX(round(view.logicalDpiX() / 0.0254))  # fonts measure as they do on screen
    image.setDotsPerMeterY(round(view.logicalDpiY() / 0.0254))
    image.setDevicePixelRatio(ratio)
    painter = _ScalingPainter(image, ratio)
    try:
        painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing | QPainter.SmoothPixmapTransform)
        scene = view.scene()
        with _export_mode(scene, painter), _scaled_axis_pens(scene, ratio):
            scene.render(painter, QRectF(0, 0, width / ratio, height / ratio), _source_rect(view))
    finally:
        painter.end()
    image.setDevicePixelRatio(1.0)
    return image


def render_view_pdf(view: pg.GraphicsView, width: int, height: int, title: str = "",
                    caption: list[str] | None = None) -> bytes:
    """The view as a one-page vector PDF of ``width`` × ``height`` pixels at the screen's logical dpi.

    The resolution must be the screen's: pyqtgraph's axes are cached QPictures, which Qt rescales
    by (device dpi / screen dpi) when replaying, and fonts are laid out in screen points.
    """
    lw, lh = max(view.viewport().width(), 1), max(view.viewport().height(), 1)
    dpi = max(view.logicalDpiX(), 1)
    buffer = QBuffer()
    buffer.open(QIODevice.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setCreator("derivgui")
    writer.setTitle(title)
    writer.setResolution(dpi)
    writer.setPageSize(QPageSize(QSizeF(width / dpi, height / dpi), QPageSize.Inch, "derivgui", QPageSize.ExactMatch))
    writer.setPageMargins(QMarginsF(0, 0, 0, 0))
    ratio = width / lw
    painter = _ScalingPainter(writer, ratio)
    try:
        painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        scene = view.scene()
        with _export_mode(scene, painter, ratio), _scaled_axis_pens(scene, ratio), _transformable_items(scene):
            scene.render(painter, QRectF(0, 0, width, height), QRectF(0, 0, lw, lh).translated(
                _source_rect(view).topLeft()), Qt.IgnoreAspectRatio)
        _draw_caption(painter, caption or [], ratio, width)
    finally:
        painter.end()
    buffer.close()
    return bytes(buffer.data())


def render_view_svg(view: pg.GraphicsView, width: int, height: int, title: str = "",
                    caption: list[str] | None = None) -> bytes:
    """The plot as SVG with true vectors (pyqtgraph's SVGExporter), shown at ``width`` × ``height``."""
    from pyqtgraph.exporters import SVGExporter

    item = view.getPlotItem() if hasattr(view, "getPlotItem") else view.scene()
    exporter = SVGExporter(item)
    rect = item.sceneBoundingRect() if hasattr(item, "sceneBoundingRect") else _source_rect(view)
    params = exporter.parameters()
    params.param("width").setValue(rect.width(), blockSignal=exporter.widthChanged)
    params.param("height").setValue(rect.height(), blockSignal=exporter.heightChanged)
    params["scaling stroke"] = True  # strokes scale with the drawing, as in the PNG
    params["background"] = QColor("white")
    with _export_mode(view.scene(), None):
        text = exporter.export(toBytes=True).decode("utf-8")
    # Show the layout at the requested size (the viewBox keeps the layout's coordinates).
    text = text.replace("<svg ", f'<svg width="{width}" height="{height}" ', 1)
    text = text.replace("<title>pyqtgraph SVG export</title>", f"<title>{html.escape(title)}</title>", 1)
    if caption:
        end = text.rfind("</svg>")
        text = text[:end] + _svg_caption(caption, rect.width()) + "\n" + text[end:]
    return text.encode("utf-8")


CAPTION_FONT_PX = 15  # logical pixels, scaled with the picture as its text is
CAPTION_BOX = QColor(255, 255, 255, 225)
CAPTION_TEXT = QColor(30, 30, 30)


def _draw_caption(painter: QPainter, lines: list[str], ratio: float, width: float, corner: str = "right") -> None:
    """A small caption box in a top corner of a ``width``-wide picture, painted with ``painter``."""
    if not lines:
        return
    painter.save()
    try:
        painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        font = QFont("DejaVu Sans")
        font.setPixelSize(max(8, round(CAPTION_FONT_PX * ratio)))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        pad = round(8 * ratio)
        box_w = max(metrics.horizontalAdvance(line) for line in lines) + 2 * pad
        box_h = metrics.height() * len(lines) + 2 * pad
        x = width - box_w - round(14 * ratio) if corner == "right" else round(14 * ratio)
        y = round(12 * ratio)
        painter.setPen(Qt.NoPen)
        painter.setBrush(CAPTION_BOX)
        painter.drawRoundedRect(QRectF(x, y, box_w, box_h), 4 * ratio, 4 * ratio)
        painter.setPen(CAPTION_TEXT)
        for i, line in enumerate(lines):
            painter.drawText(QPoint(round(x + pad), round(y + pad + metrics.ascent() + i * metrics.height())), line)
    finally:
        painter.restore()


def _caption(image: QImage, lines: list[str], ratio: float, corner: str = "right") -> None:
    """Write a small caption (e.g. Δa = 1e-05) in a top corner of an exported frame."""
    painter = QPainter(image)
    try:
        _draw_caption(painter, lines, ratio, image.width(), corner)
    finally:
        painter.end()


def _svg_caption(lines: list[str], width: float, corner: str = "right") -> str:
    """The caption of ``_draw_caption`` as SVG elements, for a drawing ``width`` units wide (ratio 1)."""
    if not lines:
        return ""
    font = QFont("DejaVu Sans")
    font.setPixelSize(CAPTION_FONT_PX)
    metrics = QFontMetricsF(font)
    pad = 8
    box_w = max(metrics.horizontalAdvance(line) for line in lines) + 2 * pad
    box_h = metrics.height() * len(lines) + 2 * pad
    x = width - box_w - 14 if corner == "right" else 14
    y = 12
    parts = [f'<g id="derivgui-caption"><rect x="{x:.2f}" y="{y}" width="{box_w:.2f}" height="{box_h:.2f}" rx="4" '
             f'fill="#ffffff" fill-opacity="{CAPTION_BOX.alphaF():.3f}" stroke="none"/>']
    for i, line in enumerate(lines):
        baseline = y + pad + metrics.ascent() + i * metrics.height()
        parts.append(f'<text x="{x + pad:.2f}" y="{baseline:.2f}" font-family="DejaVu Sans" '
                     f'font-size="{CAPTION_FONT_PX}px" fill="{CAPTION_TEXT.name()}" stroke="none" '
                     f'xml:space="preserve">{html.escape(line)}</text>')
    parts.append("</g>")
    return "".join(parts)


# -- framing the 3D view ----------------------------------------------------------------------

FRAME_FILL = 0.94  # the share of the picture's width or height the box and its labels take
TURNTABLE_AZIMUTHS = tuple(range(0, 360, 30))  # a turntable is framed for all of these at once
FRAME_START_DISTANCE = 30.0  # scene units: the box is 10 × 10 × 6


def _projected_bounds(view, width: int, height: int) -> tuple[float, float, float, float] | None:
    """(x0, x1, y0, y1) in normalized device coordinates (−1 … 1) of what the 3D view draws that
    does not move with the point: the box around the surface and every tick label and title, with
    the labels' text as ``Plot3DView.render_image`` paints it. None if some of it is behind the camera."""
    from derivgui.ui.view3d.plot3d import HALF_XY, HALF_Z

    corners = [(sx * HALF_XY, sy * HALF_XY, sz * HALF_Z) for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)]
    labels = list(getattr(view, "tick_labels", []))
    points = np.array(corners + [tuple(label.pos) for label in labels], dtype=float)
    matrix = view.projectionMatrix((0, 0, width, height), (0, 0, width, height)) * view.viewMatrix()
    m = np.array(matrix.copyDataTo(), dtype=float).reshape(4, 4)
    clip = np.c_[points, np.ones(len(points))] @ m.T
    if (clip[:, 3] <= 1e-9).any():
        return None
    ndc = clip[:, :2] / clip[:, 3:4]
    x0, x1 = ndc[:, 0].min(), ndc[:, 0].max()
    y0, y1 = ndc[:, 1].min(), ndc[:, 1].max()
    scale = height / max(view.height(), 1)  # render_image paints the labels this much larger
    for label, (x, y) in zip(labels, ndc[len(corners):], strict=True):
        metrics = QFontMetricsF(label.font)
        rect = label.text_rect(QPointF(0.0, 0.0), metrics)  # the text about its point, in view pixels
        x0 = min(x0, x + 2 * rect.left() * scale / width)  # (NDC units: 2 px / side)
        x1 = max(x1, x + 2 * rect.right() * scale / width)
        y0 = min(y0, y - 2 * rect.bottom() * scale / height)
        y1 = max(y1, y - 2 * rect.top() * scale / height)
    return x0, x1, y0, y1


def frame_camera(view, width: int, height: int, azimuths: tuple[float, ...] | None = None,
                 fill: float = FRAME_FILL) -> None:
    """Move the 3D camera (centre and distance; never its direction) so that the box and its labels
    fill a ``width`` × ``height`` picture. With ``azimuths`` the box stays centred and the distance
    fits every one of those directions (a turntable keeps one zoom as it turns)."""
    opts = view.opts
    fov = math.radians(opts["fov"])
    azimuth = opts["azimuth"]
    opts["center"] = pg.Vector(0.0, 0.0, 0.0)
    opts["distance"] = FRAME_START_DISTANCE  # the same start, the same framing (every frame of a turntable)
    try:
        for _ in range(12):
            if azimuths is None:
                bounds = _projected_bounds(view, width, height)
            else:
                found = []
                for a in azimuths:
                    opts["azimuth"] = a
                    found.append(_projected_bounds(view, width, height))
                opts["azimuth"] = azimuth
                bounds = None if None in found else (min(b[0] for b in found), max(b[1] for b in found),
                                                     min(b[2] for b in found), max(b[3] for b in found))
            if bounds is None:  # part of the box is behind the camera: step back and try again
                opts["distance"] *= 2.0
                continue
            x0, x1, y0, y1 = bounds
            distance = opts["distance"]
            # Pan: the middle of the content to the middle of the picture (in the plane through the
            # centre); a turntable's centre only moves up or down, on the axis it turns about.
            half_w = distance * math.tan(fov / 2)
            half_h = half_w * height / width
            rotation = view.viewMatrix()
            right = np.array([rotation.row(0).x(), rotation.row(0).y(), rotation.row(0).z()])
            up = np.array([rotation.row(1).x(), rotation.row(1).y(), rotation.row(1).z()])
            if azimuths is None:
                shift = right * (x0 + x1) / 2 * half_w + up * (y0 + y1) / 2 * half_h
                zoom = max((x1 - x0) / (2 * fill), (y1 - y0) / (2 * fill))
            else:
                rise = (y0 + y1) / 2 * half_h / up[2] if up[2] > 0.2 else 0.0
                shift = np.array([0.0, 0.0, rise])
                zoom = max(max(-x0, x1) / fill, (y1 - y0) / (2 * fill) if rise else max(-y0, y1) / fill)
            c = opts["center"]
            opts["center"] = pg.Vector(c.x() + shift[0], c.y() + shift[1], c.z() + shift[2])
            if not math.isfinite(zoom) or zoom <= 0:
                break
            opts["distance"] = distance * zoom
            if abs(zoom - 1) < 1e-3 and abs(x0 + x1) + abs(y0 + y1) < 1e-3:
                break
    finally:
        opts["azimuth"] = azimuth
    view.update()


# -- what to export ---------------------------------------------------------------------------


def _state_copy(state: AppState) -> AppState:
    return AppState.from_dict(state.to_dict())


def _signature(compiled) -> str:
    return "f(x, y)" if len(compiled.variables) == 2 else "f(x)"


class ExportScene:
    """A compiled expression and a state, drawn for export by the app's own views.

    ``image``, ``svg``, ``pdf`` and ``csv`` give the current frame; ``set_deltas`` and
    ``set_azimuth`` change the frame for animations and ``restore`` puts everything back.
    """

    def __init__(self, compiled, state: AppState, *, x_range=None, y_range=None, live_view3d=None,
                 layout_2d: tuple[int, int] | None = None) -> None:
        if compiled is None:
            raise ExportError("nothing to export yet: the expression has not compiled")
        self.compiled = compiled
        self.state = _state_copy(state)
        self.is_surface = len(compiled.variables) == 2
        self.x_range = tuple(float(v) for v in (x_range or self.state.x_range))
        self.y_range = None if y_range is None else tuple(float(v) for v in y_range)
        self.layout_2d = layout_2d
        self._live_view3d = live_view3d  # the window's 3D view: its size and camera are copied
        self._view3d = None  # the off-screen 3D view this scene draws with
        self._plot2d: Plot2DView | None = None
        self._gl_sizes: dict[int, tuple[object, str, float]] = {}
        self.delta_a, self.delta_b = self.state.delta_a, self.state.delta_b
        self.turntable = False  # frames of a turntable: one framing for every direction

    # -- construction --------------------------------------------------------------------------

    @classmethod
    def from_window(cls, window) -> ExportScene:
        """What the window shows: its state, the 2D view's visible ranges or the 3D view's camera.

        The pictures are drawn by views made off-screen for the export, laid out for the requested
        size, so the window is never resized, repainted or animated by an export.
        """
        compiled = window.compiled
        if compiled is None:
            raise ExportError("nothing to export yet: the expression has not compiled")
        if len(compiled.variables) == 2:
            view3d = getattr(window, "plot3d", None)
            if view3d is None:
                import pyqtgraph.opengl as gl

                view3d = window.findChild(gl.GLViewWidget, "plot3d")
            if view3d is None:
                raise ExportError("this window has no 3D view to export")
            return cls(compiled, window.state, live_view3d=view3d)
        plot = window.plot2d
        size = plot.viewport().size()
        return cls(compiled, window.state, x_range=plot.visible_x_range(), y_range=plot.visible_y_range(),
                   layout_2d=(size.width(), size.height()))

    @classmethod
    def offscreen(cls, compiled, state: AppState) -> ExportScene:
        """A scene with no window (the command line): views are made off-screen when needed."""
        return cls(compiled, state, x_range=state.x_range)

    # -- sizes ---------------------------------------------------------------------------------

    def view_size(self) -> tuple[int, int]:
        """The logical size of the view as it is on screen (or the reference layout off-screen)."""
        if self.is_surface and self._live_view3d is not None:
            return self._live_view3d.width() + COLOR_BAR_WIDTH, self._live_view3d.height()
        if self.layout_2d is not None:
            return self.layout_2d
        return ex.REFERENCE_LAYOUT

    def layout(self, width: int, height: int, scale: float | None = None) -> tuple[int, int, float]:
        return ex.layout_for(width, height, scale)

    # -- views ---------------------------------------------------------------------------------

    def plot2d(self, layout: tuple[int, int]) -> Plot2DView:
        """The off-screen 2D view, laid out at ``layout`` logical pixels, showing the current frame."""
        if self._plot2d is None:
            view = Plot2DView()
            view.setAttribute(Qt.WA_DontShowOnScreen, True)
            view.setMinimumSize(1, 1)
            view.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
            view.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
            self._plot2d = view
        view = self._plot2d
        if (view.width(), view.height()) != tuple(layout) or not view.isVisible():
            view.resize(*layout)
            view.show()
            _settle()
            s = self.state
            view.set_overlays(s.overlays)
            view.set_function(self.compiled.value_and_grad, x_range=self.x_range)
            if self.y_range is not None:
                view.getPlotItem().getViewBox().setRange(xRange=self.x_range, yRange=self.y_range, padding=0)
            _settle()
            view.resample()
        view.set_report(judged_secant_report(self.compiled, self.state.a, self.delta_a))
        return view

    def view3d(self, layout: tuple[int, int] | None = None):
        """The off-screen 3D view at ``layout`` logical pixels (needs an OpenGL context).

        It shows the state's surface and point, seen by the window's camera when there is a window.
        """
        if self._view3d is None:
            try:
                from derivgui.ui.view3d.plot3d import Plot3DView
            except ImportError as exc:  # pragma: no cover - depends on the 3D module
                raise ExportError(f"3D export is not available: {exc}") from exc
            from derivgui.numeric.surface import judged_point_report, sample_surface

            view = Plot3DView()
            view.setAttribute(Qt.WA_DontShowOnScreen, True)
            view.setMinimumSize(1, 1)
            self._view3d = view
            s = self.state
            vg = self.compiled.value_and_grad
            view.resize(*(layout or ex.REFERENCE_LAYOUT))
            view.show()
            _settle()
            if not view.isValid():
                raise ExportError("3D export needs OpenGL, and no OpenGL context could be created here")
            view.set_surface(vg, sample_surface(vg, s.surface_x_range, s.surface_y_range,
                                                SURFACE_RESOLUTION, SURFACE_RESOLUTION))
            view.set_overlays(s.overlays)
            view.set_point(judged_point_report(self.compiled, s.a, s.b, self.delta_a, self.delta_b), self.delta_a,
                           self.delta_b)
            if self._live_view3d is not None:
                view.setCameraParams(**self._live_view3d.cameraParams())
        elif layout is not None and (self._view3d.width(), self._view3d.height()) != tuple(layout):
            self._view3d.resize(*layout)
            _settle()
        return self._view3d

    def _scale_gl_items(self, view, ratio: float) -> None:
        """GL lines and points have sizes in pixels: widen them with the picture, as the 2D pens are.

        Hairlines (the box, width 1) stay hairlines: Mesa draws wide antialiased lines as dotted.
        """
        for item in view.items:
            for attr in ("width", "size") if hasattr(item, "setData") else ():
                value = getattr(item, attr, None)
                if isinstance(value, (int, float)) and not isinstance(value, bool) and attr in vars(item):
                    base = self._gl_sizes.setdefault(id(item), (item, attr, float(value)))[2]
                    if base > 1.0:
                        setattr(item, attr, base * ratio)
                    break

    # -- frames --------------------------------------------------------------------------------

    def set_deltas(self, delta_a: float, delta_b: float | None = None) -> None:
        """Show the secants for other steps (the animation's frames); the state is not changed."""
        self.delta_a = float(delta_a)
        self.delta_b = float(self.delta_b if delta_b is None else delta_b)
        if self.is_surface and self._view3d is not None:
            from derivgui.numeric.surface import judged_point_report

            s = self.state
            report = judged_point_report(self.compiled, s.a, s.b, self.delta_a, self.delta_b)
            self._view3d.set_point(report, self.delta_a, self.delta_b)

    def set_azimuth(self, degrees: float) -> None:
        self.view3d().setCameraPosition(azimuth=float(degrees))

    def azimuth(self) -> float:
        return float(self.view3d().opts["azimuth"])

    def restore(self) -> None:
        """Back to the state's own Δa, Δb and the starting camera."""
        self.turntable = False
        if (self.delta_a, self.delta_b) != (self.state.delta_a, self.state.delta_b):
            self.set_deltas(self.state.delta_a, self.state.delta_b)
        if self._view3d is not None:
            from derivgui.ui.view3d.plot3d import CAMERA

            live = self._live_view3d
            self._view3d.setCameraParams(**(live.cameraParams() if live is not None else {
                "azimuth": CAMERA["azimuth"], "elevation": CAMERA["elevation"], "distance": CAMERA["distance"]}))

    def close(self) -> None:
        """Delete the off-screen views this scene made (the window's views are never touched)."""
        for view in (self._plot2d, self._view3d):
            if view is not None:
                view.hide()
                view.deleteLater()
        self._plot2d = self._view3d = None
        self._gl_sizes.clear()

    def __enter__(self) -> ExportScene:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- outputs -------------------------------------------------------------------------------

    def title(self) -> str:
        return f"derivgui: {_signature(self.compiled)} = {self.compiled.text}"

    def caption_lines(self) -> list[str]:
        """f, the point and step, and the slopes there (the caption of a still picture)."""
        s = self.state
        text = self.compiled.text if len(self.compiled.text) <= 60 else self.compiled.text[:59] + "…"
        lines = [f"{_signature(self.compiled)} = {text}"]
        if self.is_surface:
            from derivgui.numeric.surface import judged_point_report

            r = judged_point_report(self.compiled, s.a, s.b, self.delta_a, self.delta_b)
            lines += [f"(a, b) = ({format_number(s.a, 6)}, {format_number(s.b, 6)})   "
                      f"Δa = {format_number(self.delta_a, 3)}   Δb = {format_number(self.delta_b, 3)}",
                      f"secant slopes {format_number(r.along_x.secant_slope, 8)} along x, "
                      f"{format_number(r.along_y.secant_slope, 8)} along y",
                      f"∂f/∂x = {format_number(r.along_x.tangent_slope, 8)}   "
                      f"∂f/∂y = {format_number(r.along_y.tangent_slope, 8)}"]
        else:
            r = judged_secant_report(self.compiled, s.a, self.delta_a)
            lines += [f"a = {format_number(s.a, 8)}   Δa = {format_number(self.delta_a, 3)}",
                      f"secant slope {format_number(r.secant_slope, 8)}",
                      f"f′(a) = {format_number(r.tangent_slope, 8)}"]
        return lines

    def image(self, width: int, height: int, scale: float | None = None) -> QImage:
        """The current frame as exactly ``width`` × ``height`` pixels."""
        width, height = ex.check_size(width, height)
        lw, lh, ratio = self.layout(width, height, scale)
        if not self.is_surface:
            return render_view_image(self.plot2d((lw, lh)), width, height)
        bar_px = round(COLOR_BAR_WIDTH * ratio)
        view_px = width - bar_px
        if view_px < ex.MIN_SIDE:
            bar_px, view_px = 0, width
        view = self.view3d((max(1, lw - (COLOR_BAR_WIDTH if bar_px else 0)), lh))
        self._scale_gl_items(view, ratio)
        self._frame(view, view_px, height)
        picture = view.render_image(view_px, height)
        if picture.width() != view_px or picture.height() != height:  # never trust a size: the file must match
            picture = picture.scaled(view_px, height, Qt.IgnoreAspectRatio, Qt.SmoothTransformation)
        if not bar_px:
            return picture.convertToFormat(QImage.Format_RGB32)
        image = QImage(width, height, QImage.Format_RGB32)
        image.fill(QColor("white"))
        painter = QPainter(image)
        try:
            painter.drawImage(0, 0, picture)
            self._paint_color_bar(painter, view, view_px, ratio, height)
        finally:
            painter.end()
        return image

    def _frame(self, view, width: int, height: int) -> None:
        """Fit the box and its labels to the picture, in the camera's direction (see ``frame_camera``).

        A window's camera that shows the box larger than that (the user zoomed in) is kept as it is.
        """
        live = self._live_view3d.cameraParams() if self._live_view3d is not None else None
        frame_camera(view, width, height, TURNTABLE_AZIMUTHS if self.turntable else None)
        if live is not None and live["distance"] < view.opts["distance"] and not self.turntable:
            view.setCameraParams(center=pg.Vector(live["center"]), distance=live["distance"])

    def _paint_color_bar(self, painter: QPainter, view, x: int, ratio: float, height: int) -> None:
        try:
            from derivgui.ui.view3d.plot3d import ColorBar
        except ImportError:  # pragma: no cover
            return
        bar = ColorBar()
        bar.set_range(*view.z_range)
        bar.setAttribute(Qt.WA_DontShowOnScreen, True)
        bar.resize(COLOR_BAR_WIDTH, max(1, round(height / ratio)))
        painter.save()
        painter.translate(x, 0)
        painter.scale(ratio, ratio)
        bar.render(painter, QPoint(0, 0))
        painter.restore()
        bar.deleteLater()

    def captioned_image(self, width: int, height: int, scale: float | None = None) -> QImage:
        """``image`` with ``caption_lines`` in its top corner (left for a surface: its color bar is on the right)."""
        return self.frame_image(width, height, scale, self.caption_lines())

    def frame_image(self, width: int, height: int, scale: float | None, caption: list[str]) -> QImage:
        image = self.image(width, height, scale)
        _, _, ratio = self.layout(width, height, scale)
        _caption(image, caption, ratio, corner="left" if self.is_surface else "right")
        return image

    def _require_2d(self, what: str) -> None:
        if self.is_surface:
            raise ExportError(f"{what} draws the 2D view of f(x); export a surface f(x, y) as .png, .gif or .csv")

    def svg(self, width: int, height: int, scale: float | None = None, caption: bool = False) -> bytes:
        self._require_2d("SVG")
        width, height = ex.check_size(width, height)
        lw, lh, _ = self.layout(width, height, scale)
        view = self.plot2d((lw, lh))
        return render_view_svg(view, width, height, self.title(), self.caption_lines() if caption else None)

    def pdf(self, width: int, height: int, scale: float | None = None, caption: bool = False) -> bytes:
        self._require_2d("PDF")
        width, height = ex.check_size(width, height)
        lw, lh, _ = self.layout(width, height, scale)
        view = self.plot2d((lw, lh))
        return render_view_pdf(view, width, height, self.title(), self.caption_lines() if caption else None)

    def csv(self, samples: int | None = None) -> str:
        vg = self.compiled.value_and_grad
        if self.is_surface:
            s = self.state
            return ex.grid_csv(vg, s.surface_x_range, s.surface_y_range, samples or ex.GRID_SAMPLES)
        return ex.curve_csv(vg, self.x_range, samples or ex.CURVE_SAMPLES)


# -- writing files ----------------------------------------------------------------------------


@dataclass
class ExportRequest:
    """Everything the dialog or the command line asked for."""

    path: str
    format: str | None = None  # from the extension when None
    width: int = ex.DEFAULT_SIZE[0]
    height: int = ex.DEFAULT_SIZE[1]
    scale: float | None = None  # logical → pixel scale; None: chosen from the size
    frames: int = ex.DEFAULT_FRAMES
    animation: str = "sweep"
    samples: int | None = None
    caption: bool = False  # f, the point, the step and the slopes in a corner of a PNG, SVG or PDF

    def resolved_format(self) -> str:
        return self.format or ex.format_for_path(self.path)


def save_png(image: QImage, path: str) -> None:
    with atomic_path(path, ".png") as tmp:
        if not image.save(tmp, "PNG"):
            raise ExportError(f"could not encode the PNG for {path}")


def export_file(scene: ExportScene, request: ExportRequest, progress: Progress | None = None,
                cancelled: Cancelled | None = None) -> list[str]:
    """Write ``request.path`` in its format; return the files written. ``ExportError`` for a bad request."""
    fmt = request.resolved_format()
    if fmt not in ex.FORMATS:
        raise ExportError(f"unknown format '{fmt}'")
    if fmt in ex.ANIMATED:
        return export_animation(scene, request.path, kind=request.animation, frames=request.frames,
                                width=request.width, height=request.height, scale=request.scale, fmt=fmt,
                                progress=progress, cancelled=cancelled)
    check_writable(request.path)
    if fmt == "csv":
        atomic_write_text(request.path, scene.csv(request.samples))
    elif fmt == "png":
        draw = scene.captioned_image if request.caption else scene.image
        save_png(draw(request.width, request.height, request.scale), request.path)
    elif fmt == "svg":
        atomic_write_bytes(request.path, scene.svg(request.width, request.height, request.scale, request.caption))
    elif fmt == "pdf":
        atomic_write_bytes(request.path, scene.pdf(request.width, request.height, request.scale, request.caption))
    return [request.path]


# -- animations -------------------------------------------------------------------------------


def _frames(scene: ExportScene, kind: str, count: int, width: int, height: int, scale: float | None,
            progress: Progress | None, cancelled: Cancelled | None) -> Iterator[QImage]:
    """Render the frames one at a time, reporting progress and honouring Cancel between them."""
    s = scene.state
    if kind == "sweep":
        deltas_a = ex.sweep_deltas(s.delta_a, count)
        deltas_b = ex.sweep_deltas(s.delta_b, count) if scene.is_surface else [None] * count
    elif kind == "turntable":
        if not scene.is_surface:
            raise ExportError("a turntable turns the 3D view: it needs a surface f(x, y)")
        start = scene.azimuth()
        scene.turntable = True
    else:
        raise ExportError(f"unknown animation '{kind}': use sweep or turntable")
    for i in range(count):
        if (cancelled is not None and cancelled()) or (progress is not None and progress(i, count) is False):
            raise ExportCancelled
        if kind == "sweep":
            scene.set_deltas(deltas_a[i], deltas_b[i])
            if scene.is_surface:
                caption = [f"Δa = {format_number(deltas_a[i], 3)}   Δb = {format_number(deltas_b[i], 3)}"]
            else:
                r = judged_secant_report(scene.compiled, s.a, deltas_a[i])
                caption = [f"Δa = {format_number(deltas_a[i], 3)}",
                           f"secant slope {format_number(r.secant_slope, 8)}",
                           f"f′(a) = {format_number(r.tangent_slope, 8)}"]
        else:
            scene.set_azimuth(start + 360.0 * i / count)
            caption = []
        image = scene.image(width, height, scale) if not caption else scene.frame_image(width, height, scale, caption)
        yield image
    if cancelled is not None and cancelled():
        raise ExportCancelled
    if progress is not None:
        progress(count, count)


def _to_pil(image: QImage):
    from PIL import Image

    rgb = image.convertToFormat(QImage.Format_RGB888)
    data = bytes(rgb.constBits().asarray(rgb.sizeInBytes()))
    frame = Image.frombuffer("RGB", (rgb.width(), rgb.height()), data, "raw", "RGB", rgb.bytesPerLine(), 1)
    # One adaptive palette per frame, no dithering: flat plot colours stay flat (and GIF-sized).
    return frame.quantize(colors=255, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)


def _write_gif(path: str, images: Iterator[QImage], count: int, frame_ms: int) -> None:
    try:
        import PIL.Image  # noqa: F401
    except ImportError as exc:
        raise ExportError("GIF export needs Pillow: pip install pillow") from exc
    frames = (_to_pil(image) for image in images)
    first = next(frames)
    durations = [frame_ms] * (count - 1) + [GIF_LAST_FRAME_MS]
    with atomic_open(path) as f:
        first.save(f, format="GIF", save_all=True, append_images=frames, duration=durations, loop=0)


def _write_sequence(pattern: str, images: Iterator[QImage], count: int) -> list[str]:
    """All frames into a hidden folder beside them, then renamed into place: all or nothing."""
    names = ex.sequence_names(pattern, count)
    check_writable(names[0])
    folder = os.path.dirname(os.path.abspath(names[0]))
    work = tempfile.mkdtemp(prefix=".derivgui-frames.", dir=folder)
    try:
        parts = []
        for name, image in zip(names, images, strict=False):
            part = os.path.join(work, os.path.basename(name))
            if not image.save(part, "PNG"):
                raise ExportError(f"could not encode the PNG for {name}")
            parts.append(part)
        if len(parts) != count:
            raise ExportError("the animation stopped early")
        for part, name in zip(parts, names, strict=True):
            os.replace(part, name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return names


def export_animation(scene: ExportScene, path: str, *, kind: str = "sweep", frames: int = ex.DEFAULT_FRAMES,
                     width: int = ex.DEFAULT_ANIMATION_SIZE[0], height: int = ex.DEFAULT_ANIMATION_SIZE[1],
                     scale: float | None = None, fmt: str | None = None, progress: Progress | None = None,
                     cancelled: Cancelled | None = None, frame_ms: int = GIF_FRAME_MS) -> list[str]:
    """The Δa → 0 sweep (or, in 3D, a turntable) as an animated GIF or numbered PNG frames.

    ``progress(done, total)`` is called before each frame (return False to cancel) and
    ``cancelled()`` is polled; a cancelled export raises ``ExportCancelled`` and writes nothing.
    """
    fmt = fmt or ex.format_for_path(path)
    if fmt not in ex.ANIMATED:
        raise ExportError(f"an animation is written as .gif or numbered .png frames, not {fmt}")
    if not 1 <= int(frames) <= ex.MAX_FRAMES:
        raise ExportError(f"bad frame count {frames}: use 1 to {ex.MAX_FRAMES}")
    width, height = ex.check_size(width, height, animated=True)
    images = _frames(scene, kind, int(frames), width, height, scale, progress, cancelled)
    try:
        if fmt == "gif":
            check_writable(path)
            _write_gif(path, images, int(frames), frame_ms)
            return [path]
        return _write_sequence(path, images, int(frames))
    finally:
        images.close()
        scene.restore()


def export_delta_sweep(window_or_view, path: str, frames: int = ex.DEFAULT_FRAMES,
                       progress_callback: Progress | None = None, cancel_flag: Cancelled | None = None,
                       width: int = ex.DEFAULT_ANIMATION_SIZE[0], height: int = ex.DEFAULT_ANIMATION_SIZE[1]
                       ) -> list[str]:
    """Animate Δa geometrically from its current value to 1e-15 and write the frames.

    ``window_or_view`` is the main window or an ``ExportScene``; the format follows ``path``.
    """
    scene = window_or_view if isinstance(window_or_view, ExportScene) else ExportScene.from_window(window_or_view)
    try:
        return export_animation(scene, path, kind="sweep", frames=frames, width=width, height=height,
                                progress=progress_callback, cancelled=cancel_flag)
    finally:
        if scene is not window_or_view:
            scene.close()


def default_file_name(compiled, fmt: str) -> str:
    """A file name from the expression: ``tanh(x)`` → tanh_x.png."""
    slug = re.sub(r"[^A-Za-z0-9]+", "_", compiled.text if compiled is not None else "").strip("_")[:40] or "derivgui"
    if fmt == "png-sequence":
        return f"{slug}_%03d.png"
    return f"{slug}.{fmt}"


def image_array(image: QImage) -> np.ndarray:
    """An RGB32 image as an (h, w, 4) uint8 array (B, G, R, 255 on little-endian machines)."""
    image = image.convertToFormat(QImage.Format_RGB32)
    ptr = image.constBits()
    ptr.setsize(image.sizeInBytes())
    return np.frombuffer(ptr, np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)[:, :image.width()].copy()
