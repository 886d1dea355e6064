"""The 3D view of f(x, y): surface, point, gradient arrow, slices, secants and tangent plane.

World coordinates are the data scaled into a fixed box, so a surface whose heights run to
thousands still sits in the same frame as the x and y axes; ``surface.to_box`` is the one map
from data to the scene (``_to_world`` for points and lines, ``surface_mesh`` for the surface).

How it reaches the screen (measured on Mesa llvmpipe, see issue #4): a QOpenGLWidget makes Qt
compose its native parent window through OpenGL on every repaint, so in the main window a readout
label's new text cost a 10-20 ms frame. ``Plot3DView`` is still the ``GLViewWidget`` named
``plot3d`` (what tests, exports and grabs use), but in the window it sits in a native host widget
(so only the host could be GL-composed, and only when the view itself repaints) and it never
repaints itself for a new frame: it draws the frame off-screen with its own context, reads it back
(0.3 ms) and a native raster child (``_Display``) lying over it draws the image. The surface,
floor, box and labels are drawn into a cached framebuffer only when they or the camera change; a
point step only draws the overlays over a copy of it. A new surface is drawn into the cache in
pieces, one per turn of the event loop, each once llvmpipe has rasterized the one before.
"""

from __future__ import annotations

import ctypes
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
import pyqtgraph.opengl as gl
from OpenGL import GL
from PyQt5 import sip
from PyQt5.QtCore import QCoreApplication, QEvent, QPointF, QRect, QRectF, Qt, QTimer
from PyQt5.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QLinearGradient,
    QMatrix4x4,
    QOpenGLBuffer,
    QOpenGLContext,
    QOpenGLFramebufferObject,
    QOpenGLPaintDevice,
    QPainter,
    QVector3D,
    QVector4D,
)
from PyQt5.QtWidgets import QHBoxLayout, QWidget
from pyqtgraph.opengl import shaders
from pyqtgraph.opengl.GLGraphicsItem import GLGraphicsItem
from pyqtgraph.opengl.items.GLMeshItem import DirtyFlag

from derivgui.numeric.geometry import format_number
from derivgui.numeric.surface import (
    PointReport,
    SurfaceGrid,
    SurfaceMesh,
    coolwarm,
    grid_faces,
    slice_along_x,
    slice_along_y,
    surface_mesh,
    tangent_plane_patch,
    to_box,
)
from derivgui.ui.overlays.base import OverlayEntry
from derivgui.ui.overlays.surface import SURFACE_OVERLAYS
from derivgui.ui.tuning import keep_heap_for_llvmpipe

HALF_XY = 5.0  # the x and y ranges map to [-5, 5] in the scene
HALF_Z = 3.0  # the robust height range maps to [-3, 3]
CAMERA = {"distance": 28.0, "elevation": 28.0, "azimuth": -60.0}
COLORS = {
    "point": (0.05, 0.05, 0.05, 1.0),
    "slice_x": (0.10, 0.10, 0.10, 1.0),
    "slice_y": (0.55, 0.05, 0.55, 1.0),
    "tangent": (0.10, 0.70, 0.10, 1.0),
    "secant": (0.84, 0.15, 0.16, 1.0),
    "gradient": (0.0, 0.0, 0.0, 1.0),
    "plane": (0.30, 0.75, 0.30, 0.35),
    "axis": (0.35, 0.35, 0.35, 1.0),
    "outside": (0.90, 0.45, 0.0, 1.0),  # the marker pinned to the box's edge: the point is off the surface
}
# The gradient arrow is drawn at its true length when that is at least ARROW_MIN_PX on the screen
# (for the camera when the point moved) and at most ARROW_MAX scene units (the box's side is
# 2 · HALF_XY); otherwise stretched or shortened to that, and ``gradient_scale`` says by how much.
ARROW_MIN_PX = 40.0
ARROW_MAX = 3.0


# pyqtgraph's "shaded" program lights one side only and darkens a surface seen from above to
# near black; this one lights both sides and keeps the colour map readable.
_SURFACE_SHADER = "derivgui_two_sided"
shaders.ShaderProgram(_SURFACE_SHADER, [
    shaders.VertexShader("""
        uniform mat4 u_mvp;
        uniform mat3 u_normal;
        attribute vec4 a_position;
        attribute vec3 a_normal;
        attribute vec4 a_color;
        varying vec4 v_color;
        varying vec3 v_normal;
        void main() {
            v_normal = normalize(u_normal * a_normal);
            v_color = a_color;
            gl_Position = u_mvp * a_position;
        }
    """),
    shaders.FragmentShader("""
        #ifdef GL_ES
        precision mediump float;
        #endif
        varying vec4 v_color;
        varying vec3 v_normal;
        void main() {
            float p = abs(dot(normalize(v_normal), normalize(vec3(0.3, 0.5, 1.0))));
            gl_FragColor = vec4(v_color.rgb * (0.55 + 0.45 * p), v_color.a);
        }
    """),
])


# Overlay lines are drawn over the surface rather than into it: a tangent line is half under a
# convex surface, and a student must see all of it.
ON_TOP = {GL.GL_DEPTH_TEST: False, GL.GL_BLEND: True, "glBlendFunc": (GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA)}


def _line(color, width: float = 2.0, mode: str = "lines", batch: _LineBatch | None = None) -> gl.GLLinePlotItem:
    kwargs = {"pos": np.zeros((2, 3)), "color": color, "width": width, "antialias": True, "mode": mode}
    item = gl.GLLinePlotItem(**kwargs) if batch is None else _BatchedLine(batch, **kwargs)
    item.setGLOptions(ON_TOP)
    return item


