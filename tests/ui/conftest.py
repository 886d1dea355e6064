"""Fixtures for tests that drive the real window with pytest-qt."""

from __future__ import annotations

import traceback
from weakref import WeakKeyDictionary

import pytest
from PyQt5.QtCore import QSettings, QThread


@pytest.fixture(autouse=True)
def _dangling_qthreads(monkeypatch, qtbot):
    """Fail a test that leaves a QThread running (napari's guard, adapted)."""
    started: WeakKeyDictionary = WeakKeyDictionary()
    original_start = QThread.start

    def recording_start(self, *args):
        started[self] = "".join(traceback.format_stack(limit=6)[:-1])
        original_start(self, *args)

    monkeypatch.setattr(QThread, "start", recording_start)
    yield
    running = []
    for thread, where in list(started.items()):
        try:
            if thread.isRunning():
                running.append(where)
        except RuntimeError:  # the C++ object is already gone: not running
            pass
    if running:
        for thread in list(started):
            try:
                thread.quit()
                thread.wait(2000)
            except RuntimeError:
                pass
        pytest.fail("QThread left running after the test, started at:\n" + "\n".join(running))


@pytest.fixture
def settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "derivgui.ini"), QSettings.IniFormat)


@pytest.fixture(scope="module")
def compiled():
    """``compiled(text)``: ``compile_expr(text)``, compiled once per text in a test module."""
    from derivgui import compile_expr

    cache = {}

    def compile_once(text: str):
        if text not in cache:
            cache[text] = compile_expr(text)
        return cache[text]

    return compile_once


def open_window(qtbot, settings, compiled: bool = True):
    """A real main window with ``settings``, shown; with ``compiled``, once its plot has compiled."""
    from derivgui.app import startup

    win = startup.open_window(settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    if compiled:
        qtbot.waitUntil(lambda: win.compiled is not None, timeout=20000)
    return win


@pytest.fixture
def window(qtbot, settings):
    """The real main window with private settings, shown, with the default plot compiled."""
    win = open_window(qtbot, settings)
    yield win
    win.close()


def type_expression(qtbot, window, text: str, wait: bool = True) -> None:
    """Replace the editor's text by typing, press Enter, and wait for the result."""
    from PyQt5.QtCore import Qt

    line = window.editor.line
    line.selectAll()
    qtbot.keyClick(line, Qt.Key_Backspace)
    qtbot.keyClicks(line, text)
    qtbot.keyClick(line, Qt.Key_Return)
    if wait:
        qtbot.waitUntil(lambda: window.controller.last_result_text == text, timeout=20000)


def pytest_configure(config):
    # Every window in the session shares GL resources (shader programs) with Qt's global context,
    # as the app itself does; without it, a program compiled for a closed window's context is invalid.
    from PyQt5.QtCore import QCoreApplication, Qt

    QCoreApplication.setAttribute(Qt.AA_ShareOpenGLContexts)
