"""The main window: assembles the editor, the views, the controls and the compile service."""

from __future__ import annotations

import json
import time

from PyQt5.QtCore import QSettings, Qt, QTimer
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import (
    QAction,
    QGroupBox,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from derivgui.core.functions import ALIASES, FUNCTIONS
from derivgui.core.geometry import secant_report
from derivgui.core.state import AppState
from derivgui.ui.controls import PointControl, StepControl
from derivgui.ui.editor import ExpressionEditor
from derivgui.ui.plot2d import Plot2DView
from derivgui.ui.readouts import SlopeReadouts
from derivgui.ui.worker import CompileService

SAVE_DELAY_MS = 400


def default_settings() -> QSettings:
    return QSettings(QSettings.IniFormat, QSettings.UserScope, "derivgui", "derivgui")


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("derivgui")
        self.settings = settings if settings is not None else default_settings()
        self.state, restore_problem = self._load_state()
        self.compiled = None
        self._requested_text: str | None = None
        self.last_result_text: str | None = None  # the text whose result (plot or error) is on screen
        self._compile_started = 0.0

        self.editor = ExpressionEditor()
        self.plot2d = Plot2DView()
        self.views = QStackedWidget()
        self.views.addWidget(self.plot2d)

        self.point = PointControl("a", "pointSpin", "the point a where the tangent touches f")
        self.step = StepControl("Δa", "deltaSpin",
                                "the step Δa (logarithmic slider: the middle is tiny, the ends are wide; "
                                "0 is skipped)")
        self.readouts = SlopeReadouts()
        controls = QGroupBox("Point and step")
        controls_layout = QVBoxLayout(controls)
        controls_layout.addWidget(self.point)
        controls_layout.addWidget(self.step)
        hint = QLabel("Drag Δa towards the middle: the secant (red) turns into the tangent (dashed green).")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #555;")
        controls_layout.addWidget(hint)

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(6, 0, 0, 0)
        side_layout.addWidget(controls)
        side_layout.addWidget(self.readouts)
        side_layout.addStretch(1)
        side.setMinimumWidth(340)

        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(self.views)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.editor)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)

        self._build_actions()
        self.statusBar().showMessage("starting…")

        self.compiler = CompileService(self)
        self.compiler.result.connect(self._on_compiled)
        self.compiler.busy.connect(self._on_busy)

        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.save_settings)
        self.state.subscribe(lambda _changed: self._save_timer.start())

        self.editor.submitted.connect(self.request_compile)
        self.point.valueChanged.connect(lambda v: self.state.update(a=v))
        self.step.valueChanged.connect(lambda v: self.state.update(delta_a=v))
        self.plot2d.point_dragged.connect(self.point.setValue)
        self.plot2d.range_changed.connect(self._on_x_range_changed)
        self.state.subscribe(self._on_state_changed)

        self.point.setValue(self.state.a)
        self.step.setValue(self.state.delta_a)
        self.point.set_slider_range(*self.state.x_range)
        self.step.set_max_magnitude(self.state.x_range[1] - self.state.x_range[0])
        self._apply_visibility()
        self.editor.history = self._load_history()
        self.editor.remember("")  # put the Up/Down position after the newest entry
        self.editor.set_text(self.state.expression)
        if restore_problem:
            self.statusBar().showMessage(restore_problem, 10000)
        self.resize(1280, 800)
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)

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

    def _on_compiled(self, _request_id: int, compiled, error) -> None:
        # Only the newest request's result arrives here, so it answers _requested_text.
        self.last_result_text = self._requested_text
        if error is not None:
            self.editor.show_error(error.message, error.column)
            self.statusBar().showMessage(f"not plotted: {error.message} — the last valid plot stays", 8000)
            return
        elapsed_ms = (time.perf_counter() - self._compile_started) * 1000
        new_expression = self.compiled is None or compiled.expression.normalized != self.compiled.expression.normalized
        self.compiled = compiled
        signature = "f(x, y)" if len(compiled.variables) == 2 else "f(x)"
        self.editor.show_ok(f"✓ {signature} = {compiled.text}")
        self.setWindowTitle(f"derivgui — {signature} = {compiled.text}")
        self.state.update(expression=compiled.text)
        if new_expression:
            self.plot2d.set_function(compiled.value_and_grad, x_range=self.plot2d_x_range())
        self.update_point()
        self.statusBar().showMessage(f"ready: derivative by PyTensor autodiff, compiled in {elapsed_ms:.0f} ms", 5000)

    def plot2d_x_range(self) -> tuple[float, float]:
        return self.state.x_range

    # -- point and step ----------------------------------------------------------------------

    def _on_state_changed(self, changed: set[str]) -> None:
        if changed & {"a", "delta_a"}:
            self.update_point()
        if any(name.startswith("show_") for name in changed):
            self._apply_visibility()

    def update_point(self) -> None:
        if self.compiled is None or len(self.compiled.variables) != 1:
            return
        report = secant_report(self.compiled.value_and_grad, self.state.a, self.state.delta_a)
        self.plot2d.set_report(report)
        self.readouts.show_report(report)

    def _on_x_range_changed(self, x0: float, x1: float) -> None:
        self.state.update(x_range=(x0, x1))
        self.point.set_slider_range(x0, x1)
        self.step.set_max_magnitude(x1 - x0)

    def _apply_visibility(self) -> None:
        s = self.state
        self.plot2d.set_visibility(s.show_f, s.show_derivative, s.show_secant, s.show_tangent, s.show_guides)
        for field, action in self.toggle_actions.items():
            if action.isChecked() != getattr(s, field):
                action.setChecked(getattr(s, field))

    def reset_view(self) -> None:
        self.plot2d.frame(*AppState().x_range)

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
        raw = self.settings.value("session/state")
        if raw is None:
            return AppState(), None
        try:
            return AppState.from_dict(json.loads(raw)), None
        except (ValueError, TypeError) as exc:
            return AppState(), f"saved settings were unreadable ({exc}); started with defaults"

    def _load_history(self) -> list[str]:
        raw = self.settings.value("editor/history")
        try:
            history = json.loads(raw) if raw else []
        except (ValueError, TypeError):
            return []
        return [h for h in history if isinstance(h, str)] if isinstance(history, list) else []

    def save_settings(self) -> None:
        self.settings.setValue("session/state", json.dumps(self.state.to_dict()))
        self.settings.setValue("editor/history", json.dumps(self.editor.history))
        self.settings.setValue("window/geometry", self.saveGeometry())

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
        self.editor.remember(self.editor.text()) if self.compiled is not None else None
        self.save_settings()
        self.settings.sync()
        self.compiler.shutdown()
        super().closeEvent(event)
