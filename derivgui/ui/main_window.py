"""The main window: assembles the editor, the views, the controls and the compile service."""

from __future__ import annotations

import gc
import json
import time

import numpy as np
from PyQt5.QtCore import QByteArray, QSettings, Qt, QTimer
from PyQt5.QtGui import QFontMetrics, QIcon, QKeySequence
from PyQt5.QtWidgets import (
    QAction,
    QDockWidget,
    QDoubleSpinBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from derivgui.core.check import evaluate_formula, nonsmooth_points
from derivgui.core.functions import ALIASES, FUNCTIONS
from derivgui.core.geometry import format_number, judged_secant_report
from derivgui.core.lessons import Lesson, load_lessons
from derivgui.core.state import AppState
from derivgui.core.steps import step_errors
from derivgui.core.surface import default_surface_range, judged_point_report, slice_along_x
from derivgui.resources_path import resource
from derivgui.ui.check_panel import CheckPanel
from derivgui.ui.controls import CachedFrameGroupBox, PointControl, RangeControl, StepControl
from derivgui.ui.editor import ExpressionEditor
from derivgui.ui.error_plot import ErrorPlot
from derivgui.ui.export import install_export_actions
from derivgui.ui.lessons_panel import LessonsDock
from derivgui.ui.one_line_label import OneLineLabel
from derivgui.ui.page3d import SurfacePage
from derivgui.ui.plot2d import Plot2DView
from derivgui.ui.readouts import ALONG_X, ALONG_Y, SlopeReadouts
from derivgui.ui.sweep import DeltaSweep
from derivgui.ui.worker import MAIN, CompileService

# Settings are written once the user has paused this long: the ini file's write blocks the GUI
# thread (30 ms and more on a busy disk, measured), so not between keystrokes or slider steps.
SAVE_DELAY_MS = 2000


def default_settings() -> QSettings:
    return QSettings(QSettings.IniFormat, QSettings.UserScope, "derivgui", "derivgui")


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("derivgui")
        self.setWindowIcon(QIcon(str(resource("icons", "derivgui.svg"))))
        self.settings = settings if settings is not None else default_settings()
        self.state, restore_problem = self._load_state()
        self.compiled = None
        self._requested_text: str | None = None
        self.last_result_text: str | None = None  # the text whose result (plot or error) is on screen
        self._compile_started = 0.0
        self._error_key: tuple | None = None  # what the error-vs-step curves were computed for
        self._error_dock_was_visible = True

        self.editor = ExpressionEditor()
        self.formula = OneLineLabel("the derivative autodiff built: PyTensor's gradient graph after its rewrites",
                                    sample="autodiff:  ∂f/∂x = √(x² + y⁻¹)·σ(−x)·log₁₀(x)  ∂f/∂y")
        self.formula.setObjectName("derivativeFormulaLabel")
        self.formula.setStyleSheet("color: #8a4b00; font-size: 13pt;")
        self.plot2d = Plot2DView(cache_static=True)
        self.page3d = SurfacePage()
        self.plot3d = self.page3d.view
        self.views = QStackedWidget()
        self.views.addWidget(self.plot2d)
        self.views.addWidget(self.page3d)

        step_tip = "the step Δ{0} (logarithmic slider: the middle is tiny, the ends are wide; 0 is skipped)"
        self.point = PointControl("a", "pointSpin", "the point a where the tangent touches f")
        self.step = StepControl("Δa", "deltaSpin", step_tip.format("a"))
        self.point_y = PointControl("b", "pointYSpin", "the point's y coordinate b")
        self.step_y = StepControl("Δb", "deltaYSpin", step_tip.format("b"))
        self.surface_range = RangeControl()
        self.readouts = SlopeReadouts()
        self.readouts_x = SlopeReadouts(ALONG_X)
        self.readouts_y = SlopeReadouts(ALONG_Y)
        self.gradient_norm = QLabel("—")
        self.gradient_norm.setObjectName("gradientNormLabel")
        self.gradient_norm.setToolTip("the length of the gradient ∇f(a, b) = (∂f/∂x, ∂f/∂y)")
        controls = CachedFrameGroupBox("Point and step")
        controls_layout = QVBoxLayout(controls)
        for widget in (self.point, self.step, self.point_y, self.step_y):
            controls_layout.addWidget(widget)
        self.sweep = DeltaSweep(self)
        self.play_button = QToolButton()
        self.play_button.setObjectName("playButton")
        self.play_button.setText("▶ Δ → 0")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("animate the step towards 1e-15 on the logarithmic scale (Space)")
        self.speed = QDoubleSpinBox()
        self.speed.setObjectName("speedSpin")
        self.speed.setRange(0.1, 10.0)
        self.speed.setSingleStep(0.25)
        self.speed.setValue(self.sweep.decades_per_second)
        self.speed.setSuffix(" decades/s")
        self.speed.setToolTip("how fast the animation shrinks the step")
        play_row = QHBoxLayout()
        play_row.addWidget(self.play_button)
        play_row.addWidget(self.speed)
        play_row.addStretch(1)
        controls_layout.addLayout(play_row)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #555;")
        controls_layout.addWidget(self.hint)
        self.range_group = QGroupBox("Surface range")
        QVBoxLayout(self.range_group).addWidget(self.surface_range)
        self.readouts_3d = QWidget()
        layout_3d = QVBoxLayout(self.readouts_3d)
        layout_3d.setContentsMargins(0, 0, 0, 0)
        layout_3d.addWidget(self.gradient_norm)
        # A fixed size (as the readouts have) keeps its new text on every 3D step from
        # invalidating the side panel's layout: a relayout and a whole-panel repaint per step.
        metrics = QFontMetrics(self.gradient_norm.font())
        self.gradient_norm.setFixedSize(
            metrics.horizontalAdvance("|∇f(a, b)| = −8.88888888888e−888  (arrow drawn ×8.88)") + 8,
            metrics.height() + 4)
        layout_3d.addWidget(self.readouts_x)
        layout_3d.addWidget(self.readouts_y)

        self.check = CheckPanel()

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(6, 0, 6, 0)
        for widget in (controls, self.range_group, self.readouts, self.readouts_3d, self.check):
            side_layout.addWidget(widget)
        side_layout.addStretch(1)
        side_scroll = QScrollArea()
        side_scroll.setWidget(side)
        side_scroll.setWidgetResizable(True)
        side_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        side_scroll.setMinimumWidth(430)

        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(self.views)
        splitter.addWidget(side_scroll)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setSizes([900, 430])

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.editor)
        layout.addWidget(self.formula)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)

        self.error_plot = ErrorPlot()
        self.error_dock = QDockWidget("Error vs step: why a tiny Δa goes wrong", self)
        self.error_dock.setObjectName("errorDock")
        self.error_dock.setWidget(self.error_plot)
        self.addDockWidget(Qt.BottomDockWidgetArea, self.error_dock)
        self.lessons_dock = LessonsDock(self)
        self.addDockWidget(Qt.LeftDockWidgetArea, self.lessons_dock)
        self.resizeDocks([self.lessons_dock], [310], Qt.Horizontal)
        self.resizeDocks([self.error_dock], [250], Qt.Vertical)

        self._build_actions()
        install_export_actions(self)
        self.statusBar().showMessage("starting…")

        self.compiler = CompileService(self)
        self.compiler.result.connect(self._on_compiled)
        self.compiler.busy.connect(self._on_busy)
        self.compiler.formulas.connect(self._show_formulas)

        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.save_settings)
        self._check_timer = QTimer(self)  # re-check the student's derivative after a pan or zoom settles
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(150)
        self._check_timer.timeout.connect(self.update_check)
        # The error-vs-step curves follow the point after it rests, not on every slider step.
        self._error_timer = QTimer(self)
        self._error_timer.setSingleShot(True)
        self._error_timer.setInterval(120)
        self._error_timer.timeout.connect(self._recompute_error_plot)
        self._error_source = None
        self.state.subscribe(lambda _changed: self._save_timer.start())

        self.editor.submitted.connect(self.request_compile)
        self.point.valueChanged.connect(lambda v: self.state.update(a=v))
        self.step.valueChanged.connect(lambda v: self.state.update(delta_a=v))
        self.point_y.valueChanged.connect(lambda v: self.state.update(b=v))
        self.step_y.valueChanged.connect(lambda v: self.state.update(delta_b=v))
        self.surface_range.rangeChanged.connect(
            lambda xr, yr: self.state.update(surface_x_range=xr, surface_y_range=yr, surface_range_custom=True))
        self.plot2d.point_dragged.connect(self.point.setValue)
        self.page3d.slice_x.point_dragged.connect(self.point.setValue)
        self.page3d.slice_y.point_dragged.connect(self.point_y.setValue)
        self.plot2d.range_changed.connect(self._on_x_range_changed)
        self.state.subscribe(self._on_state_changed)
        self.check.compile_requested.connect(lambda channel, text: self.compiler.request(text, channel))
        self.check.formulas_changed.connect(self.update_check)
        self.sweep.step.connect(self._on_sweep_step)
        self.sweep.running_changed.connect(self._on_sweep_running)
        self.play_button.clicked.connect(lambda _checked: self.toggle_sweep())
        self.speed.valueChanged.connect(lambda v: setattr(self.sweep, "decades_per_second", v))
        self.lessons_dock.lesson_chosen.connect(self.load_lesson)
        self.error_dock.visibilityChanged.connect(self._on_error_dock_visibility)

        self.point.setValue(self.state.a)
        self.step.setValue(self.state.delta_a)
        self.point_y.setValue(self.state.b)
        self.step_y.setValue(self.state.delta_b)
        self.surface_range.set_ranges(self.state.surface_x_range, self.state.surface_y_range)
        self._set_mode(two_variables=False)
        self._apply_visibility()
        self.editor.history = self._load_history()
        self.editor.remember("")  # put the Up/Down position after the newest entry
        self.editor.set_text(self.state.expression)
        if restore_problem:
            self.statusBar().showMessage(restore_problem, 10000)
        self.resize(1500, 950)
        # A corrupt settings file may hold anything here; only bytes can be window geometry.
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, (QByteArray, bytes)):
            self.restoreGeometry(geometry)
        dock_state = self.settings.value("window/state")
        if isinstance(dock_state, (QByteArray, bytes)):
            self.restoreState(dock_state)

    # -- menus -------------------------------------------------------------------------------

    def _build_actions(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        self.quit_action = file_menu.addAction("&Quit", self.close)
        self.quit_action.setShortcut(QKeySequence.Quit)

        edit_menu = menu.addMenu("&Edit")
        focus = edit_menu.addAction("Edit &expression", self._focus_editor)
        focus.setShortcut(QKeySequence("Ctrl+L"))
        edit_menu.addAction("&Clear expression history", self._clear_history)

        view_menu = menu.addMenu("&View")
        reset = view_menu.addAction("&Reset view", self.reset_view)
        reset.setShortcuts([QKeySequence("Ctrl+0"), QKeySequence("Home")])
        zoom_in = view_menu.addAction("Zoom &in", lambda: self._zoom(0.8))
        zoom_in.setShortcut(QKeySequence.ZoomIn)
        zoom_out = view_menu.addAction("Zoom &out", lambda: self._zoom(1.25))
        zoom_out.setShortcut(QKeySequence.ZoomOut)
        reset_camera = view_menu.addAction("Reset &camera", self.reset_camera)
        reset_camera.setShortcut(QKeySequence("Ctrl+Shift+0"))
        self.play_action = view_menu.addAction("&Play Δ → 0", self.toggle_sweep)
        self.play_action.setShortcut(QKeySequence(Qt.Key_Space))
        self.play_action.setShortcutContext(Qt.WindowShortcut)
        view_menu.addSeparator()
        self.toggle_actions: dict[str, QAction] = {}
        toolbar = QToolBar("Show")
        toolbar.setObjectName("showToolbar")
        self.addToolBar(Qt.TopToolBarArea, toolbar)
        for i, (field, text, tip) in enumerate((
            ("show_f", "f", "show the curve f(x)"),
            ("show_derivative", "f′", "show the derivative f′(x) from autodiff"),
            ("show_secant", "secant", "show the secant through (a, f(a)) and (a + Δa, f(a + Δa))"),
            ("show_tangent", "tangent", "show the tangent at a, slope f′(a)"),
            ("show_guides", "guides", "show the dashed guides and the a, f(a) labels"),
            ("show_gradient", "∇f", "3D: show the gradient arrow under the point"),
            ("show_slices", "slices", "3D: show the slices f(x, b) and f(a, y) on the surface"),
            ("show_plane", "plane", "3D: show the tangent plane"),
        ), start=1):
            action = QAction(text, self, checkable=True)
            action.setObjectName(field + "Action")
            action.setToolTip(f"{tip} (Ctrl+{i})")
            action.setShortcut(QKeySequence(f"Ctrl+{i}"))
            action.setChecked(getattr(self.state, field))
            action.toggled.connect(lambda checked, field=field: self.state.update(**{field: checked}))
            view_menu.addAction(action)
            toolbar.addAction(action)
            self.toggle_actions[field] = action

        view_menu.addSeparator()
        panels = view_menu.addMenu("&Panels")
        panels.addAction(self.error_dock.toggleViewAction())
        panels.addAction(self.lessons_dock.toggleViewAction())

        examples_menu = menu.addMenu("E&xamples")
        examples_menu.setObjectName("examplesMenu")
        for lesson in load_lessons():
            action = examples_menu.addAction(("Exercise: " if lesson.exercise else "") + lesson.title.removeprefix(
                "Exercise: "))
            action.setObjectName(f"lesson-{lesson.id}")
            action.triggered.connect(lambda _checked=False, lesson=lesson: self.load_lesson(lesson))

        help_menu = menu.addMenu("&Help")
        syntax = help_menu.addAction("Expression &syntax", self._show_syntax)
        syntax.setShortcut(QKeySequence.HelpContents)
        help_menu.addAction("&About derivgui", self._show_about)

    # -- compile -----------------------------------------------------------------------------

    def request_compile(self, text: str) -> None:
        if text == self._requested_text:
            return
        self._requested_text = text
        self._compile_started = time.perf_counter()
        self.compiler.request(text)

    def _on_busy(self, busy: bool) -> None:
        if busy:
            self.statusBar().showMessage("compiling…")
        elif self.statusBar().currentMessage() == "compiling…":
            self.statusBar().clearMessage()

    def _on_compiled(self, channel: str, _request_id: int, compiled, error) -> None:
        if channel != MAIN:
            self.check.on_compiled(channel, compiled, error)
            return
        # Only the newest request's result arrives here, so it answers _requested_text.
        self.last_result_text = self._requested_text
        if error is not None:
            self.editor.show_error(error.message, error.column)
            self.statusBar().showMessage(f"not plotted: {error.message} — the last valid plot stays", 8000)
            return
        elapsed_ms = (time.perf_counter() - self._compile_started) * 1000
        if self.compiled is None:
            # Everything alive now (Qt, pyqtgraph, NumPy, the window's widgets) lives as long as
            # the app: keep it out of full collections, which walk it all on every pass.
            gc.freeze()
        new_expression = self.compiled is None or compiled.expression.normalized != self.compiled.expression.normalized
        self.compiled = compiled
        signature = "f(x, y)" if len(compiled.variables) == 2 else "f(x)"
        self.editor.show_ok(f"✓ {signature} = {compiled.text}")
        self.formula.setText("autodiff: …")
        self.setWindowTitle(f"derivgui — {signature} = {compiled.text}")
        self.state.update(expression=compiled.text)
        two_variables = len(compiled.variables) == 2
        self._set_mode(two_variables)
        if new_expression and two_variables:
            if not self.state.surface_range_custom:
                x_range, y_range = default_surface_range(compiled.expression.normalized)
                self.state.update(surface_x_range=x_range, surface_y_range=y_range)
                self.surface_range.set_ranges(x_range, y_range)
            self._redraw_surface()
        elif new_expression:
            self.plot2d.set_function(compiled.value_and_grad, x_range=self.state.x_range,
                                     branch_changes=compiled.branch_changes, holes=compiled.holes)
        self.update_point()
        self.update_check()
        self.statusBar().showMessage(f"ready: derivative by PyTensor autodiff, compiled in {elapsed_ms:.0f} ms", 5000)

    def _show_formulas(self, formulas: tuple[str, ...]) -> None:
        if len(formulas) == 1:
            self.formula.setText(f"autodiff:  f′(x) = {formulas[0]}")
        else:
            self.formula.setText(f"autodiff:  ∂f/∂x = {formulas[0]}     ∂f/∂y = {formulas[1]}")

    # -- point and step ----------------------------------------------------------------------

    def _set_mode(self, two_variables: bool) -> None:
        """Show the 3D page and its controls for f(x, y), the 2D ones for f(x); state is kept."""
        if two_variables != (self.views.currentIndex() == 1):
            # The error-vs-step dock is about f(x); it makes room for the surface while in 3D and
            # comes back, as the user left it, in 2D.
            if two_variables:
                self._error_dock_was_visible = self.error_dock.isVisible()
                self.error_dock.hide()
            elif self._error_dock_was_visible:
                self.error_dock.show()
        self.views.setCurrentIndex(1 if two_variables else 0)
        for widget in (self.point_y, self.step_y, self.range_group, self.readouts_3d):
            widget.setVisible(two_variables)
        self.readouts.setVisible(not two_variables)
        self.check.set_two_variables(two_variables)
        self.hint.setText(
            "Shrink Δa and Δb: the red secants fold onto the green tangent lines of the slices."
            if two_variables else
            "Drag Δa towards the middle: the secant (red) turns into the tangent (dashed green).")
        for field in ("show_gradient", "show_slices", "show_plane"):
            self.toggle_actions[field].setEnabled(two_variables)

    def is_two_variables(self) -> bool:
        return self.compiled is not None and len(self.compiled.variables) == 2

    def _on_state_changed(self, changed: set[str]) -> None:
        if changed & {"surface_x_range", "surface_y_range"} and self.is_two_variables():
            self._redraw_surface()
        if changed & {"a", "delta_a", "b", "delta_b", "surface_x_range", "surface_y_range"}:
            self.update_point()
        if changed & {"surface_x_range", "surface_y_range"}:
            self.update_check()
        if any(name.startswith("show_") for name in changed):
            self._apply_visibility()

    def _redraw_surface(self) -> None:
        self.page3d.set_function(self.compiled.value_and_grad, self.state.surface_x_range,
                                 self.state.surface_y_range, branch_changes=self.compiled.branch_changes)
        x0, x1 = self.state.surface_x_range
        y0, y1 = self.state.surface_y_range
        self.point.set_slider_range(x0, x1)
        self.point_y.set_slider_range(y0, y1)
        self.step.set_max_magnitude(x1 - x0)
        self.step_y.set_max_magnitude(y1 - y0)

    def update_point(self) -> None:
        """Re-evaluate at the point and move the overlays: no compile, a few evaluations."""
        if self.compiled is None:
            return
        s = self.state
        if len(self.compiled.variables) == 1:
            report = judged_secant_report(self.compiled, s.a, s.delta_a)
            self.plot2d.set_report(report)
            self.readouts.show_report(report)
            self._update_error_plot(self.compiled.value_and_grad, s.a, s.delta_a)
            return
        report = judged_point_report(self.compiled, s.a, s.b, s.delta_a, s.delta_b)
        self._update_error_plot(slice_along_x(self.compiled.value_and_grad, s.b), s.a, s.delta_a)
        self.page3d.set_point(report, s.delta_a, s.delta_b)
        self.readouts_x.show_report(report.along_x)
        self.readouts_y.show_report(report.along_y)
        scale = self.plot3d.gradient_scale
        note = "" if scale == 1.0 else f"  (arrow drawn ×{format_number(scale, 3)})"
        self.gradient_norm.setText(f"|∇f(a, b)| = {format_number(report.grad_norm)}{note}")

    def _update_error_plot(self, value_and_grad, a: float, delta: float) -> None:
        """Δa just moves a marker; a new point recomputes the curves once the point rests."""
        key = (id(self.compiled), a, self.state.b if self.is_two_variables() else None)
        if key != self._error_key:
            self._error_key = key
            self._error_source = (value_and_grad, a)
            self._error_timer.start()
        self.error_plot.set_current_step(delta)

    def _on_error_dock_visibility(self, visible: bool) -> None:
        if visible and self._error_key is None:
            self.update_point()

    def _recompute_error_plot(self) -> None:
        if self.error_dock.isVisible():
            value_and_grad, a = self._error_source
            verdict = self.compiled.derivative_at(a, self.state.b) if self.is_two_variables() \
                else self.compiled.derivative_at(a)
            verdict = verdict[0] if isinstance(verdict, tuple) else verdict  # along x, as the plot is
            if verdict.exists:
                self.error_plot.set_errors(step_errors(value_and_grad, a, tangent=verdict.value))
            else:
                self.error_plot.show_no_tangent(verdict.describe().removeprefix("no derivative: "))
        else:
            self._error_key = None  # recompute when the dock is shown again

    def update_check(self) -> None:
        """Compare the student's derivative(s) with autodiff over what is on screen."""
        if self.compiled is None:
            return
        if len(self.compiled.variables) == 1:
            curve = self.plot2d.curve
            keep = np.isfinite(curve.x)
            x, autodiff = curve.x[keep], curve.df[keep]
            skip, reasons = nonsmooth_points(self.compiled, x)
            results = self.check.check(x, (x,), (autodiff,), values=curve.f[keep], function=self.compiled,
                                       skip=skip, skip_reasons=reasons)
            compiled = self.check.compiled["check-x"]
            if compiled is not None and results and results[0] is not None:
                mine = evaluate_formula(compiled, (x,))
                bad = results[0].disagree_at
                self.plot2d.show_my_derivative(x, mine, bad, evaluate_formula(compiled, (bad,)))
            else:
                self.plot2d.show_my_derivative(None)
            return
        (x0, x1), (y0, y1) = self.state.surface_x_range, self.state.surface_y_range
        xs, ys = np.meshgrid(np.linspace(x0, x1, 61), np.linspace(y0, y1, 61), indexing="ij")
        args = (xs.ravel(), ys.ravel())
        values, (gx, gy) = self.compiled.value_and_grad(*args)
        self.check.check(np.stack(args, axis=1), args, (gx, gy), values=values, function=self.compiled)

    def _on_x_range_changed(self, x0: float, x1: float) -> None:
        if self.is_two_variables():
            return  # the hidden 2D view does not drive the controls of the surface
        self.state.update(x_range=(x0, x1))
        self.point.set_slider_range(x0, x1)
        self.step.set_max_magnitude(x1 - x0)
        self._check_timer.start()

    def _apply_visibility(self) -> None:
        s = self.state
        self.plot2d.set_visibility(s.show_f, s.show_derivative, s.show_secant, s.show_tangent, s.show_guides)
        self.page3d.set_overlay_visibility(
            secant=s.show_secant, tangent=s.show_tangent, gradient=s.show_gradient, slices=s.show_slices,
            plane=s.show_plane, guides=s.show_guides, f=s.show_f, derivative=s.show_derivative)
        for field, action in self.toggle_actions.items():
            if action.isChecked() != getattr(s, field):
                action.setChecked(getattr(s, field))

    def reset_view(self) -> None:
        if self.is_two_variables():
            self.reset_camera()
            self.page3d.set_function(self.compiled.value_and_grad, self.state.surface_x_range,
                                     self.state.surface_y_range, branch_changes=self.compiled.branch_changes)
            self.update_point()
        else:
            self.plot2d.frame(*AppState().x_range)

    def reset_camera(self) -> None:
        self.plot3d.reset_camera()

    # -- Δ → 0 animation -----------------------------------------------------------------------

    def toggle_sweep(self) -> None:
        self.sweep.toggle(self.state.delta_a)

    def _on_sweep_step(self, delta: float) -> None:
        ratio = delta / self.state.delta_a
        self.step.setValue(delta)
        if self.is_two_variables():
            self.step_y.setValue(float(f"{self.state.delta_b * ratio:.4g}"))

    def _on_sweep_running(self, running: bool) -> None:
        self.play_button.setChecked(running)
        self.play_button.setText("⏸ pause" if running else "▶ Δ → 0")
        self.statusBar().showMessage("animating Δ → 0 (Space pauses)" if running else "animation stopped", 3000)

    # -- sessions ------------------------------------------------------------------------------

    def apply_state(self, state: AppState, history: list[str] | None = None) -> None:
        """Show a saved state (File ▸ Open session): controls, ranges, toggles, then the expression."""
        self.sweep.stop()
        self.state.update(**{name: getattr(state, name) for name in AppState.field_names() if name != "expression"})
        self.point.setValue(state.a)
        self.step.setValue(state.delta_a)
        self.point_y.setValue(state.b)
        self.step_y.setValue(state.delta_b)
        self.surface_range.set_ranges(state.surface_x_range, state.surface_y_range)
        if history is not None:
            self.editor.history[:] = history
            self.editor.remember("")
        self.plot2d.frame(*state.x_range)
        if self.is_two_variables():
            self._redraw_surface()
        self.editor.set_text(state.expression)
        self.update_point()

    # -- lessons -------------------------------------------------------------------------------

    def load_lesson(self, lesson: Lesson) -> None:
        """Load an example or exercise: its expression, ranges, point, step, overlays and text."""
        self.sweep.stop()
        changes = lesson.state_changes()
        self.state.update(**{k: v for k, v in changes.items() if k != "expression"})
        self.point.setValue(lesson.point[0])
        self.step.setValue(lesson.delta[0])
        if lesson.two_variables:
            self.point_y.setValue(lesson.point[1])
            self.step_y.setValue(lesson.delta[1])
            self.surface_range.set_ranges(self.state.surface_x_range, self.state.surface_y_range)
        if lesson.x_range is not None:
            self.plot2d.frame(*lesson.x_range)
        self.check.set_two_variables(lesson.two_variables)
        self.check.set_texts(() if lesson.exercise else lesson.my_derivative)
        self.lessons_dock.show_lesson(lesson)
        self.lessons_dock.show()
        self.editor.remember(lesson.expression)
        self.editor.set_text(lesson.expression)
        if self.is_two_variables() and self.compiled.text == lesson.expression:
            self._redraw_surface()
        self.statusBar().showMessage(f"lesson: {lesson.title}", 5000)

    def _zoom(self, factor: float) -> None:
        x0, x1 = self.plot2d.visible_x_range()
        y0, y1 = self.plot2d.visible_y_range()
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        self.plot2d.getPlotItem().getViewBox().setRange(
            xRange=(cx - (cx - x0) * factor, cx + (x1 - cx) * factor),
            yRange=(cy - (cy - y0) * factor, cy + (y1 - cy) * factor), padding=0)

    def _focus_editor(self) -> None:
        self.editor.line.setFocus()
        self.editor.line.selectAll()

    # -- settings ----------------------------------------------------------------------------

    def _load_state(self) -> tuple[AppState, str | None]:
        """The state the last run saved, checked field by field, and a note for the user if anything was ignored.

        Whatever the settings file holds (any JSON, huge numbers, deep nesting, wrong types, NaN),
        this never raises: each unusable value takes its default and the others are kept. A file
        with problems is copied to ``<ini>.bad`` first, since the next save overwrites it. The
        editor's history is read and checked here too (``_load_history`` returns it).
        """
        import os
        import shutil
        import stat
        import sys

        from derivgui.core.session import HISTORY_LIMIT, SessionError, clean_history, decode_json, describe_file_type

        problems: list[str] = []
        state = AppState()
        history: list[str] = []
        path = ""
        try:
            path = self.settings.fileName()
            mode = os.stat(path).st_mode if path and os.path.lexists(path) else None
            if mode is not None and not stat.S_ISREG(mode):
                self._loaded_history = []
                return state, (f"the settings file {path} is {describe_file_type(mode)}, not a file: started with "
                               "the defaults, and settings will not be saved")
        except (OSError, ValueError):
            pass
        for key in ("session/state", "editor/history"):
            try:
                raw = self.settings.value(key)
                if raw is None:
                    continue
                if not isinstance(raw, str):
                    raise SessionError(f"{key} is not text")
                data = decode_json(raw, key) if raw else ([] if key == "editor/history" else {})
                if key == "session/state":
                    if not isinstance(data, dict):
                        raise SessionError("the saved state is not a JSON object")
                    state = AppState.from_dict(data, problems=problems)
                else:
                    if not isinstance(data, list):
                        raise SessionError("the history is not a list")
                    history = clean_history(data, problems)[-HISTORY_LIMIT:]
            except (SessionError, ValueError, TypeError) as exc:
                problems.append(str(exc))
            except Exception as exc:  # noqa: BLE001 - RecursionError, MemoryError…: never stop the app from starting
                problems.append(f"{key} could not be read ({type(exc).__name__})")
        self._loaded_history = history
        if not problems:
            return state, None
        kept = ""
        try:
            if path and os.path.isfile(path):
                shutil.copyfile(path, path + ".bad")
                kept = f"; the file as it was is kept in {path}.bad"
        except OSError:
            pass
        notes = "; ".join(problems)
        if len(notes) > 300:
            notes = notes[:299] + "…"
        message = f"saved settings: ignored {notes} (defaults used){kept}"
        print(f"derivgui: warning: {message}", file=sys.stderr)
        return state, message

    def _load_history(self) -> list[str]:
        """The editor's history from the settings, as ``_load_state`` checked it (text entries only)."""
        history = getattr(self, "_loaded_history", None)
        if history is None:
            from derivgui.core.session import clean_history, decode_json

            try:
                raw = self.settings.value("editor/history")
                data = decode_json(raw, "editor/history") if isinstance(raw, str) and raw else []
                history = clean_history(data) if isinstance(data, list) else []
            except Exception:  # noqa: BLE001 - a bad history never stops the app
                history = []
        self._loaded_history = None
        return list(history)

    def save_settings(self) -> None:
        """Write the state, history, geometry and docks; never NaN or inf (unusable values are saved as defaults)."""
        from derivgui.core.session import clean_history

        try:
            state_json = json.dumps(self.state.to_safe_dict(), allow_nan=False)
        except (ValueError, TypeError):
            state_json = json.dumps(AppState().to_dict(), allow_nan=False)
        self.settings.setValue("session/state", state_json)
        self.settings.setValue("editor/history", json.dumps(clean_history(list(self.editor.history))))
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())

    def _clear_history(self) -> None:
        self.editor.history.clear()
        self.editor.remember("")
        self.save_settings()

    # -- help --------------------------------------------------------------------------------

    def _show_syntax(self) -> None:
        names = sorted(FUNCTIONS)
        aliases = ", ".join(f"{a} = {c}" for a, c in sorted(ALIASES.items()))
        QMessageBox.information(
            self, "Expression syntax",
            "Variables: x, and y for a surface f(x, y). Constants: pi, e.\n"
            "Operators: + - * / and ^ or ** for powers; 2x, 3(x+1), (x+1)(x-1), x y are products.\n"
            "1.5e-3 is a number; e^-x and x*-x work.\n\n"
            f"Functions: {', '.join(names)}.\nAlso: {aliases}.")

    def _show_about(self) -> None:
        QMessageBox.about(
            self, "About derivgui",
            "derivgui makes derivatives visible: the secant through a and a + Δa turns into the tangent "
            "as Δa → 0.\n\nDerivatives come from automatic differentiation with PyTensor, the maintained "
            "continuation of Theano.")

    # -- shutdown ----------------------------------------------------------------------------

    def closeEvent(self, event) -> None:
        self.sweep.stop()
        if self.compiled is not None:
            self.editor.remember(self.editor.text())
        self.save_settings()
        self.settings.sync()
        self.compiler.shutdown()
        self.page3d.stop_timers()
        super().closeEvent(event)
