"""Between the model and the views: model changes become compile requests and evaluations, and
the views are handed plain data (a compiled function, a report at the point) to draw.

The views know how to draw and the window how to lay them out; when to draw what is decided
here. The window holds no state of its own beyond its layout: the model (``AppState``) is the one
source of truth, and everything here reacts to its change events.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import QObject, QSettings, Qt, QTimer

from derivgui.app.settings_store import save_state
from derivgui.model.lessons import Lesson, load_lessons
from derivgui.model.state import AppState
from derivgui.numeric.check import evaluate_formula, nonsmooth_points
from derivgui.numeric.geometry import format_number, judged_secant_report, robust_y_range
from derivgui.numeric.steps import step_errors
from derivgui.numeric.surface import default_surface_range, judged_point_report, slice_along_x
from derivgui.ui.main_window import MainWindow
from derivgui.ui.panels.editor import nowhere_finite
from derivgui.ui.presentation import PRESENTATION_ITEM_SCALE, present_item
from derivgui.ui.tuning import freeze_long_lived_heap
from derivgui.ui.worker import MAIN, CompileService

# Settings are written once the user has paused this long: the ini file's write blocks the GUI
# thread (30 ms and more on a busy disk, measured), so not between keystrokes or slider steps.
SAVE_DELAY_MS = 2000
POINT_FIELDS = frozenset({"a", "delta_a", "b", "delta_b", "surface_x_range", "surface_y_range"})


def _timer(parent: QObject, ms: int, slot) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(ms)
    timer.timeout.connect(slot)
    return timer


class Controller(QObject):
    def __init__(self, state: AppState, window: MainWindow, settings: QSettings) -> None:
        super().__init__(window)
        self.state, self.window, self.settings = state, window, settings
        window.controller = self
        self._requested_text: str | None = None
        self.last_result_text: str | None = None  # the text whose result (plot or error) is on screen
        self._compile_started = 0.0
        self._error_key: tuple | None = None  # what the error-vs-step curves were computed for
        self._error_source = None
        self._lesson: Lesson | None = None  # the lesson on screen, until another expression is shown
        self._lesson_to_frame: Lesson | None = None  # framed once its expression has compiled
        self._lesson_items: list = []  # what a lesson adds to the 2D view (its envelope)
        self._reacting = True  # False while this controller changes the model itself (``_quiet``)

        self.compiler = CompileService(self)
        self.compiler.result.connect(self._on_compiled)
        self.compiler.busy.connect(self._on_busy)
        self.compiler.formulas.connect(self._show_formulas)
        self._save_timer = _timer(self, SAVE_DELAY_MS, self.save_settings)
        self._check_timer = _timer(self, 150, self.update_check)  # after a pan or zoom settles
        self._error_timer = _timer(self, 120, self._recompute_error_plot)  # after the point rests
        state.subscribe(lambda _changed: self._save_timer.start())
        state.subscribe(self._on_state_changed)

        window.editor.submitted.connect(self.request_compile)
        window.plot2d.range_changed.connect(self._on_x_range_changed)
        window.check.compile_requested.connect(lambda channel, text: self.compiler.request(text, channel))
        window.check.formulas_changed.connect(self.update_check)
        window.lesson_chosen.connect(self.load_lesson)
        window.formula.reveal_requested.connect(self.reveal_answer)
        window.error_dock.visibilityChanged.connect(self._on_error_dock_visibility)
        window.reset_view_action.triggered.connect(lambda _checked=False: self.reset_view())
        window.clear_history_action.triggered.connect(lambda _checked=False: self.clear_history())
        window.closing.connect(self.shutdown)
        self.request_compile(state.expression)

    @property
    def compiled(self):
        """The compiled function on screen: the one the window's views draw (kept there, once)."""
        return self.window.compiled

    # -- compile ---------------------------------------------------------------------------------

    def request_compile(self, text: str) -> None:
        if text == self._requested_text:
            return
        self._requested_text = text
        self._compile_started = time.perf_counter()
        self.state.compile_status_of(0).compiling(text)
        self.compiler.request(text)

    def _on_busy(self, busy: bool) -> None:
        status = self.window.statusBar()
        if busy:
            status.showMessage("compiling…")
        elif status.currentMessage() == "compiling…":
            status.clearMessage()

    def _on_compiled(self, channel: str, _request_id: int, compiled, error) -> None:
        window = self.window
        if channel != MAIN:
            edit = window.check.edits.get(channel)
            if compiled is not None and edit is not None and getattr(compiled, "text", edit.text()) != edit.text():
                return  # an answer since replaced (a lesson was loaded): it must not be judged, nor reveal one
            window.check.on_compiled(channel, compiled, error)
            return
        # Only the newest request's result arrives here, so it answers _requested_text.
        self.last_result_text = self._requested_text
        if error is not None:
            self.state.compile_status_of(0).failed(self._requested_text or "", error.message)
            window.editor.show_error(error.message, error.column)
            window.statusBar().showMessage(f"not plotted: {error.message} — the last valid plot stays", 8000)
            return
        elapsed_ms = (time.perf_counter() - self._compile_started) * 1000
        if self.compiled is None:
            freeze_long_lived_heap()  # everything alive now lives as long as the app (see tuning)
        new_expression = self.compiled is None or compiled.expression.normalized != self.compiled.expression.normalized
        window.compiled = compiled
        self.state.compile_status_of(0).ready(compiled.text, compiled.variables)
        if self._lesson is not None and compiled.text != self._lesson.expression:
            self._leave_lesson()  # another expression: the lesson's envelope and hidden answer go
        two_variables = len(compiled.variables) == 2
        signature = "f(x, y)" if two_variables else "f(x)"
        window.editor.show_ok(f"✓ {signature} = {compiled.text}")
        window.formula.show_formula("autodiff: …")
        window.setWindowTitle(f"derivgui — {signature} = {compiled.text}")
        window.show_mode(two_variables)
        with self._quiet():  # the views are updated below, once
            self.state.update(expression=compiled.text)
            if new_expression and two_variables and not self.state.surface_range_custom:
                x_range, y_range = default_surface_range(compiled.expression.normalized)
                self.state.update(surface_x_range=x_range, surface_y_range=y_range)
        if new_expression and two_variables:
            self._redraw_surface()
        elif new_expression:
            window.plot2d.set_function(compiled.value_and_grad, x_range=self.state.x_range,
                                       branch_changes=compiled.branch_changes, holes=compiled.holes)
        lesson = self._lesson_to_frame
        if lesson is not None and compiled.text == lesson.expression:
            self._frame_lesson(lesson)
        self.update_point()
        self.update_check()
        window.statusBar().showMessage(f"ready: derivative by PyTensor autodiff, compiled in {elapsed_ms:.0f} ms",
                                       5000)

    def _show_formulas(self, formulas: tuple[str, ...]) -> None:
        if nowhere_finite(self.compiled) is not None:  # 1/0, log(−1): f′ = 0 would be a lie
            text = "autodiff:  no derivative: f is undefined everywhere"
        elif len(formulas) == 1:
            text = f"autodiff:  f′(x) = {formulas[0]}"
        else:
            text = f"autodiff:  ∂f/∂x = {formulas[0]}     ∂f/∂y = {formulas[1]}"
        self.window.formula.show_formula(text)

    # -- the model changed ---------------------------------------------------------------------

    @contextmanager
    def _quiet(self):
        """Model changes made here while the views are brought up to date by hand."""
        self._reacting = False
        try:
            yield
        finally:
            self._reacting = True

    def _on_state_changed(self, changed: set[str]) -> None:
        if not self._reacting:
            return
        if "expression" in changed and self.state.expression != self.window.editor.text():
            self.window.editor.set_text(self.state.expression)  # (a session, a lesson: compiles it)
        if "lesson" in changed:
            self._on_lesson_field()
        if "x_range" in changed and self.window.plot2d.visible_x_range() != tuple(self.state.x_range):
            self.window.plot2d.frame(*self.state.x_range)
        if self.compiled is None:
            return
        if changed & {"surface_x_range", "surface_y_range"} and self.window.is_two_variables():
            self._redraw_surface()
        if changed & POINT_FIELDS:
            self.update_point()
        if changed & {"surface_x_range", "surface_y_range"}:
            self.update_check()

    def _redraw_surface(self) -> None:
        window, (x0, x1), (y0, y1) = self.window, self.state.surface_x_range, self.state.surface_y_range
        window.page3d.set_function(self.compiled.value_and_grad, (x0, x1), (y0, y1),
                                   branch_changes=self.compiled.branch_changes)
        window.point.set_slider_range(x0, x1)
        window.point_y.set_slider_range(y0, y1)
        window.step.set_max_magnitude(x1 - x0)
        window.step_y.set_max_magnitude(y1 - y0)

    def update_point(self) -> None:
        """Re-evaluate at the point and move the overlays: no compile, a few evaluations."""
        if self.compiled is None:
            return
        s, window = self.state, self.window
        if len(self.compiled.variables) == 1:
            report = judged_secant_report(self.compiled, s.a, s.delta_a)
            window.plot2d.set_report(report)
            window.readouts.show_report(report)
            self._update_error_plot(self.compiled.value_and_grad, s.a, s.delta_a)
            return
        report = judged_point_report(self.compiled, s.a, s.b, s.delta_a, s.delta_b)
        self._update_error_plot(slice_along_x(self.compiled.value_and_grad, s.b), s.a, s.delta_a)
        window.page3d.set_point(report, s.delta_a, s.delta_b)
        if window.plot3d.outside_note:
            window.statusBar().showMessage("(a, b) is outside the surface range", 4000)
        window.readouts_x.show_report(report.along_x)
        window.readouts_y.show_report(report.along_y)
        scale = window.plot3d.gradient_scale
        note = "" if scale == 1.0 else f"  (arrow drawn ×{format_number(scale, 3)})"
        window.gradient_norm.setText(f"|∇f(a, b)| = {format_number(report.grad_norm)}{note}")

    def _update_error_plot(self, value_and_grad, a: float, delta: float) -> None:
        """Δa just moves a marker; a new point recomputes the curves once the point rests."""
        key = (id(self.compiled), a, self.state.b if self.window.is_two_variables() else None)
        if key != self._error_key:
            self._error_key = key
            self._error_source = (value_and_grad, a)
            self._error_timer.start()
        self.window.error_plot.set_current_step(delta)

    def _on_error_dock_visibility(self, visible: bool) -> None:
        if visible and self._error_key is None:
            self.update_point()

    def _recompute_error_plot(self) -> None:
        if not self.window.error_dock.isVisible():
            self._error_key = None  # recompute when the dock is shown again
            return
        value_and_grad, a = self._error_source
        verdict = self.compiled.derivative_at(a, self.state.b) if self.window.is_two_variables() \
            else self.compiled.derivative_at(a)
        verdict = verdict[0] if isinstance(verdict, tuple) else verdict  # along x, as the plot is
        if verdict.exists:
            self.window.error_plot.set_errors(step_errors(value_and_grad, a, tangent=verdict.value))
        else:
            self.window.error_plot.show_no_tangent(verdict.describe().removeprefix("no derivative: "),
                                                   vertical=verdict.kind == "vertical")

    def update_check(self) -> None:
        """Compare the student's derivative(s) with autodiff over what is on screen."""
        window, compiled = self.window, self.compiled
        if compiled is None or window.check.two_variables != (len(compiled.variables) == 2):
            return  # (a lesson set the check up for its f, still compiling: its result checks again)
        if len(compiled.variables) == 1:
            curve = window.plot2d.curve
            keep = np.isfinite(curve.x)
            x, autodiff = curve.x[keep], curve.df[keep]
            skip, reasons = nonsmooth_points(compiled, x)
            results = window.check.check(x, (x,), (autodiff,), values=curve.f[keep], function=compiled,
                                         skip=skip, skip_reasons=reasons)
            mine = window.check.compiled["check-x"]
            if mine is not None and results and results[0] is not None:
                bad = results[0].disagree_at
                window.plot2d.show_my_derivative(x, evaluate_formula(mine, (x,)), bad, evaluate_formula(mine, (bad,)))
            else:
                window.plot2d.show_my_derivative(None)
        else:
            (x0, x1), (y0, y1) = self.state.surface_x_range, self.state.surface_y_range
            xs, ys = np.meshgrid(np.linspace(x0, x1, 61), np.linspace(y0, y1, 61), indexing="ij")
            args = (xs.ravel(), ys.ravel())
            values, (gx, gy) = compiled.value_and_grad(*args)
            window.check.check(np.stack(args, axis=1), args, (gx, gy), values=values, function=compiled)
        self._reveal_if_correct()

    def _on_x_range_changed(self, x0: float, x1: float) -> None:
        if self.window.is_two_variables():
            return  # the hidden 2D view does not drive the controls of the surface
        with self._quiet():  # (the view moved: nothing to frame)
            self.state.update(x_range=(x0, x1))
        self.window.point.set_slider_range(x0, x1)
        self.window.step.set_max_magnitude(x1 - x0)
        self._check_timer.start()

    def reset_view(self) -> None:
        if self.window.is_two_variables():
            self.window.reset_camera()
            self._redraw_surface()
            self.update_point()
        else:
            self.window.plot2d.frame(*AppState().x_range)

    # -- lessons -------------------------------------------------------------------------------

    def load_lesson(self, lesson: Lesson) -> None:
        """Load an example or exercise: its expression, ranges, point, step, overlays and text."""
        self._show_lesson(lesson)
        self.state.update(**lesson.state_changes(), lesson=lesson.title)
        editor = self.window.editor
        if editor.text() != lesson.expression:  # (the model held it already: the editor did not)
            editor.set_text(lesson.expression)
        if lesson.x_range is not None:
            self.window.plot2d.frame(*lesson.x_range)
        if self.compiled is not None and self.compiled.text == lesson.expression:
            if self.window.is_two_variables():
                self._redraw_surface()
            self._frame_lesson(lesson)  # no compile comes: the expression is on screen already
        self.window.focus_view()
        self.window.statusBar().showMessage(f"lesson: {lesson.title}", 5000)

    def _show_lesson(self, lesson: Lesson) -> None:
        """What a lesson shows besides the model's fields: its text, its check, a hidden answer."""
        window = self.window
        window.sweep.stop()
        self._leave_lesson()
        self._lesson = self._lesson_to_frame = lesson
        window.set_answer_hidden(lesson.exercise)
        window.check.set_two_variables(lesson.two_variables)
        window.check.set_texts(() if lesson.exercise else lesson.my_derivative)
        window.lessons_dock.show_lesson(lesson)
        window.panels.show_lessons()
        window.editor.remember(lesson.expression)

    def _on_lesson_field(self) -> None:
        """The model's lesson set from elsewhere (a session): show that lesson with the model as it is."""
        if self.state.lesson == (self._lesson.title if self._lesson is not None else ""):
            return
        lesson = next((lesson for lesson in load_lessons() if lesson.title == self.state.lesson), None)
        if lesson is None:
            self._leave_lesson()
        else:
            self._show_lesson(lesson)
            with self._quiet():
                self.state.update(lesson=lesson.title)  # (leaving the last one cleared it)

    def _frame_lesson(self, lesson: Lesson) -> None:
        """Frame the lesson's point once its expression is on screen: y fitted to f alone where f′
        would squash f flat, and the guide lines (an envelope) it draws."""
        self._lesson_to_frame = None
        self._clear_lesson_items()
        plot = self.window.plot2d
        if lesson.two_variables:
            return
        if lesson.fit_y == "f" and lesson.x_range is not None:
            values, _slopes = self.compiled.value_and_grad(np.linspace(*lesson.x_range, 2001))
            lo, hi = robust_y_range(np.asarray(values, dtype=float))
            ends = [slope * x + intercept for slope, intercept in lesson.envelope for x in lesson.x_range]
            if ends:  # the envelope in view too, to the corners
                pad = 0.08 * (max(ends) - min(ends))
                lo, hi = min(lo, min(ends) - pad), max(hi, max(ends) + pad)
            plot.getPlotItem().getViewBox().setRange(xRange=lesson.x_range, yRange=(lo, hi), padding=0)
        if lesson.envelope:
            pen = pg.mkPen("#888888", width=1.5, style=Qt.DashLine)
            x0, x1 = lesson.x_range if lesson.x_range is not None else plot.visible_x_range()
            far = 1e3 * max(abs(x0), abs(x1), x1 - x0)
            for slope, intercept in lesson.envelope:
                line = pg.PlotCurveItem([-far, far], [intercept - slope * far, intercept + slope * far], pen=pen)
                plot.addItem(line, ignoreBounds=True)
                self._lesson_items.append(line)
                if self.window.is_presenting():
                    self.window.panels.presentation_undo.extend(present_item(line, **PRESENTATION_ITEM_SCALE))
            plot.legend.addItem(self._lesson_items[0], lesson.envelope_label or "envelope")

    def _clear_lesson_items(self) -> None:
        for item in self._lesson_items:
            self.window.plot2d.legend.removeItem(item)
            self.window.plot2d.removeItem(item)
        self._lesson_items = []

    def _leave_lesson(self) -> None:
        """Another lesson or expression: the last lesson's envelope goes and its answer shows."""
        self._lesson = self._lesson_to_frame = None
        self._clear_lesson_items()
        self.window.set_answer_hidden(False)
        with self._quiet():
            self.state.update(lesson="")

    def _reveal_if_correct(self) -> None:
        lesson = self._lesson
        if (self.window.formula.answer_hidden and lesson is not None and self.compiled.text == lesson.expression
                and self.window.check.verdict.text().startswith("✓")):
            self.reveal_answer()

    def reveal_answer(self) -> None:
        """Show the exercise's autodiff formula and f′ (after a ✓, or when the student asks)."""
        if self.window.formula.answer_hidden:
            self.window.set_answer_hidden(False)
            self.window.statusBar().showMessage("the autodiff derivative is shown", 4000)

    # -- settings and shutdown ---------------------------------------------------------------------

    def save_settings(self) -> None:
        """The model and history, the window's geometry and docks."""
        save_state(self.settings, self.state, list(self.window.editor.history))
        self.window.panels.save(self.settings)

    def clear_history(self) -> None:
        self.window.editor.history.clear()
        self.window.editor.remember("")
        self.save_settings()

    def shutdown(self) -> None:
        self._save_timer.stop()
        if self.compiled is not None:
            self.window.editor.remember(self.window.editor.text())
        self.save_settings()
        self.settings.sync()
        self.compiler.shutdown()