class _LineBatch:
    """Overlay lines drawn together: one upload and one shader set-up for all of them, a draw
    call each (six GLLinePlotItems cost ~1.3 ms a frame, most of it per-item set-up)."""

    def __init__(self) -> None:
        self.lines: list[_BatchedLine] = []
        self._positions: QOpenGLBuffer | None = None
        self._colors: QOpenGLBuffer | None = None

    def paint_from(self, item: _BatchedLine) -> None:
        shown = [line for line in self.lines
                 if line.visible() and line.view() is not None and line.pos is not None and len(line.pos)]
        if not shown or item is not shown[0]:
            return  # the first shown line of the batch draws them all
        positions = np.concatenate([line.pos for line in shown]).astype(np.float32, copy=False)
        colors = np.concatenate([
            line.color if isinstance(line.color, np.ndarray)
            else np.broadcast_to(np.asarray(line.color, np.float32), (len(line.pos), 4))
            for line in shown]).astype(np.float32)
        if self._positions is None:
            self._positions = QOpenGLBuffer(QOpenGLBuffer.VertexBuffer)
            self._colors = QOpenGLBuffer(QOpenGLBuffer.VertexBuffer)
        item.setupGLState()
        program = gl.GLLinePlotItem.getShaderProgram()
        for loc, vbo, data in ((0, self._positions, positions), (1, self._colors, colors)):
            item.upload_vbo(vbo, np.ascontiguousarray(data))
            vbo.bind()
            GL.glVertexAttribPointer(loc, data.shape[1], GL.GL_FLOAT, False, 0, None)
            vbo.release()
            GL.glEnableVertexAttribArray(loc)
        GL.glEnable(GL.GL_LINE_SMOOTH)
        GL.glEnable(GL.GL_BLEND)
        GL.glBlendFuncSeparate(GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA, GL.GL_ONE, GL.GL_ONE_MINUS_SRC_ALPHA)
        GL.glHint(GL.GL_LINE_SMOOTH_HINT, GL.GL_NICEST)
        try:
            with program:
                mvp = np.array(item.mvpMatrix().data(), dtype=np.float32)
                GL.glUniformMatrix4fv(GL.glGetUniformLocation(program, "u_mvp"), 1, False, mvp)
                first = 0
                for line in shown:
                    GL.glLineWidth(line.width)
                    mode = GL.GL_LINE_STRIP if line.mode == "line_strip" else GL.GL_LINES
                    GL.glDrawArrays(mode, first, len(line.pos))
                    first += len(line.pos)
        finally:
            for loc in (0, 1):
                GL.glDisableVertexAttribArray(loc)
            GL.glDisable(GL.GL_LINE_SMOOTH)
            GL.glDisable(GL.GL_BLEND)
            GL.glLineWidth(1.0)


class _BatchedLine(gl.GLLinePlotItem):
    """A GLLinePlotItem (data, width, visibility as usual) that its batch draws."""

    def __init__(self, batch: _LineBatch, **kwargs) -> None:
        self._batch = batch
        batch.lines.append(self)
        super().__init__(**kwargs)

    def paint(self) -> None:
        self._batch.paint_from(self)


LABEL_GAP = 6.0  # pixels between a right-aligned label and its point


@dataclass
class _Label:
    """A text at a scene position (the tick labels and axis titles), or at a fixed place on the
    view (``on_screen``: ``pos`` is its top-left corner in the widget's pixels, the text
    wrapped to ``wrap`` pixels on a light box).

    ``align``: "left", the text starts at the point (on its baseline); "right", it ends
    ``LABEL_GAP`` pixels left of the point, centred on it vertically.
    """

    pos: np.ndarray
    text: str
    font: QFont
    color: QColor
    align: str = "left"
    on_screen: bool = False
    wrap: float = 0.0

    def text_rect(self, at: QPointF, metrics: QFontMetricsF) -> QRectF:
        """Where the text is drawn for the projected point ``at`` (pixels, font ``metrics``)."""
        if self.on_screen:
            box = metrics.boundingRect(QRectF(0, 0, self.wrap, 10000), int(Qt.TextWordWrap), self.text)
            return QRectF(at, box.size())
        width = metrics.horizontalAdvance(self.text)
        if self.align == "right":
            return QRectF(at.x() - LABEL_GAP - width, at.y() - metrics.height() / 2, width, metrics.height())
        return QRectF(at.x(), at.y() - metrics.ascent(), width, metrics.height())


def _draw_label(painter: QPainter, label: _Label, at: QPointF) -> None:
    """Paint ``label`` for its projected point ``at`` with ``painter`` (font set)."""
    rect = label.text_rect(at, QFontMetricsF(painter.font()))
    if label.on_screen:
        painter.fillRect(rect.adjusted(-6, -4, 6, 4), QColor(255, 255, 255, 225))
        painter.drawRect(rect.adjusted(-6, -4, 6, 4))
        painter.drawText(rect, int(Qt.TextWordWrap), label.text)
    else:
        painter.drawText(rect, int(Qt.AlignLeft | Qt.AlignVCenter), label.text)


class _LabelsItem(GLGraphicsItem):
    """Every tick label and axis title, painted in one QPainter pass over the current framebuffer.

    (pyqtgraph's GLTextItem opens a QPainter on the widget per text: 16 painters a frame, and
    only usable inside the widget's own paintGL.)
    """

    def __init__(self) -> None:
        super().__init__()
        self.labels: list[_Label] = []
        self._device: QOpenGLPaintDevice | None = None

    def release_device(self) -> None:
        """Drop the paint device (its context is current and about to go)."""
        self._device = None

    def paint(self) -> None:
        view = self.view()
        if not self.labels or view is None:
            return
        _x, _y, w, h = (int(v) for v in GL.glGetIntegerv(GL.GL_VIEWPORT))
        if w <= 0 or h <= 0:
            return
        context = QOpenGLContext.currentContext()
        if self._device is None or self._device.context() is not context \
                or (self._device.width(), self._device.height()) != (w, h):
            self._device = QOpenGLPaintDevice(w, h)  # it paints with the context current when made
        width, height = max(view.width(), 1), max(view.height(), 1)
        self._device.setDevicePixelRatio(w / width)
        to_pixels = QMatrix4x4()
        to_pixels.viewport(0, height, width, -height)
        flipped = bool(getattr(view, "_flip_y", False))
        project = to_pixels * (_FLIP_Y * self.mvpMatrix() if flipped else self.mvpMatrix())
        self._device.setPaintFlipped(flipped)
        painter = QPainter(self._device)
        try:
            painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
            for label in self.labels:
                painter.setPen(label.color)
                painter.setFont(label.font)
                at = QPointF(*label.pos[:2]) if label.on_screen else project.map(QVector3D(*label.pos)).toPointF()
                _draw_label(painter, label, at)
        finally:
            painter.end()


