"""The main window: the layout, the menus, and controls bound to the model.

What it shows when is the controller's (``derivgui.app.controller``): the window draws what it is
handed and binds each control to its field of the model (``AppState``) both ways, so setting a field
from anywhere (a session, a lesson, a test) moves the control, and moving the control sets the field.
"""

from __future__ import annotations

from PyQt5.QtCore import QSettings, Qt, QTimer, pyqtSignal
from PyQt5.QtGui import QIcon, QKeySequence
from PyQt5.QtWidgets import (
    QAction,
    QDialog,
    QDockWidget,
    QMainWindow,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from derivgui.model.lessons import load_lessons
from derivgui.model.state import AppState
from derivgui.resources_path import resource
from derivgui.ui import help as help_windows
from derivgui.ui.binding import bind_checked, bind_value
from derivgui.ui.export.dialog import install_export_actions
from derivgui.ui.overlays.menu import OVERLAY_MENU, THREE_D_ONLY
from derivgui.ui.panel_layout import PanelLayout
from derivgui.ui.panels.editor import ExpressionEditor
from derivgui.ui.panels.formula_label import FormulaLabel
from derivgui.ui.panels.lessons_panel import LessonsDock
from derivgui.ui.panels.point_panel import PointPanel
from derivgui.ui.panels.side_panel import SidePanel
from derivgui.ui.panels.sweep import DeltaSweep
from derivgui.ui.presentation import PRESENTATION_SCALE, present_views
from derivgui.ui.view2d.error_plot import ErrorPlot
from derivgui.ui.view2d.plot2d import Plot2DView
from derivgui.ui.view_stack import ViewStack

DERIVATIVE_TIP = "show the derivative f′(x) from autodiff"
DERIVATIVE_HIDDEN_TIP = "hidden in an exercise until your derivative checks ✓ (or click the formula line)"


class MainWindow(QMainWindow):
    lesson_chosen = pyqtSignal(object)  # a Lesson, from the Examples menu or the lessons dock
    closing = pyqtSignal()  # the window is closing: whoever keeps the state saves it now

    def __init__(self, state: AppState, settings: QSettings, history: list[str] = ()) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("derivgui")
        self.setWindowIcon(QIcon(str(resource("icons", "derivgui.svg"))))
        self.state, self.settings = state, settings
        self.compiled = None  # the function the views draw (the controller hands it over)
        self.controller = None  # what decides what is drawn when (``derivgui.app.controller.Controller``)
        self.editor = ExpressionEditor()
        self.formula = FormulaLabel()
        self.plot2d = Plot2DView(cache_static=True)
        self.plot2d.setMinimumSize(260, 200)  # small enough for a 1024-pixel-wide screen (3D: _fit_page3d)
        self._page3d = None  # built when first needed (see page3d): OpenGL is not needed for the first plot
        self.views = ViewStack()
        self.views.setObjectName("views")
        self.views.addWidget(self.plot2d)
        self.sweep = DeltaSweep(self)
        self.point_panel = PointPanel(self.sweep.decades_per_second)
        panel = self.point_panel
        self.point, self.step, self.point_y, self.step_y = panel.point, panel.step, panel.point_y, panel.step_y
        self.play_button, self.speed, self.hint = panel.play_button, panel.speed, panel.hint
        self.side_scroll = side = SidePanel()
        self.readouts, self.readouts_x, self.readouts_y = side.readouts, side.readouts_x, side.readouts_y
        self.readouts_3d, self.gradient_norm, self.check = side.readouts_3d, side.gradient_norm, side.check
        self.surface_range, self.range_group = side.surface_range, side.range_group
        view_column = QWidget()
        view_layout = QVBoxLayout(view_column)
        view_layout.setContentsMargins(0, 0, 0, 0)
        view_layout.setSpacing(0)
        view_layout.addWidget(self.views, 1)
        view_layout.addWidget(self.point_panel)
        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.setObjectName("viewSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(view_column)
        self.splitter.addWidget(self.side_scroll)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 4, 6, 2)
        layout.setSpacing(2)
        layout.addWidget(self.editor)
        layout.addWidget(self.formula)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        # The left dock takes the whole height: the error plot below spans the views and readouts only.
        self.setCorner(Qt.BottomLeftCorner, Qt.LeftDockWidgetArea)
        self.setDockOptions(self.dockOptions() | QMainWindow.AllowNestedDocks)
        self.error_plot = ErrorPlot()
        self.error_dock = QDockWidget("Error vs step: why a tiny Δa goes wrong", self)
        self.error_dock.setObjectName("errorDock")
        self.error_dock.setWidget(self.error_plot)
        self.lessons_dock = LessonsDock(self)
        self.lessons_dock.lesson_chosen.connect(self.lesson_chosen)
        self.panels = PanelLayout(self, self.error_dock, self.error_plot.plot, self.lessons_dock)
        self.panels.fit_window_to_screen()
        self.panels.apply_default_layout()
        self._build_actions()
        install_export_actions(self)
        self.statusBar().showMessage("starting…")
        self._bind_to_model()
        self.editor.history = list(history)
        self.editor.remember("")  # put the Up/Down position after the newest entry
        self.show_mode(two_variables=False)
        self.editor.set_text(state.expression, submit=False)
        self.panels.restore(settings)
        self._shown_once = False

    def _bind_to_model(self) -> None:
        """Each control to its field, both ways; the overlays' visibility follows the model."""
        state = self.state
        for control, name in ((self.point, "a"), (self.step, "delta_a"), (self.point_y, "b"), (self.step_y, "delta_b")):
            bind_value(control, state, name)
        self.surface_range.set_ranges(state.surface_x_range, state.surface_y_range)
        self.surface_range.rangeChanged.connect(
            lambda xr, yr: state.update(surface_x_range=xr, surface_y_range=yr, surface_range_custom=True))
        for event in (state.events.surface_x_range, state.events.surface_y_range):
            event.connect(lambda *_: self.surface_range.set_ranges(state.surface_x_range, state.surface_y_range))
        # An overlay the model has not heard of yet starts at its own default (its registration's).
        unset = {entry.name: entry.default_visible for entry in OVERLAY_MENU if entry.name not in state.overlays}
        if unset:
            state.update(overlays={**unset, **state.overlays})
        for name, action in self.toggle_actions.items():
            bind_checked(action, state, name)
        state.events.overlays.connect(self.apply_overlays)
        self.plot2d.point_dragged.connect(self.point.setValue)
        self.plot2d.overlay_toggled.connect(state.set_overlay)  # (a click on a legend entry)
        self.sweep.step.connect(self._on_sweep_step)
        self.sweep.running_changed.connect(self._on_sweep_running)
        self.play_button.clicked.connect(lambda _checked: self.toggle_sweep())
        self.speed.valueChanged.connect(lambda v: setattr(self.sweep, "decades_per_second", v))

    # -- what the views show -------------------------------------------------------------------

    @property
    def page3d(self):
        """The two-variable page (``SurfacePage``), built the first time it is needed: its OpenGL
        imports and widgets are not needed for the first plot of an f(x)."""
        if self._page3d is None:
            from derivgui.ui.view3d.page3d import SurfacePage

            page = self._page3d = SurfacePage()
            page.view.setMinimumSize(240, 150)  # a small screen's share
            for plot in (page.slice_x, page.slice_y, page.gradient_line):
                plot.setMinimumSize(110, 110)
            if self.panels.presentation is not None:
                self.panels.presentation_undo.extend(present_views(page, PRESENTATION_SCALE))
            self.views.addWidget(page)
            page.slice_x.point_dragged.connect(self.point.setValue)
            page.slice_y.point_dragged.connect(self.point_y.setValue)
            for plot in (page.slice_x, page.slice_y):
                plot.overlay_toggled.connect(self.state.set_overlay)
            self.apply_overlays()
        return self._page3d

    @property
    def plot3d(self):
        """The 3D view (``Plot3DView``, named "plot3d"); builds the 3D page if needed."""
        return self.page3d.view

    def is_two_variables(self) -> bool:
        return self.compiled is not None and len(self.compiled.variables) == 2

    def show_mode(self, two_variables: bool) -> None:
        """Show the 3D page and its controls for f(x, y), the 2D ones for f(x); the model is kept."""
        self.panels.set_mode_3d(two_variables)
        self.views.setCurrentWidget(self.page3d if two_variables else self.plot2d)
        self.point_panel.arrange(two_variables)
        self.side_scroll.arrange(two_variables)
        for name in THREE_D_ONLY:
            self.toggle_actions[name].setEnabled(two_variables)
        self.side_scroll.fit_width(self.splitter)

    def set_answer_hidden(self, hidden: bool) -> None:
        """An exercise keeps the autodiff formula and f′ back until the student's check says ✓."""
        if hidden != self.formula.answer_hidden:
            self.formula.show_formula(hidden=hidden)
            self.apply_overlays()

    def apply_overlays(self, *_args) -> None:
        shown = dict(self.state.overlays)
        hidden = self.formula.answer_hidden
        shown["derivative"] = shown.get("derivative", True) and not hidden
        self.plot2d.set_overlays(shown)
        if self._page3d is not None:
            self._page3d.set_overlays(shown)
            for curve in (self._page3d.grad_x_curve, self._page3d.grad_y_curve):
                curve.setVisible(not hidden)
        action = self.toggle_actions["derivative"]
        action.setEnabled(not hidden)
        action.setToolTip(DERIVATIVE_HIDDEN_TIP if hidden else f"{DERIVATIVE_TIP} ({action.shortcut().toString()})")

    def apply_state(self, state: AppState, history: list[str] | None = None) -> None:
        """Show a saved state (File ▸ Open session): the model takes it, and everything follows."""
        self.sweep.stop()
        if history is not None:
            self.editor.history[:] = history
            self.editor.remember("")
        self.state.update(**state.to_dict())

    # -- Δ → 0 animation -----------------------------------------------------------------------

    def toggle_sweep(self) -> None:
        """Play or pause Δ → 0; at the end, Play starts over from where the last sweep started."""
        self.sweep.toggle(self.state.delta_a)
        self._show_play_state(self.sweep.is_running())  # a click toggled the button: show the truth

    def _show_play_state(self, running: bool) -> None:
        """The button and the menu item say whether the animation runs (and what a press does)."""
        self.point_panel.show_play_state(running)
        self.play_action.setChecked(running)

    def _on_sweep_step(self, delta: float) -> None:
        ratio = delta / self.state.delta_a
        self.step.setValue(delta)
        if self.is_two_variables():
            self.step_y.setValue(float(f"{self.state.delta_b * ratio:.4g}"))

    def _on_sweep_running(self, running: bool) -> None:
        self._show_play_state(running)
        self.statusBar().showMessage("animating Δ → 0 (F5 or Space pauses)" if running else "animation stopped",
                                     3000)

    # -- layout ----------------------------------------------------------------------------------

    def panels_as_left(self) -> dict[str, bool]:
        return self.panels.panels_as_left()

    def apply_default_layout(self) -> None:
        self.panels.apply_default_layout()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self.side_scroll.fit_width(self.splitter)
            self.focus_view()  # Space plays: the focus is not in a text field to begin with
            QTimer.singleShot(0, self.panels.repair)

    def focus_view(self) -> None:
        """Put the keyboard focus on the view: Space plays, arrows pan (2D) or orbit (3D)."""
        view = self.views.currentWidget()
        (view.view if view is not self.plot2d and hasattr(view, "view") else view).setFocus()

    def is_presenting(self) -> bool:
        return self.panels.presentation is not None

    def set_presentation(self, on: bool) -> None:
        """For a projector: larger text, lines and markers; the side panels hidden (F11 again brings them back)."""
        if on == self.is_presenting():
            return
        self.setUpdatesEnabled(False)
        try:
            views = [view for view in (self.plot2d, self._page3d) if view is not None]
            self.panels.set_presentation(on, self.centralWidget(), self.formula, [self.editor.line], views)
            self.side_scroll.fit_width(self.splitter)
        finally:
            self.setUpdatesEnabled(True)
        if self.presentation_action.isChecked() != on:
            self.presentation_action.setChecked(on)
        if on:
            self.statusBar().showMessage("presentation: F11 brings the panels back", 5000)

    # -- menus -----------------------------------------------------------------------------------

    def _action(self, menu, text: str, slot=None, keys=(), name: str = "", checkable: bool = False) -> QAction:
        action = QAction(text, self, checkable=checkable)
        if name:
            action.setObjectName(name)
        action.setShortcuts([QKeySequence(key) for key in keys])
        if slot is not None:
            action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    def _build_actions(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.setObjectName("fileMenu")
        self.quit_action = self._action(file_menu, "&Quit", self.close, [QKeySequence.Quit])
        edit_menu = menu.addMenu("&Edit")
        edit_menu.setObjectName("editMenu")
        self._action(edit_menu, "Edit &expression", self._focus_editor, ["Ctrl+L"])
        self.clear_history_action = self._action(edit_menu, "&Clear expression history")
        view_menu = menu.addMenu("&View")
        view_menu.setObjectName("viewMenu")
        self.reset_view_action = self._action(view_menu, "&Reset view", None, ["Ctrl+0", "Home"])
        self._action(view_menu, "Zoom &in", lambda: self._zoom(0.8), [QKeySequence.ZoomIn])
        self._action(view_menu, "Zoom &out", lambda: self._zoom(1.25), [QKeySequence.ZoomOut])
        self._action(view_menu, "Reset &camera", self.reset_camera, ["Ctrl+Shift+0"])
        # F5 plays from anywhere; Space too, except where it types a space (the editors, spin boxes).
        self.play_action = self._action(view_menu, "&Play Δ → 0", self.toggle_sweep, [Qt.Key_F5, Qt.Key_Space],
                                        "playAction", checkable=True)
        self.play_action.setShortcutContext(Qt.WindowShortcut)
        leave_editor = QAction("Leave the expression editor (Space plays again)", self.editor.line)
        leave_editor.setObjectName("leaveEditorAction")
        leave_editor.setShortcut(QKeySequence(Qt.Key_Escape))
        leave_editor.setShortcutContext(Qt.WidgetShortcut)
        leave_editor.triggered.connect(self.focus_view)
        self.editor.line.addAction(leave_editor)
        self.presentation_action = self._action(view_menu, "P&resentation", None, [Qt.Key_F11], "presentationAction",
                                                checkable=True)
        self.presentation_action.setToolTip("for a projector: larger text, lines and markers; the side panels "
                                            "hidden (F11 again brings them back)")
        self.presentation_action.toggled.connect(self.set_presentation)
        view_menu.addSeparator()
        # One checkable action per overlay, in the menu and in the menu bar's row (on a small screen
        # every line of height goes to the plot).
        toolbar = self.show_toolbar = QToolBar("Show")
        toolbar.setObjectName("showToolbar")
        toolbar.setMovable(False)
        toolbar.setFloatable(False)
        toolbar.setContentsMargins(0, 0, 0, 0)
        toolbar.setStyleSheet("QToolBar { border: 0px; padding: 0px; spacing: 1px; }")
        menu.setCornerWidget(toolbar, Qt.TopRightCorner)
        self.toggle_actions: dict[str, QAction] = {}
        for i, entry in enumerate(OVERLAY_MENU, start=1):
            keys = [f"Ctrl+{i}"] if i <= 9 else []
            action = self._action(view_menu, entry.short_title, None, keys, f"show_{entry.name}Action", checkable=True)
            action.setToolTip(f"{entry.tooltip} ({keys[0]})" if keys else entry.tooltip)
            if entry.in_toolbar:
                toolbar.addAction(action)
            self.toggle_actions[entry.name] = action
        view_menu.addSeparator()
        panels = view_menu.addMenu("&Panels")
        panels.setObjectName("panelsMenu")
        panels.addAction(self.error_dock.toggleViewAction())
        panels.addAction(self.lessons_dock.toggleViewAction())
        panels.addSeparator()
        reset_panels = self._action(panels, "&Reset panel layout", self.apply_default_layout, (), "resetPanelsAction")
        reset_panels.setToolTip("put the panels back where they start, sized for this window")
        examples_menu = menu.addMenu("E&xamples")
        examples_menu.setObjectName("examplesMenu")
        for lesson in load_lessons():
            title = ("Exercise: " if lesson.exercise else "") + lesson.title.removeprefix("Exercise: ")
            self._action(examples_menu, title, lambda lesson=lesson: self.lesson_chosen.emit(lesson), (),
                         f"lesson-{lesson.id}")
        help_menu = menu.addMenu("&Help")
        help_menu.setObjectName("helpMenu")
        self._action(help_menu, "Expression &syntax", self.show_syntax, [QKeySequence.HelpContents], "syntaxAction")
        self._action(help_menu, "&Keyboard shortcuts", self.show_shortcuts, ["Ctrl+/"], "shortcutsAction")
        self._action(help_menu, "&About derivgui", lambda: help_windows.show_about(self))

    def _zoom(self, factor: float) -> None:
        x0, x1 = self.plot2d.visible_x_range()
        y0, y1 = self.plot2d.visible_y_range()
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        self.plot2d.getPlotItem().getViewBox().setRange(
            xRange=(cx - (cx - x0) * factor, cx + (x1 - cx) * factor),
            yRange=(cy - (cy - y0) * factor, cy + (y1 - cy) * factor), padding=0)

    def reset_camera(self) -> None:
        if self._page3d is not None:
            self._page3d.view.reset_camera()

    def _focus_editor(self) -> None:
        self.editor.line.setFocus()
        self.editor.line.selectAll()

    def shortcut_rows(self) -> list[tuple[str, str, str]]:
        return help_windows.shortcut_rows(self, self.editor.line)

    def show_shortcuts(self) -> QDialog:
        return help_windows.show_shortcuts(self, self.editor.line)

    def show_syntax(self) -> QDialog:
        return help_windows.show_syntax(self)

    # -- shutdown ----------------------------------------------------------------------------------

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.sweep.stop()
        self.closing.emit()
        if self._page3d is not None:
            self._page3d.stop_timers()
        super().closeEvent(event)
