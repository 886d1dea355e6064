"""Where the window's docks are and how they come back: the default layout for the window's width,
the 3D page's room (the error plot steps aside), presentation mode (F11), and the layout the last
run left (restored only when usable)."""

from __future__ import annotations

import json

from PyQt5.QtCore import QByteArray, QSettings, Qt
from PyQt5.QtGui import QGuiApplication
from PyQt5.QtWidgets import QDockWidget, QLabel, QMainWindow, QWidget

from derivgui.ui.presentation import PRESENTATION_SCALE, present_views, present_widgets

# Windows at least this wide keep the Examples dock on the left; narrower ones tab it with the error plot.
WIDE_LAYOUT = 1200
# A dock's content smaller than this (width, height) is not usable: a restored one gets a usable size.
USABLE_ERROR_PLOT = (240, 100)  # the error plot's own view, its note not counted
USABLE_LESSONS = (160, 140)


class PanelLayout:
    def __init__(self, window: QMainWindow, error_dock: QDockWidget, error_view: QWidget,
                 lessons_dock: QDockWidget) -> None:
        self.window, self.error_dock, self.error_view, self.lessons_dock = window, error_dock, error_view, lessons_dock
        self.mode_3d = False  # the 3D page is shown: the error plot (about f(x)) made room for it
        self.error_dock_was_visible = True  # the error dock as the user left it in 2D
        self.presentation: dict[str, bool] | None = None  # the docks as they were, while presenting
        self.presentation_undo: list = []  # how to take the presentation's sizes back

    def docks(self) -> tuple[QDockWidget, ...]:
        return (self.error_dock, self.lessons_dock)

    def panels_as_left(self) -> dict[str, bool]:
        """Each dock's visibility as the user left it in 2D, outside the presentation mode.

        (A dock hidden only because the 3D page made room, or a presentation is on, counts as
        shown; one behind another dock's tab counts as shown too.)
        """
        if self.presentation is not None:
            shown = dict(self.presentation)
        else:
            shown = {dock.objectName(): not dock.isHidden() for dock in self.docks()}
        if self.mode_3d:
            shown["errorDock"] = self.error_dock_was_visible
        return shown

    def fit_window_to_screen(self) -> None:
        """Start at 1500×950, or as much of a smaller screen as there is (with room for a title bar)."""
        width, height = 1500, 950
        screen = QGuiApplication.primaryScreen()
        if screen is not None:
            free = screen.availableGeometry()
            if free.width() < width or free.height() < height:
                width, height = min(width, free.width() - 8), min(height, free.height() - 36)
        self.window.resize(max(width, 640), max(height, 480))

    def default_error_height(self) -> int:
        """The bottom docks' height: a quarter of the window (with room for their tabs, where tabbed)."""
        tabs = 26 if self.window.tabifiedDockWidgets(self.error_dock) else 0
        return int(min(250, max(170, 0.27 * self.window.height()))) + tabs

    def apply_default_layout(self) -> None:
        """Dock the panels where they start, sized for the window as it is now (View ▸ Panels ▸ Reset).

        Wide windows keep the Examples on the left, the whole height, and the error plot under the
        views; narrower ones (a 1024-pixel projector) tab the two together under the views, so the
        plot and the readouts keep the width.
        """
        window, width = self.window, self.window.width()
        for dock in self.docks():
            dock.setFloating(False)
        window.addDockWidget(Qt.BottomDockWidgetArea, self.error_dock)
        if width >= WIDE_LAYOUT:
            window.addDockWidget(Qt.LeftDockWidgetArea, self.lessons_dock)
        else:
            window.addDockWidget(Qt.BottomDockWidgetArea, self.lessons_dock)
            window.tabifyDockWidget(self.error_dock, self.lessons_dock)
        if self.presentation is not None:
            self.presentation.update({dock.objectName(): True for dock in self.docks()})
        else:
            self.lessons_dock.show()
            self.error_dock.setVisible(not self.mode_3d)
        self.error_dock_was_visible = True
        if width >= WIDE_LAYOUT:
            window.resizeDocks([self.lessons_dock], [int(min(310, max(200, 0.2 * width)))], Qt.Horizontal)
        else:
            window.resizeDocks([self.lessons_dock], [self.default_error_height()], Qt.Vertical)
            if not self.mode_3d:
                self.error_dock.raise_()
        window.resizeDocks([self.error_dock], [self.default_error_height()], Qt.Vertical)

    def save(self, settings: QSettings) -> None:
        settings.setValue("window/geometry", self.window.saveGeometry())
        settings.setValue("window/state", self.window.saveState())
        # The docks as the user left them in 2D (the 3D page and a presentation hide some for a while).
        settings.setValue("window/panels", json.dumps(self.panels_as_left()))

    def restore(self, settings: QSettings) -> None:
        """The window's size and panels as the last run left them (as in 2D, whatever mode it closed in)."""
        # A corrupt settings file may hold anything here; only bytes can be window geometry.
        geometry = settings.value("window/geometry")
        if isinstance(geometry, (QByteArray, bytes)) and self.window.restoreGeometry(geometry):
            self.apply_default_layout()  # for the restored size, should the docks' state be missing
        dock_state = settings.value("window/state")
        if isinstance(dock_state, (QByteArray, bytes)):
            self.window.restoreState(dock_state)
        saved = _saved_panels(settings)
        for dock in self.docks():
            shown = saved.get(dock.objectName())
            if shown is not None:
                dock.setVisible(shown)

    def repair(self) -> None:
        """Give a restored dock too small to use (a 15-pixel error plot) a usable size back."""
        window = self.window
        for dock, (min_width, min_height), inner in (
                (self.error_dock, USABLE_ERROR_PLOT, self.error_view),
                (self.lessons_dock, USABLE_LESSONS, self.lessons_dock.widget())):
            if not dock.isVisible():
                continue
            if dock.isFloating():
                if dock.width() < min_width or dock.height() < min_height:
                    dock.resize(max(dock.width(), 2 * min_width), max(dock.height(), 2 * min_height))
                continue
            if window.dockWidgetArea(dock) in (Qt.TopDockWidgetArea, Qt.BottomDockWidgetArea):
                if inner.height() < min_height:
                    window.resizeDocks([dock], [self.default_error_height()], Qt.Vertical)
            elif inner.width() < min_width:
                window.resizeDocks([dock], [max(2 * min_width, 260)], Qt.Horizontal)

    def set_mode_3d(self, on: bool) -> None:
        """The error-vs-step dock is about f(x); it makes room for the surface while in 3D and comes
        back, as the user left it, in 2D (after a presentation, if one is on)."""
        if on == self.mode_3d:
            return
        if on:
            self.error_dock_was_visible = self.panels_as_left()["errorDock"]
            self.mode_3d = True
            self.error_dock.hide()
        else:
            self.mode_3d = False
            if self.presentation is not None:
                self.presentation["errorDock"] = self.error_dock_was_visible
            elif self.error_dock_was_visible:
                self.error_dock.show()

    def show_lessons(self) -> None:
        if self.presentation is None:
            self.lessons_dock.show()
            self.lessons_dock.raise_()  # (its tab to the front, where it shares the place with the error plot)
        else:
            self.presentation["lessonsDock"] = True

    def set_presentation(self, on: bool, central: QWidget, formula: QLabel, big: list[QWidget],
                         views: list[QWidget]) -> None:
        """For a projector: larger text, lines and markers, and the docks out of the way; off puts
        everything back as it was (the docks as the user left them)."""
        if on:
            self.presentation = self.panels_as_left()
            for dock in self.docks():
                dock.hide()
            self.presentation_undo = present_widgets(central, formula, big, PRESENTATION_SCALE)
            for view in views:
                self.presentation_undo.extend(present_views(view, PRESENTATION_SCALE))
            return
        for undo in reversed(self.presentation_undo):
            undo()
        self.presentation_undo = []
        shown, self.presentation = self.presentation or {}, None
        for dock in self.docks():
            if dock is self.error_dock and self.mode_3d:
                self.error_dock_was_visible = shown.get("errorDock", True)
            else:
                dock.setVisible(shown.get(dock.objectName(), True))


def _saved_panels(settings: QSettings) -> dict[str, bool]:
    """The docks' visibility saved as the user left them (see ``panels_as_left``); {} if none or unreadable."""
    raw = settings.value("window/panels")
    try:
        data = json.loads(raw) if isinstance(raw, str) and len(raw) < 1000 else {}
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {name: shown for name, shown in data.items() if isinstance(name, str) and isinstance(shown, bool)}