class _SurfaceItem(gl.GLMeshItem):
    """The surface mesh from ready-made arrays (``surface.SurfaceMesh``, given to ``set_mesh``):
    shared vertices drawn by index, normals from the sampled gradient, 8-bit colours. pyqtgraph's
    own MeshData path would re-index every vertex per face and compute normals on the GUI thread.

    ``opts["meshdata"]`` still holds a MeshData with the vertices and faces, for inspection.
    """

    def __init__(self) -> None:
        self._pending = DirtyFlag(0)
        super().__init__(smooth=True, shader=_SURFACE_SHADER, glOptions="opaque")

    def set_mesh(self, mesh: SurfaceMesh) -> None:
        self.opts["meshdata"] = gl.MeshData(vertexes=mesh.positions, faces=mesh.faces)
        self.vertexes, self.normals, self.colors, self.faces = mesh.positions, mesh.normals, mesh.colors, mesh.faces
        self._pending = DirtyFlag.POSITION | DirtyFlag.NORMAL | DirtyFlag.COLOR | DirtyFlag.FACES
        self.update()

    def meshDataChanged(self) -> None:
        super().meshDataChanged()
        self._pending = DirtyFlag(0)

    def parseMeshData(self) -> DirtyFlag:
        bits, self._pending = self._pending, DirtyFlag(0)
        return bits

    def face_count(self) -> int:
        return 0 if self.faces is None else len(self.faces)

    def paint(self) -> None:
        self.paint_faces(0, None)

    def paint_faces(self, start: int, stop: int | None) -> None:
        """Draw faces ``start`` to ``stop`` (all to the end with None): a surface can be drawn in
        pieces, one per turn of the event loop."""
        if self.faces is None:
            return
        self.setupGLState()
        if bits := self.parseMeshData():
            self.upload_vertex_buffers(bits)
        count = len(self.faces)
        stop = count if stop is None else min(stop, count)
        if stop <= start:
            return
        es2 = QOpenGLContext.currentContext().hasExtension(b"GL_ARB_ES2_compatibility")
        shader = self.shader()
        program = shader.program(es2_compat=es2)
        located = []
        for name, vbo, size, kind, normalized in (
                ("a_position", self.m_vbo_position, 3, GL.GL_FLOAT, False),
                ("a_normal", self.m_vbo_normal, 3, GL.GL_FLOAT, False),
                ("a_color", self.m_vbo_color, 4, GL.GL_UNSIGNED_BYTE, True)):
            loc = GL.glGetAttribLocation(program, name)
            if loc == -1:
                continue
            vbo.bind()
            GL.glVertexAttribPointer(loc, size, kind, normalized, 0, None)
            vbo.release()
            GL.glEnableVertexAttribArray(loc)
            located.append(loc)
        mvp = np.array(self.mvpMatrix().data(), dtype=np.float32)
        normal = np.array(self.modelViewMatrix().normalMatrix().data(), dtype=np.float32)
        try:
            with shader:
                GL.glUniformMatrix4fv(GL.glGetUniformLocation(program, "u_mvp"), 1, False, mvp)
                GL.glUniformMatrix3fv(GL.glGetUniformLocation(program, "u_normal"), 1, False, normal)
                self.m_ibo_faces.bind()
                GL.glDrawElements(GL.GL_TRIANGLES, 3 * (stop - start), GL.GL_UNSIGNED_INT,
                                  ctypes.c_void_p(3 * 4 * start))
                self.m_ibo_faces.release()
        finally:
            for loc in located:
                GL.glDisableVertexAttribArray(loc)


_RENDER_EVENT = QEvent.Type(QEvent.registerEventType())
# A new surface is drawn into the cached frame this many faces per turn of the event loop, so that
# a 200x200 surface (79,202 faces, ~10 ms of llvmpipe vertex work on the GUI thread) never stalls it.
FACES_PER_PIECE = 8192


_FLIP_Y = QMatrix4x4(1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1)


class _Display(QWidget):
    """The picture of a shown ``Plot3DView``: the frames it renders off-screen, read back and
    drawn as an image by this native (raster) child widget lying over it.

    Being native, its repaint is flushed to its own X window: it never makes Qt compose the GL
    view's host (which a repaint of the view itself would, through llvmpipe). Mouse and wheel
    events go on to the view's own handlers, so the camera is driven as in any GLViewWidget.
    """

    def __init__(self, view: Plot3DView) -> None:
        super().__init__(view)
        self.setObjectName("plot3dDisplay")
        self.view = view
        self.image: QImage | None = None
        self.setAttribute(Qt.WA_OpaquePaintEvent)
        self.setAttribute(Qt.WA_NoSystemBackground)
        self.setAttribute(Qt.WA_DontCreateNativeAncestors)  # never a reason to make the view native
        self.setAttribute(Qt.WA_NativeWindow)
        self.setFocusPolicy(Qt.ClickFocus)
        self.setFocusProxy(view)  # arrow keys orbit the camera
        self.setGeometry(view.rect())

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        if self.image is None:
            painter.fillRect(self.rect(), QColor.fromRgbF(*self.view.opts["bgcolor"]))
        else:
            painter.drawImage(0, 0, self.image)
        painter.end()

    def mousePressEvent(self, event) -> None:
        self.view.mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        self.view.mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        self.view.mouseReleaseEvent(event)

    def wheelEvent(self, event) -> None:
        self.view.wheelEvent(event)


