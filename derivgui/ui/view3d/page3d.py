"""The two-variable page: the 3D surface, the linked slice plots and the gradient along a line."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyqtgraph as pg
from PyQt5 import sip
from PyQt5.QtCore import QCoreApplication, QEvent, Qt, QTimer, pyqtSignal
from PyQt5.QtGui import QFont, QFontMetrics
from PyQt5.QtWidgets import QSplitter, QVBoxLayout, QWidget

from derivgui.numeric.geometry import range_still_fits, robust_y_range
from derivgui.numeric.surface import (
    PointReport,
    gradient_along_line,
    sample_surface,
    slice_along_x,
    slice_along_y,
    surface_mesh,
)
from derivgui.ui.overlays import OverlayEntry
from derivgui.ui.static_layer import LayeredPlotWidget
from derivgui.ui.tuning import shorten_switch_interval
from derivgui.ui.view2d.plot2d import (
    SETTLE_MS,
    Plot2DView,
    add_auto_legend,
    cache_as_pixmaps,
    ink_of,
    keep_axis_widths,
    paint_viewport_opaquely,
)
from derivgui.ui.view3d.plot3d import HALF_XY, HALF_Z, Surface3DPanel

DRAFT_RESOLUTION = 100  # while ranges or the expression change
IDLE_RESOLUTION = 200  # once things are still
IDLE_DELAY_MS = 250
JOB_SPACING_MS = 12  # between jobs of a new range or function: their paints come in between
_JOB_EVENT = QEvent.Type(QEvent.registerEventType())
# The gradient plot's title, the longest that fits its width (the full one is its tooltip).
GRADIENT_TITLES = ("∇f along the diagonal (a + t, b + t)", "∇f along (a + t, b + t)", "∇f(a + t, b + t)",
                   "∇f(a+t, b+t)", "∇f")


class SurfacePage(QWidget):
    """Surface on top; below it, the slices x ↦ f(x, b) and y ↦ f(a, y) and the notebook's
    gradient-along-the-diagonal plot, all following the same point."""

    _refined = pyqtSignal(object)  # from the worker thread: (generation, function, resolution, grid, mesh)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.surface = Surface3DPanel()
        self.view = self.surface.view
        # (A step of a changes the slice f(a, y), one of b the slice f(x, b): their curves are not static.
        # The secant and tangent are red and dashed green as everywhere, and the panel's hint says so.)
        # (Small plots: the legends name the curves briefly, the labels are smaller; the values are
        # named with both coordinates, as the readouts name them.)
        self.slice_x = Plot2DView(object_name="sliceXPlot", variable="x", point="a", function="f(x, b)",
                                  derivative="∂f/∂x", cache_static=True, static_curves=False, lines_in_legend=False,
                                  derivative_legend="∂f/∂x", values=("f(a, b)", "f(a + Δa, b)"), label_size=9)
        self.slice_y = Plot2DView(object_name="sliceYPlot", variable="y", point="b", function="f(a, y)",
                                  derivative="∂f/∂y", cache_static=True, static_curves=False, lines_in_legend=False,
                                  derivative_legend="∂f/∂y", values=("f(a, b)", "f(a, b + Δb)"), label_size=9)
        self.gradient_line = LayeredPlotWidget(background="w")
        self.gradient_line.setObjectName("gradientLinePlot")
        item = self.gradient_line.getPlotItem()
        item.setTitle(GRADIENT_TITLES[0], color="k", size="10pt")
        # A title wider than the plot would widen the plot past its widget (the layout keeps the
        # title's minimum width): it is fitted to the width instead (``_fit_gradient_title``).
        item.titleLabel.item.setToolTip(GRADIENT_TITLES[0])
        item.setLabel("bottom", "t")
        item.showGrid(x=True, y=True, alpha=0.15)
        keep_axis_widths(item)
        self.gradient_legend = add_auto_legend(item, margin=6, labelTextColor="k",
                                               brush=pg.mkBrush(255, 255, 255, 220))
        # Plain curve items: a PlotDataItem's setData costs ~0.3 ms of generality, on every step.
        self.grad_x_curve = pg.PlotCurveItem(name="∂f/∂x", pen=pg.mkPen("#1f77b4", width=2), connect="finite")
        self.grad_y_curve = pg.PlotCurveItem(name="∂f/∂y", pen=pg.mkPen("#9467bd", width=2), connect="finite")
        item.addItem(self.grad_x_curve)
        item.addItem(self.grad_y_curve)
        zero = pg.InfiniteLine(pos=0, angle=90, pen=pg.mkPen("#888", style=Qt.DashLine))
        item.addItem(zero)
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
        self._branch_changes = None
        self.x_range = (-6.0, 6.0)
        self.y_range = (-6.0, 6.0)
        self.resolution = 0
        self._slices_framed = False  # the slice plots are framed once per function, then left to the user
        self._slice_x_at: float | None = None  # the b whose slice x ↦ f(x, b) is drawn
        self._slice_y_at: float | None = None  # the a whose slice y ↦ f(a, y) is drawn
        self._framing: list[str] = []  # plots still to be framed for a new function, one per turn
        self.report: PointReport | None = None
        self._jobs: deque = deque()  # work of a new range or function, one job per turn (see _queue_job)
        self._job_posted = False
        self._gradient_x_range: tuple[float, float] | None = None
        self._gradient_y_range: tuple[float, float] | None = None
        self.gradient_line.getPlotItem().getViewBox().disableAutoRange()
        # What does not move with the point is drawn once and then copied: axes with their grid
        # lines, the title and the zero line as the view's background, the legend as a pixmap.
        view_box = item.getViewBox()
        self.gradient_line.set_static_items([item.getAxis("left"), item.getAxis("bottom"), item.titleLabel, zero],
                                            changes=[view_box.sigTransformChanged, view_box.sigResized])
        cache_as_pixmaps(self.gradient_line, [item.legend])
        paint_viewport_opaquely(self.gradient_line)
        self.gradient_line.installEventFilter(self)  # its resizes fit the title
        # The gradient plot's legend moves to the corner its new curves leave free once the point rests.
        self._gradient_legend_timer = QTimer(self)
        self._gradient_legend_timer.setSingleShot(True)
        self._gradient_legend_timer.setInterval(SETTLE_MS)
        self._gradient_legend_timer.timeout.connect(self._place_gradient_legend)
        self._refine_timer = QTimer(self)
        self._refine_timer.setSingleShot(True)
        self._refine_timer.setInterval(IDLE_DELAY_MS)
        self._refine_timer.timeout.connect(self._refine)
        # The idle refinement is sampled and meshed off the GUI thread (NumPy and the compiled
        # function's kernels release the GIL for most of it); only the finished arrays come back.
        self._generation = 0  # bumped by every new function or range: older refinements are dropped
        self._shown_generation = -1  # the generation of the surface on screen
        self._workers = ThreadPoolExecutor(max_workers=1, thread_name_prefix="derivgui-surface")
        # While it runs Python between NumPy calls, the window's thread waits for the GIL: up to
        # the switch interval each time, 5 ms by default (process-wide: see tuning).
        shorten_switch_interval()
        self._refined.connect(self._on_refined, Qt.QueuedConnection)

    def set_function(self, value_and_grad, x_range, y_range, branch_changes=None) -> None:
        """A new expression or domain: a draft surface now and a finer one when idle.

        The first surface is drawn at once; later ones in the next turn of the event loop, so
        that the work of a new range or expression comes in pieces between which the window
        stays responsive (the surface on screen until then is the previous one).
        """
        self._value_and_grad = value_and_grad
        self._branch_changes = branch_changes  # CompiledExpression.branch_changes: f′ breaks in the slices
        self.x_range, self.y_range = tuple(x_range), tuple(y_range)
        self._generation += 1
        self._slices_framed = False
        self._framing = []
        self._jobs.clear()
        if self.resolution == 0:
            self._draw_surface(DRAFT_RESOLUTION)
        else:
            self._queue_job(self._draw_pending_draft)
        self._refine_timer.start()

    def _draw_pending_draft(self) -> None:
        # (Not when the refinement of this function and range came first.)
        if self._shown_generation != self._generation:
            self._draw_surface(DRAFT_RESOLUTION)

    # -- work in pieces ------------------------------------------------------------------------
    #
    # The work of a new range or function (the draft surface, framing each 2D plot) is queued and
    # done one job per turn of the event loop, JOB_SPACING_MS apart. A job runs as a posted event
    # and what it changes is painted in the next turn, before the next job: no turn does more than
    # one job or one plot's repaint (5-15 ms each) instead of all of them at once (40-100 ms).

    def _queue_job(self, job) -> None:
        self._jobs.append(job)
        if not self._job_posted:
            self._job_posted = True
            QTimer.singleShot(JOB_SPACING_MS, self._post_job)

    def event(self, event) -> bool:
        if event.type() == _JOB_EVENT:
            self._job_posted = False
            if self._jobs:
                self._jobs.popleft()()
            if self._jobs and not self._job_posted:
                self._job_posted = True
                QTimer.singleShot(JOB_SPACING_MS, self._post_job)
            return True
        return super().event(event)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.gradient_line and event.type() == QEvent.Resize:
            self._fit_gradient_title()
        return super().eventFilter(watched, event)

    def _post_job(self) -> None:
        # At the priority of Qt's repaint requests: a repaint already asked for comes first, and
        # the repaint this job asks for waits for the next turn.
        if not sip.isdeleted(self):
            QCoreApplication.postEvent(self, QEvent(_JOB_EVENT), Qt.LowEventPriority)

    def _refine(self) -> None:
        if self._value_and_grad is None:
            return
        job = (self._generation, self._value_and_grad, self.x_range, self.y_range, IDLE_RESOLUTION)
        self._workers.submit(self._sample_and_mesh, job)

    def _sample_and_mesh(self, job: tuple) -> None:
        """On the worker thread: the grid and its mesh, handed back through ``_refined``."""
        generation, value_and_grad, x_range, y_range, resolution = job

        def stale() -> bool:
            return generation != self._generation

        try:
            grid = sample_surface(value_and_grad, x_range, y_range, resolution, resolution,
                                  rows_per_call=16, cancelled=stale)
            if grid is None or stale():
                return
            mesh = surface_mesh(grid, HALF_XY, HALF_Z)
        except Exception:  # noqa: BLE001 - a failed refinement leaves the draft on screen
            import traceback

            traceback.print_exc()
            return
        self._refined.emit((generation, value_and_grad, resolution, grid, mesh))

    def _on_refined(self, result: tuple) -> None:
        generation, value_and_grad, resolution, grid, mesh = result
        if generation != self._generation or value_and_grad is not self._value_and_grad:
            return
        self._shown_generation = generation
        self.resolution = resolution
        self.surface.set_surface(value_and_grad, grid, mesh)

    def _draw_surface(self, resolution: int) -> None:
        """Sample and show the surface at ``resolution`` now, on the GUI thread."""
        if self._value_and_grad is None:
            return
        self._shown_generation = self._generation
        grid = sample_surface(self._value_and_grad, self.x_range, self.y_range, resolution, resolution)
        self.resolution = resolution
        self.surface.set_surface(self._value_and_grad, grid)

    def set_point(self, report: PointReport, delta_a: float, delta_b: float) -> None:
        if self._value_and_grad is None:
            return
        self.report = report
        self.view.set_point(report, delta_a, delta_b)
        if not self._slices_framed:
            # A new function or range: each plot is framed anew and repainted whole (axes, grid,
            # curves: 10-20 ms each). They are done one per turn of the event loop, with the point
            # as it is then, so that the window stays responsive in between.
            self._slices_framed = True
            self._framing = ["slice_x", "slice_y", "gradient"]
            self._slice_x_at = self._slice_y_at = None
            for _plot in self._framing:
                self._queue_job(self._frame_next)
            return
        # A plot still to be framed is left as it is: its turn shows the point as it is then (moving
        # it now would repaint it whole in this turn, next to the plot being framed).
        if "slice_x" not in self._framing:
            self._show_slice_x(report)
        if "slice_y" not in self._framing:
            self._show_slice_y(report)
        if "gradient" not in self._framing:
            self._update_gradient()

    def _show_slice_x(self, report: PointReport, x_range: tuple[float, float] | None = None) -> None:
        """x ↦ f(x, b) at the point; a step of a moves only the point on it (the curve is b's)."""
        with self.slice_x.placing_when_settled():  # the labels and legend once the point rests
            if x_range is not None or self._slice_x_at != report.b:
                changes = self._branch_changes
                self.slice_x.set_function(
                    slice_along_x(self._value_and_grad, report.b), x_range=x_range,
                    branch_changes=None if changes is None else lambda x, b=report.b: changes(x, np.full_like(x, b)))
                self._slice_x_at = report.b
            self.slice_x.set_report(report.along_x)

    def _show_slice_y(self, report: PointReport, y_range: tuple[float, float] | None = None) -> None:
        """y ↦ f(a, y) at the point; a step of b moves only the point on it."""
        with self.slice_y.placing_when_settled():  # the labels and legend once the point rests
            if y_range is not None or self._slice_y_at != report.a:
                changes = self._branch_changes
                self.slice_y.set_function(
                    slice_along_y(self._value_and_grad, report.a), x_range=y_range,
                    branch_changes=None if changes is None else lambda y, a=report.a: changes(np.full_like(y, a), y))
                self._slice_y_at = report.a
            self.slice_y.set_report(report.along_y)

    def _update_gradient(self) -> None:
        report = self.report
        half = 0.5 * min(self.x_range[1] - self.x_range[0], self.y_range[1] - self.y_range[0])
        t = np.linspace(-half, half, 300)
        gx, gy = gradient_along_line(self._value_and_grad, report.a, report.b, t)
        self.grad_x_curve.setData(t, gx)
        self.grad_y_curve.setData(t, gy)
        self._fit_gradient_range(half, gx, gy)
        self._gradient_legend_timer.start()

    def _place_gradient_legend(self) -> None:
        """The legend in the corner of the gradient plot where the curves are not."""
        item = self.gradient_line.getPlotItem()
        view_box = item.getViewBox()
        self.gradient_legend.place(view_box.width(), view_box.height(), [], ink_of(item))

    def _fit_gradient_title(self, *_args) -> None:
        """The longest of ``GRADIENT_TITLES`` that fits the plot's width."""
        item = self.gradient_line.getPlotItem()
        label = item.titleLabel
        font = QFont(label.item.font())
        font.setPointSizeF(10)
        # (the title spans the view box's column only, and its text item has margins of 4 px)
        room = self.gradient_line.width() - item.getAxis("left").width() - 4
        metrics = QFontMetrics(font)
        title = next((t for t in GRADIENT_TITLES if metrics.horizontalAdvance(t) + 10 <= room), GRADIENT_TITLES[-1])
        if title != label.text:
            label.setText(title, color="k", size="10pt")
            if self.gradient_line.static_layer is not None:
                self.gradient_line.static_layer.invalidate()

    def _frame_next(self) -> None:
        """Frame the next plot for a new function, at the current point."""
        if not self._framing or self._value_and_grad is None or self.report is None:
            return
        what = self._framing.pop(0)
        if what == "slice_x":
            self._show_slice_x(self.report, x_range=self.x_range)
        elif what == "slice_y":
            self._show_slice_y(self.report, y_range=self.y_range)
        else:
            self._update_gradient()

    def _fit_gradient_range(self, half: float, gx: np.ndarray, gy: np.ndarray) -> None:
        """Frame the gradient plot, changing a range only when the curves leave it or fill less
        than half of it: steady axes while the point moves (one repaint per step, where auto-range
        repainted again for the new range), and mostly for a new surface range or function too
        (both axes regenerated took 5-9 ms of a turn, and up to 31 ms under load; measured)."""
        lo, hi = robust_y_range(np.concatenate([gx, gy]))
        refit_x = not range_still_fits(self._gradient_x_range, -half, half)
        refit_y = not range_still_fits(self._gradient_y_range, lo, hi)
        if refit_x:
            self._gradient_x_range = (-half, half)
        if refit_y:
            pad = 0.15 * (hi - lo)
            self._gradient_y_range = (lo - pad, hi + pad)
        if refit_x or refit_y:
            self.gradient_line.getPlotItem().getViewBox().setRange(
                xRange=self._gradient_x_range, yRange=self._gradient_y_range, padding=0)

    def set_overlays(self, visible: Mapping[str, bool]) -> None:
        """Show or hide overlays by name: the 3D view takes its own (secant, tangent, gradient,
        slices, plane), each slice plot those of a 2D view (f, derivative, secant, tangent, guides,
        normal…); names neither has are ignored, so the model's whole dict can be passed."""
        self.view.set_overlays(visible)
        for plot in (self.slice_x, self.slice_y):
            plot.set_overlays(visible)

    def overlay_entries(self) -> list[OverlayEntry]:
        """The page's overlays, one entry per name (the slice plots' first, then the 3D view's own)."""
        entries: dict[str, OverlayEntry] = {}
        for entry in (*self.slice_x.overlays.entries(), *self.view.overlay_entries()):
            entries.setdefault(entry.name, entry)
        return list(entries.values())

    def stop_timers(self) -> None:
        self._refine_timer.stop()
        self._gradient_legend_timer.stop()
        self._generation += 1
        self._workers.shutdown(wait=False, cancel_futures=True)