class Plot3DView(gl.GLViewWidget):
    """A GLViewWidget that draws a compiled f(x, y) and the overlays at a point."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("plot3d")
        self.setBackgroundColor("w")
        self.setMinimumSize(400, 300)
        self.setCameraPosition(**CAMERA)
        self._value_and_grad = None
        self.grid: SurfaceGrid | None = None
        self.x_range = (-6.0, 6.0)
        self.y_range = (-6.0, 6.0)
        self.z_range = (-1.0, 1.0)
        self.report: PointReport | None = None
        self._deltas = (1.0, 1.0)
        self._slice_keys: tuple = (None, None)  # what the 3D slice lines were computed for
        self._overlay_visible: dict[str, bool] = {}
        # The arrow is ∇f times this: the drawn length over the true one (see ARROW_MIN_PX, ARROW_MAX).
        self.gradient_scale = 1.0
        self.outside_note = ""  # what the view says when (a, b) is off the surface's range, else ""
        self._z_corner = self._leftmost_corner()  # the box's vertical edge with the height axis: (±1, ±1) × HALF_XY
        self._suppressed: set = set()  # overlays hidden because the point is off the surface
        self._plane_drawn = False  # the tangent plane has finite corners

        # The display and the cached frame (see the module's docstring); no display until the view
        # is put in a Surface3DPanel (an export's off-screen view draws itself as before).
        self._display: _Display | None = None
        self._frame_requested = False
        self._present_pending = False
        self._rendering_offscreen = False
        self._covered_repaint = False
        self._flip_y = False  # the off-screen frame is drawn upside down (see _begin_flipped)
        self._frame_size = (0, 0)
        self._pixels: list[np.ndarray] = []
        self._static_version = 0  # bumped whenever a static item (surface, floor, box, labels) changes
        self._static_key = None
        self._static_build: tuple | None = None  # (key, next face, fence) while drawn in pieces
        self._progressive_version = -1  # a static version that may be drawn in pieces (a new surface)
        self._frame_ready = True
        self._static_fbo: QOpenGLFramebufferObject | None = None
        self._frame_fbo: QOpenGLFramebufferObject | None = None

        # Smooth shading from the sampled gradient (``surface.surface_mesh``): no normals computed here.
        self.surface = _SurfaceItem()
        self.surface.setVisible(False)  # an empty mesh item cannot paint
        self.addItem(self.surface)
        self.floor_grid = gl.GLGridItem(color=(0, 0, 0, 40))
        self.floor_grid.setSize(2 * HALF_XY, 2 * HALF_XY)
        self.floor_grid.setSpacing(1, 1)
        self.floor_grid.translate(0, 0, -HALF_Z)
        self.addItem(self.floor_grid)
        self.box = _line(COLORS["axis"], 1.0)
        self.box.setGLOptions("translucent")
        self.addItem(self.box)
        self.labels_item = _LabelsItem()
        self.addItem(self.labels_item)
        self._static_items = (self.surface, self.floor_grid, self.box, self.labels_item)

        self.marker = gl.GLScatterPlotItem(pos=np.zeros((1, 3)), size=12, color=COLORS["point"], pxMode=True)
        self.marker.setGLOptions(ON_TOP)
        lines = _LineBatch()  # drawn in this order, over one another
        self.slice_x = _line(COLORS["slice_x"], 3.0, "line_strip", batch=lines)
        self.slice_y = _line(COLORS["slice_y"], 3.0, "line_strip", batch=lines)
        self.tangent_lines = _line(COLORS["tangent"], 2.5, batch=lines)
        self.secant_lines = _line(COLORS["secant"], 2.5, batch=lines)
        self.drop_line = _line((0.2, 0.2, 0.2, 0.8), 1.0, batch=lines)
        self.gradient_arrow = _line(COLORS["gradient"], 3.0, batch=lines)
        self.secant_points = gl.GLScatterPlotItem(pos=np.zeros((2, 3)), size=8, color=COLORS["secant"], pxMode=True)
        self.secant_points.setGLOptions(ON_TOP)
        # (Its flat colour needs no normals: none are computed when it moves on every step.)
        self.plane = gl.GLMeshItem(color=COLORS["plane"], smooth=False, computeNormals=False, glOptions="translucent")
        self.plane.setVisible(False)
        self.overlays = {
            "gradient": [self.gradient_arrow, self.drop_line],
            "slices": [self.slice_x, self.slice_y],
            "tangent": [self.tangent_lines],
            "secant": [self.secant_lines, self.secant_points],
            "plane": [self.plane],
        }
        # The words over the view when the point is off the surface (drawn over the overlays).
        self.note_item = _LabelsItem()
        self.note_item.setVisible(False)
        for item in (self.plane, self.slice_x, self.slice_y, self.tangent_lines, self.secant_lines,
                     self.secant_points, self.drop_line, self.gradient_arrow, self.marker, self.note_item):
            self.addItem(item)

    @property
    def tick_labels(self) -> list[_Label]:
        """The tick labels and axis titles, for the camera as it is now (see ``_fit_axes_to_camera``)."""
        self._fit_axes_to_camera()
        return self.labels_item.labels

    # -- coordinates ---------------------------------------------------------------------------

    def _to_world(self, x, y, z) -> np.ndarray:
        """Data (x, y, z) → scene coordinates, as an (n, 3) array."""
        (x0, x1), (y0, y1), (z0, z1) = self.x_range, self.y_range, self.z_range
        x, y, z = np.asarray(x, float), np.asarray(y, float), np.asarray(z, float)
        shape = x.shape if x.shape == y.shape == z.shape else np.broadcast_shapes(x.shape, y.shape, z.shape)
        out = np.empty(shape + (3,))
        out[..., 0] = to_box(x, x0, x1, HALF_XY)
        out[..., 1] = to_box(y, y0, y1, HALF_XY)
        out[..., 2] = to_box(z, z0, z1, HALF_Z)
        return out.reshape(-1, 3)

    # -- surface -------------------------------------------------------------------------------

    def set_surface(self, value_and_grad, grid: SurfaceGrid, mesh: SurfaceMesh | None = None) -> None:
        """Show a sampled surface (from ``surface.sample_surface``) of ``value_and_grad``.

        ``mesh`` is ``surface.surface_mesh(grid, HALF_XY, HALF_Z)`` when the caller built it
        already (off the GUI thread); otherwise it is built here.
        """
        if mesh is None or mesh.grid is not grid:
            mesh = surface_mesh(grid, HALF_XY, HALF_Z)
        ranges = ((float(grid.x[0]), float(grid.x[-1])), (float(grid.y[0]), float(grid.y[-1])), mesh.z_range)
        same_frame = ranges == (self.x_range, self.y_range, self.z_range) and self.grid is not None
        self._value_and_grad = value_and_grad
        self.grid = grid
        self.x_range, self.y_range, self.z_range = ranges
        self.surface.set_mesh(mesh)
        self.surface.setVisible(len(mesh.faces) > 0)
        self._static_version += 1
        if not same_frame:  # the same box and ticks (a refinement of the same surface): keep them
            self._draw_box_and_ticks()
        self._progressive_version = self._static_version
        if self.report is not None:
            self.set_point(self.report, *self._deltas)

    def _draw_box_and_ticks(self) -> None:
        """The floor's square, the height axis and every tick label and axis title.

        The height axis stands on the corner of the box that the camera sees leftmost, with its
        labels to its left: outside the box's outline on the screen, so the surface is never
        behind them (at the back corner they were drawn over a surface rising behind it).
        """
        h, z = HALF_XY, HALF_Z
        cx, cy = self._z_corner[0] * h, self._z_corner[1] * h
        corners = [(-h, -h, -z), (h, -h, -z), (h, h, -z), (-h, h, -z)]
        segments = []
        for i in range(4):
            segments += [corners[i], corners[(i + 1) % 4]]
        segments += [(cx, cy, -z), (cx, cy, z)]  # the height axis
        self.box.setData(pos=np.array(segments, dtype=float))
        labels = self.labels_item.labels
        labels.clear()
        self._static_version += 1
        self.labels_item.update()
        font = QFont()
        font.setPointSize(9)
        title_font = QFont()
        title_font.setPointSize(12)
        title_font.setBold(True)
        black = QColor(20, 20, 20)
        for value in _nice_ticks(*self.x_range):
            pos = self._to_world(value, self.y_range[0], self.z_range[0])[0] + (0, -0.6, 0)
            self._add_text(pos, _tick_text(value), font, black)
        for value in _nice_ticks(*self.y_range):
            pos = self._to_world(self.x_range[1], value, self.z_range[0])[0] + (0.5, 0, 0)
            self._add_text(pos, _tick_text(value), font, black)
        z_ticks = _nice_ticks(*self.z_range)
        for value in z_ticks:
            pos = (cx, cy, to_box(np.array(value), *self.z_range, HALF_Z))
            self._add_text(pos, _tick_text(value), font, black, align="right")
        self._add_text((0, -h - 1.8, -z), "x", title_font, black)
        self._add_text((h + 1.8, 0, -z), "y", title_font, black)
        self._add_text((cx, cy, z + 0.7), "f(x, y)", title_font, black, align="right")

    def _add_text(self, pos, text: str, font: QFont, color: QColor, align: str = "left") -> None:
        self.labels_item.labels.append(_Label(np.asarray(pos, float), text, font, color, align))

    def _leftmost_corner(self) -> tuple[int, int]:
        """The floor corner (±1, ±1) that the camera sees furthest left."""
        azimuth = self.opts.get("azimuth")
        if azimuth is not None:
            rx, ry = -np.sin(np.radians(azimuth)), np.cos(np.radians(azimuth))  # the screen's right, on the floor
        else:  # (a quaternion camera)
            at, centre = self.cameraPosition(), self.opts["center"]
            rx, ry = -(at.y() - centre.y()), at.x() - centre.x()
        return (-1 if rx >= 0 else 1), (-1 if ry >= 0 else 1)

    def _fit_axes_to_camera(self) -> None:
        """Move the height axis to the leftmost corner when the camera has turned."""
        corner = self._leftmost_corner()
        if corner != self._z_corner:
            self._z_corner = corner
            if self.grid is not None:
                self._draw_box_and_ticks()

    def paint(self, **kwargs) -> None:
        """(GLViewWidget's drawing for its own framebuffer and ``renderToArray``.)"""
        self._fit_axes_to_camera()
        super().paint(**kwargs)

    # -- the point -----------------------------------------------------------------------------

    def set_point(self, report: PointReport, delta_a: float, delta_b: float) -> None:
        """Move every overlay to the point (a, b); the camera stays where the user put it."""
        self.report = report
        self._deltas = (delta_a, delta_b)
        if self._value_and_grad is None:
            return
        a, b, fz = report.a, report.b, report.f
        finite = np.isfinite(fz)
        self._show_outside(a, b)
        if self.outside_note:  # pinned to the box, in the warning colour
            (x0, x1), (y0, y1), (z0, z1) = self.x_range, self.y_range, self.z_range
            point = self._to_world(min(max(a, x0), x1), min(max(b, y0), y1), min(max(fz, z0), z1) if finite else z0)
            self.marker.setData(pos=point, color=COLORS["outside"])
        else:
            point = self._to_world(a, b, fz if finite else self.z_range[0])
            self.marker.setData(pos=point, color=COLORS["point"])
        floor = self._to_world(a, b, self.z_range[0])
        self.drop_line.setData(pos=np.vstack([point, floor]))

        span_x = self.x_range[1] - self.x_range[0]
        span_y = self.y_range[1] - self.y_range[0]
        # Gradient arrow on the floor under the point, between ARROW_MIN and ARROW_MAX long (scene units).
        gx, gy = report.grad_x, report.grad_y
        if np.isfinite(gx) and np.isfinite(gy) and (gx or gy):
            self.gradient_scale = self._arrow_scale(floor, gx * 2 * HALF_XY / span_x, gy * 2 * HALF_XY / span_y)
            tip = np.array([a + gx * self.gradient_scale, b + gy * self.gradient_scale])
            self.gradient_arrow.setData(pos=self._arrow(np.array([a, b]), tip))
        else:
            self.gradient_scale = 1.0
            self.gradient_arrow.setData(pos=np.zeros((2, 3)))

        # The two slices through the point, lifted a hair above the surface so they are not hidden.
        # (Each depends on one coordinate: a step of a leaves the slice along x where it is.)
        lift = (self.z_range[1] - self.z_range[0]) * 0.004
        frame = (self._value_and_grad, self.x_range, self.y_range, self.z_range)
        if self._slice_keys[0] != (frame, b):
            xs = np.linspace(*self.x_range, 200)
            zx, _ = slice_along_x(self._value_and_grad, b)(xs)
            self.slice_x.setData(pos=self._to_world(xs, b, _clip_nan(zx, self.z_range) + lift))
        if self._slice_keys[1] != (frame, a):
            ys = np.linspace(*self.y_range, 200)
            zy, _ = slice_along_y(self._value_and_grad, a)(ys)
            self.slice_y.setData(pos=self._to_world(a, ys, _clip_nan(zy, self.z_range) + lift))
        self._slice_keys = ((frame, b), (frame, a))

        # Tangent lines (slopes ∂f/∂x, ∂f/∂y) and the secants with steps Δa, Δb, over the same spans.
        hx, hy = 0.22 * span_x, 0.22 * span_y
        rx, ry = report.along_x, report.along_y
        tangents = [
            *self._segment(a, b, fz, rx.tangent_slope, hx, "x"),
            *self._segment(a, b, fz, ry.tangent_slope, hy, "y"),
        ]
        self.tangent_lines.setData(pos=np.array(tangents))
        hx_s = max(hx, abs(delta_a) * 1.1)
        hy_s = max(hy, abs(delta_b) * 1.1)
        secants = [
            *self._segment(a, b, fz, _finite_or_zero(rx.secant_slope), hx_s, "x"),
            *self._segment(a, b, fz, _finite_or_zero(ry.secant_slope), hy_s, "y"),
        ]
        self.secant_lines.setData(pos=np.array(secants))
        self.secant_points.setData(pos=np.vstack([
            self._to_world(a + delta_a, b, rx.f_a_delta), self._to_world(a, b + delta_b, ry.f_a_delta)]))

        xs_p, ys_p, zp = tangent_plane_patch(report, 0.18 * span_x, 0.18 * span_y, n=2)
        if np.isfinite(zp).all():
            vertices = self._to_world(xs_p[:, None], ys_p[None, :], zp)
            self.plane.setMeshData(vertexes=vertices.astype(np.float32), faces=grid_faces(2, 2))
        self._plane_drawn = bool(np.isfinite(zp).all())
        self._apply_visibility()

    def _show_outside(self, a: float, b: float) -> None:
        """Off the surface's range, the point is said to be (a note over the view) and the
        overlays at it, which would float outside the box, are hidden."""
        (x0, x1), (y0, y1) = self.x_range, self.y_range
        off_x, off_y = not x0 <= a <= x1, not y0 <= b <= y1
        note = ""
        if off_x or off_y:
            note = (f"(a, b) = ({format_number(a, 4)}, {format_number(b, 4)}) is outside the surface range "
                    f"x ∈ [{format_number(x0, 4)}, {format_number(x1, 4)}], "
                    f"y ∈ [{format_number(y0, 4)}, {format_number(y1, 4)}]: its marker (orange) is pinned to "
                    "the box's edge. Move the point or widen the range.")
        point_items = {self.tangent_lines, self.secant_lines, self.secant_points, self.drop_line,
                       self.gradient_arrow, self.plane}
        self._suppressed -= point_items | {self.slice_x, self.slice_y}
        if note:
            self._suppressed |= point_items
            if off_y:
                self._suppressed.add(self.slice_x)  # the slice y = b lies off the box
            if off_x:
                self._suppressed.add(self.slice_y)
        if note != self.outside_note:
            self.outside_note = note
            font = QFont()
            font.setPointSize(10)
            width = max(self.width() - 40, 200)
            self.note_item.labels[:] = [_Label(np.array([14.0, 10.0]), note, font, QColor(150, 60, 0),
                                               on_screen=True, wrap=width)] if note else []
            self.note_item.setVisible(bool(note))

    def _apply_visibility(self) -> None:
        """Each overlay shown as the user's toggles say, unless it is hidden for the point."""
        for name, items in self.overlays.items():
            shown = self._overlay_visible.get(name, True)
            for item in items:
                visible = shown and item not in self._suppressed and (item is not self.plane or self._plane_drawn)
                if item.visible() != visible:
                    item.setVisible(visible)

    def _arrow_scale(self, start: np.ndarray, dx: float, dy: float) -> float:
        """How much to stretch the arrow from ``start`` (scene) along (dx, dy) (scene units at its
        true length) so that it is at least ARROW_MIN_PX long on the screen and at most ARROW_MAX
        long in the scene: 1 when it already is."""
        length = float(np.hypot(dx, dy))
        if length > ARROW_MAX:
            return ARROW_MAX / length
        pixels = self._pixels_per_unit(start[0], (dx / length, dy / length, 0.0)) * length
        if pixels == 0:  # (no view to measure yet: a tenth of the box)
            return max(1.0, 0.1 * 2 * HALF_XY / length)
        if pixels >= ARROW_MIN_PX:
            return 1.0
        return min(ARROW_MIN_PX / pixels, ARROW_MAX / length)

    def _pixels_per_unit(self, start, direction) -> float:
        """The screen length in pixels of one scene unit from ``start`` along ``direction``, for
        the camera as it is (0 when the view has no size yet or it lies behind the camera)."""
        width, height = self.width(), self.height()
        if width <= 0 or height <= 0:
            return 0.0
        region = (0, 0, width, height)
        matrix = self.projectionMatrix(region, region) * self.viewMatrix()
        ends = []
        for point in (np.asarray(start, float), np.asarray(start, float) + direction):
            clip = matrix.map(QVector4D(float(point[0]), float(point[1]), float(point[2]), 1.0))
            if clip.w() <= 1e-9:
                return 0.0
            ends.append((clip.x() / clip.w() * width / 2, clip.y() / clip.w() * height / 2))
        return float(np.hypot(ends[1][0] - ends[0][0], ends[1][1] - ends[0][1]))

    def _segment(self, a, b, fz, slope, half, axis: str) -> list:
        """World end points of the line through (a, b, f) with ``slope`` along ``axis`` ("x" or "y")."""
        t = np.array([-half, half])
        if axis == "x":
            return list(self._to_world(a + t, b, fz + slope * t))
        return list(self._to_world(a, b + t, fz + slope * t))

    def _arrow(self, start: np.ndarray, tip: np.ndarray) -> np.ndarray:
        """Line pairs for an arrow on the floor from ``start`` to ``tip`` (data x, y)."""
        z0 = self.z_range[0]
        s = self._to_world(start[0], start[1], z0)[0]
        e = self._to_world(tip[0], tip[1], z0)[0]
        d = e - s
        length = np.hypot(d[0], d[1])
        if length == 0:
            return np.vstack([s, e])
        u = d / length
        normal = np.array([-u[1], u[0], 0.0])
        head = min(0.6, 0.35 * length)
        left = e - u * head + normal * head * 0.5
        right = e - u * head - normal * head * 0.5
        return np.vstack([s, e, e, left, e, right])

    # -- visibility, camera, images ------------------------------------------------------------

    def set_overlay_visibility(self, **visible: bool) -> None:
        """Show or hide overlays by name: gradient, slices, tangent, secant, plane."""
        self._overlay_visible = {**self._overlay_visible, **visible}
        self._apply_visibility()

    def set_overlays(self, visible: Mapping[str, bool]) -> None:
        """``set_overlay_visibility`` from a dict; names of overlays it does not draw are ignored."""
        self.set_overlay_visibility(**{name: bool(on) for name, on in visible.items() if name in self.overlays})

    @staticmethod
    def overlay_entries() -> tuple[OverlayEntry, ...]:
        """Its overlays as the window offers them."""
        return SURFACE_OVERLAYS

    def reset_camera(self) -> None:
        self.opts["center"] = pg.Vector(0, 0, 0)
        self.setCameraPosition(**CAMERA)

    # -- drawing on screen ---------------------------------------------------------------------

    def attach_display(self) -> None:
        """Show frames through a native raster child (Surface3DPanel does this; see the module's
        docstring). Without it the view draws itself, as any GLViewWidget."""
        if self._display is None:
            self._display = _Display(self)

    def update(self, *args) -> None:
        """Items and camera changes ask for a frame here: one posted event however many changed.

        With a display, the frame is drawn off-screen and shown by the display; the widget
        itself is covered, and repainting it would compose its native host through OpenGL.
        """
        if not args and getattr(self, "_display", None) is not None:  # (GLViewMixin.__init__ calls it early)
            if not self._frame_requested:
                self._frame_requested = True
                QCoreApplication.postEvent(self, QEvent(_RENDER_EVENT))
        else:
            super().update(*args)

    def _request_frame(self) -> None:
        if not sip.isdeleted(self):
            self.update()

    def event(self, event) -> bool:
        if event.type() == _RENDER_EVENT:
            self._frame_requested = False
            self._render_frame()
            return True
        return super().event(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        for note in self.note_item.labels:  # wrapped to the view's width
            note.wrap = max(self.width() - 40, 200)
        if self._display is not None:
            self._display.setGeometry(self.rect())
            self.update()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._display is not None:
            self.update()

    def initializeGL(self) -> None:
        super().initializeGL()
        # Qt's recipe: free what lives in this context while it still exists (a context is
        # replaced when the widget moves to another window, and destroyed with the widget).
        self.context().aboutToBeDestroyed.connect(self._release_gl, Qt.DirectConnection)
        if self._display is not None:
            self.update()  # a frame asked for before the context existed

    def _release_gl(self) -> None:
        self.makeCurrent()
        self.release_frame_buffers()
        self.labels_item.release_device()
        self.doneCurrent()

    def paintEvent(self, event) -> None:
        # Qt repaints the widget itself (shown, resized): under the display, a clear will do.
        self._covered_repaint = self._display is not None
        try:
            super().paintEvent(event)
        finally:
            self._covered_repaint = False

    def paintGL(self) -> None:
        if self._rendering_offscreen:
            self._paint_cached_frame()
        elif self._covered_repaint:
            GL.glClearColor(*self.opts["bgcolor"])
            GL.glClear(GL.GL_DEPTH_BUFFER_BIT | GL.GL_COLOR_BUFFER_BIT)
        else:
            super().paintGL()  # the widget's own framebuffer: a grab, or no display

    def _render_frame(self) -> None:
        if sip.isdeleted(self) or not self.isVisible() or not self.isValid() or self.width() <= 0 \
                or self.height() <= 0:
            return  # showEvent and initializeGL ask again
        self.makeCurrent()
        keep_heap_for_llvmpipe()  # process-wide, once: glibc's M_TOP_PAD (see tuning)
        ratio = self.devicePixelRatioF()
        ready = self.render_offscreen(round(self.width() * ratio), round(self.height() * ratio))
        self.doneCurrent()
        if not ready:  # a new surface is being drawn in pieces: the display keeps the last frame
            QTimer.singleShot(1, self._request_frame)
        elif not self._present_pending:
            # Shown from the next turn of the event loop: the widgets' paints of this step (the
            # slice plots, the readouts) run meanwhile, while llvmpipe rasterizes the frame.
            self._present_pending = True
            QTimer.singleShot(0, self._present)

    def _present(self) -> None:
        if sip.isdeleted(self):
            return  # (a zero-timer of a view deleted meanwhile)
        self._present_pending = False
        frame, display = self._frame_fbo, self._display
        if frame is None or display is None or self._static_key is None or not self.isValid():
            return
        w, h = frame.width(), frame.height()
        # Two buffers: the display's image keeps pointing at the one it shows.
        self._pixels = self._pixels[::-1] if len(self._pixels) == 2 else []
        if not self._pixels or self._pixels[0].shape != (h, w, 4):
            self._pixels = [np.empty((h, w, 4), np.uint8), np.empty((h, w, 4), np.uint8)]
        pixels = self._pixels[0]
        self.makeCurrent()
        frame.bind()
        # The frame is drawn upside down (see _paint_cached_frame): rows come back top row first.
        GL.glReadPixels(0, 0, w, h, GL.GL_BGRA, GL.GL_UNSIGNED_BYTE, pixels)
        frame.release()
        self.doneCurrent()
        image = QImage(pixels.data, w, h, 4 * w, QImage.Format_RGB32)
        image.setDevicePixelRatio(w / max(self.width(), 1))
        display.image = image
        display.repaint()

    def render_offscreen(self, width: int, height: int) -> bool:
        """Draw one frame into the cached framebuffers (``width`` × ``height`` device px), the
        context current. False when only a piece of a new surface was drawn: not ready to show.
        """
        self._frame_size = (width, height)
        self._frame_ready = True
        self._rendering_offscreen = True
        try:
            self.paintGL()
        finally:
            self._rendering_offscreen = False
        return self._frame_ready

    def _camera_key(self) -> tuple:
        o = self.opts
        c, q = o["center"], o.get("rotation")
        rotation = None if q is None else (q.scalar(), q.x(), q.y(), q.z())
        return (c.x(), c.y(), c.z(), o["distance"], o["fov"], o.get("elevation"), o.get("azimuth"), rotation,
                tuple(o["bgcolor"]))

    def _paint_cached_frame(self) -> None:
        """Static items from the cached framebuffer (redrawn only when they or the camera changed),
        the overlays drawn over a copy of it (colour and depth: the tangent plane is depth-tested
        against the surface), and the result copied to the window."""
        w, h = self._frame_size
        if w <= 0 or h <= 0:
            return
        if self._static_fbo is None or self._static_fbo.size().width() != w or self._static_fbo.size().height() != h:
            self.release_frame_buffers()
            # (PyQt's default internal format 0 makes an incomplete framebuffer: name RGBA8.)
            args = (w, h, QOpenGLFramebufferObject.CombinedDepthStencil, GL.GL_TEXTURE_2D, GL.GL_RGBA8)
            self._static_fbo = QOpenGLFramebufferObject(*args)
            self._frame_fbo = QOpenGLFramebufferObject(*args)
            self._static_key = None
        region = (0, 0, self.width(), self.height())
        self._fit_axes_to_camera()
        key = (w, h, region, self._camera_key(), self._static_version)
        if key != self._static_key and not self._draw_static(key, region):
            self._frame_ready = False
            return
        rect = QRect(0, 0, w, h)
        # Depth with stencil: the packed depth-stencil buffer is then copied as it is (0.1 ms on
        # llvmpipe; depth alone takes a shader pass, 1.7 ms).
        everything = GL.GL_COLOR_BUFFER_BIT | GL.GL_DEPTH_BUFFER_BIT | GL.GL_STENCIL_BUFFER_BIT
        QOpenGLFramebufferObject.blitFramebuffer(self._frame_fbo, rect, self._static_fbo, rect, everything,
                                                 GL.GL_NEAREST)
        self._frame_fbo.bind()
        self._begin_flipped(w, h, region)
        try:
            self._draw_items([item for item in self.items if item not in self._static_items])
        finally:
            self._flip_y = False
        self._frame_fbo.release()
        GL.glFlush()  # llvmpipe draws the overlays on its own threads while the GUI thread goes on

    def _begin_flipped(self, w: int, h: int, region: tuple) -> None:
        """Viewport and matrices for the off-screen frame, upside down: GL's rows run bottom to
        top, and the read-back image then comes out top row first, ready to draw."""
        GL.glViewport(0, 0, w, h)
        self.setProjection(region, region)
        self._projectionStack[-1] = _FLIP_Y * self._projectionStack[-1]
        self.setModelview()
        self._flip_y = True

    def _draw_static(self, key: tuple, region: tuple) -> bool:
        """Draw the static items into the cached frame; True once it is complete.

        A new surface seen by an unchanged camera is drawn ``FACES_PER_PIECE`` faces per call,
        each piece once llvmpipe has rasterized the one before (a fence), and the frame is used
        once the last is rasterized: the GUI thread never waits for the rasterizer, and the
        screen shows the previous frame meanwhile. Anything else (the camera moved, the size
        changed) is drawn at once.
        """
        w, h = key[0], key[1]
        build = self._static_build
        if build is not None and build[0] == key and build[2] is not None:
            if GL.glClientWaitSync(build[2], 0, 0) == GL.GL_TIMEOUT_EXPIRED:
                return False  # the last piece is still being rasterized
            GL.glDeleteSync(build[2])
            build = self._static_build = (key, build[1], None)
            if build[1] is None:  # every piece drawn and rasterized
                self._static_build = None
                self._static_key = key
                return True
        old = self._static_key
        in_pieces = (self._static_version == self._progressive_version and old is not None
                     and old[:-1] == key[:-1])
        self._static_fbo.bind()
        self._begin_flipped(w, h, region)
        try:
            done = self._draw_static_items(key, build, in_pieces)
        finally:
            self._flip_y = False
        if not in_pieces:
            self._static_build = None
            self._static_key = key
            return True
        # Drawn in pieces: wait (without blocking) for the rasterizer before the next step.
        self._static_build = (key, None if done else self._static_build[1],
                              GL.glFenceSync(GL.GL_SYNC_GPU_COMMANDS_COMPLETE, 0))
        GL.glFlush()
        self._static_fbo.release()
        return False

    def _draw_static_items(self, key: tuple, build: tuple | None, in_pieces: bool) -> bool:
        """Draw the next piece (or all) of the static items; True when the last is drawn."""
        if build is None or build[0] != key:
            self._drop_fence()
            GL.glClearColor(*self.opts["bgcolor"])
            GL.glClear(GL.GL_DEPTH_BUFFER_BIT | GL.GL_COLOR_BUFFER_BIT)
            build = (key, 0, None)
        start = build[1]
        total = self.surface.face_count() if self.surface.visible() else 0
        stop = min(start + FACES_PER_PIECE, total) if in_pieces else total
        if stop > start:
            self._modelViewStack.append(self.currentModelView() * self.surface.transform())
            try:
                self.surface.paint_faces(start, stop)
            finally:
                self._modelViewStack.pop()
        self._static_build = (key, stop, None)
        if stop < total:
            return False
        self._draw_items([item for item in self._static_items if item is not self.surface])
        return True

    def _drop_fence(self) -> None:
        build = self._static_build
        if build is not None and build[2] is not None:
            GL.glDeleteSync(build[2])
            self._static_build = (build[0], build[1], None)

    def _draw_items(self, items, parent=None) -> None:
        """``drawItemTree`` for a subset of the top-level items (children included), in scene order."""
        for item in sorted(items, key=lambda i: i.depthValue()):
            if not item.visible():
                continue
            if item is parent:
                try:
                    item.paint()
                except Exception:  # as drawItemTree: one broken item must not blank the view
                    from pyqtgraph import debug

                    debug.printExc()
                continue
            self._modelViewStack.append(self.currentModelView() * item.transform())
            try:
                self._draw_items([*item.childItems(), item], parent=item)
            finally:
                self._modelViewStack.pop()

    def release_frame_buffers(self) -> None:
        """Drop the cached framebuffers (their context is current, or about to be destroyed)."""
        self._drop_fence()
        self._static_fbo = self._frame_fbo = None
        self._static_key = self._static_build = None

    def render_image(self, width: int, height: int) -> QImage:
        """The view rendered off-screen at exactly ``width`` × ``height`` pixels, labels included.

        ``renderToArray`` draws tiles of a larger picture, which the labels' QPainter does not
        follow, so the labels are hidden while rendering and painted onto the image after.
        """
        note_shown = self.note_item.visible()
        self.labels_item.setVisible(False)
        self.note_item.setVisible(False)
        try:
            bgra = self.renderToArray((width, height))  # (height, width, 4), BGRA, top row first
        finally:
            self.labels_item.setVisible(True)
            self.note_item.setVisible(note_shown)
        rgba = np.ascontiguousarray(bgra[..., [2, 1, 0, 3]])
        rgba[..., 3] = 255
        image = QImage(rgba.data, width, height, 4 * width, QImage.Format_RGBA8888).copy()
        self._paint_labels(image)
        return image

    def _paint_labels(self, image: QImage) -> None:
        w, h = image.width(), image.height()
        to_pixels = QMatrix4x4()
        to_pixels.viewport(0, h, w, -h)
        mvp = to_pixels * self.projectionMatrix((0, 0, w, h), (0, 0, w, h)) * self.viewMatrix()
        scale = h / max(self.height(), 1)
        painter = QPainter(image)
        painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        notes = self.note_item.labels if self.note_item.visible() else []
        for item in [*self.tick_labels, *notes]:
            font = QFont(item.font)
            font.setPointSizeF(font.pointSizeF() * scale)
            painter.setFont(font)
            painter.setPen(item.color)
            if item.on_screen:
                item = _Label(item.pos * scale, item.text, font, item.color, on_screen=True, wrap=item.wrap * scale)
                point = QPointF(*item.pos[:2])
            else:
                point = mvp.map(QVector3D(*item.pos)).toPointF()
            _draw_label(painter, item, point)
        painter.end()


def _finite_or_zero(value: float) -> float:
    return value if np.isfinite(value) else 0.0


def _clip_nan(z: np.ndarray, z_range) -> np.ndarray:
    """Slice heights with values beyond the box clipped (NaN stays NaN: a gap in the line)."""
    lo, hi = z_range
    margin = 0.15 * (hi - lo)
    return np.where(np.isfinite(z), np.clip(z, lo - margin, hi + margin), np.nan)


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    span = hi - lo
    if not np.isfinite(span) or span <= 0:
        return [lo]
    raw = span / count
    magnitude = 10 ** np.floor(np.log10(raw))
    step = min((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw), default=raw)
    first = np.ceil(lo / step) * step
    ticks = np.arange(first, hi + step * 1e-9, step)
    return [float(t) for t in ticks]


def _tick_text(value: float) -> str:
    if abs(value) < 1e-12:
        return "0"
    return format_number(value, 4)


class ColorBar(QWidget):
    """A vertical coolwarm bar with the height range it stands for."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("colorBar")
        self.setFixedWidth(78)
        self.z_range = (-1.0, 1.0)

    def set_range(self, lo: float, hi: float) -> None:
        self.z_range = (lo, hi)
        self.update()

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.white)
        top, bottom = 30, self.height() - 30
        bar = self.rect().adjusted(8, top, -self.width() + 26, -30)
        gradient = QLinearGradient(0, bottom, 0, top)
        for t in np.linspace(0, 1, 9):
            r, g, b, _ = coolwarm(np.array(t))
            gradient.setColorAt(float(t), QColor.fromRgbF(float(r), float(g), float(b)))
        painter.fillRect(bar, gradient)
        painter.setPen(QColor(30, 30, 30))
        painter.drawRect(bar)
        lo, hi = self.z_range
        for value in _nice_ticks(lo, hi, 6):
            y = bottom - (value - lo) / (hi - lo) * (bottom - top)
            painter.drawLine(bar.right(), int(y), bar.right() + 4, int(y))
            painter.drawText(bar.right() + 7, int(y) + 4, _tick_text(value))
        painter.drawText(4, 18, "f(x, y)")
        painter.end()


class Surface3DPanel(QWidget):
    """The 3D view with its colour bar beside it.

    The view sits in a native host widget: a QOpenGLWidget makes Qt compose its native parent
    window through OpenGL on every repaint, and this way that is the host (repainted only when
    the view is) rather than the whole main window (repainted for every readout label).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = Plot3DView()
        self.view.attach_display()
        self.color_bar = ColorBar()
        self.host = QWidget()
        self.host.setObjectName("plot3dHost")
        host_layout = QHBoxLayout(self.host)
        host_layout.setContentsMargins(0, 0, 0, 0)
        host_layout.addWidget(self.view)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.host, 1)
        layout.addWidget(self.color_bar)

    def showEvent(self, event) -> None:
        # Made native only now, inside its window: a native widget without a parent window would
        # become a top level, and its GL view would lose its context when moved into the window.
        if not self.host.testAttribute(Qt.WA_NativeWindow):
            # Otherwise every sibling up the tree would be made native too.
            QCoreApplication.setAttribute(Qt.AA_DontCreateNativeWidgetSiblings)
            self.host.setAttribute(Qt.WA_DontCreateNativeAncestors)
            self.host.setAttribute(Qt.WA_NativeWindow)
        super().showEvent(event)

    def set_surface(self, value_and_grad, grid: SurfaceGrid, mesh: SurfaceMesh | None = None) -> None:
        self.view.set_surface(value_and_grad, grid, mesh)
        self.color_bar.set_range(*self.view.z_range)
