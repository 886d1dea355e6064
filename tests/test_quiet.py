"""Normal use prints nothing on the terminal: no NumPy, PyTensor or pyqtgraph warnings.

A scripted classroom session runs the real window (``derivgui.app.startup.run_gui``, compile processes
included) in a subprocess: it types expressions that are undefined, infinite or jumping in places,
moves a and Δa to ordinary and extreme values, zooms, plays the Δa → 0 sweep, checks a typed
derivative and opens the 3D view. Everything it writes to stderr is a warning someone would see.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

EXPRESSIONS_2D = ["log(x)", "1/x", "sqrt(x)", "x/x", "tan(x)", "abs(x)", "floor(x)", "exp(exp(x))", "1/0",
                  "log(-1)", "sign(x)", "x^x", "√x", "asin(x)", "0*log(x)"]
EXPRESSIONS_3D = ["x^2*y + y", "log(x*y)", "1/(x*y)", "sqrt(-x^2-y^2)"]

SESSION = r'''
import sys

from PyQt5.QtCore import QTimer
from PyQt5.QtWidgets import QApplication

import derivgui.ui.main_window as main_window
from derivgui.app.startup import run_gui

EXPRESSIONS_2D = {expressions_2d!r}
EXPRESSIONS_3D = {expressions_3d!r}
POINTS = ((0.0, 1.0), (-1.0, 0.5), (2.0, 1e-9), (0.0, -1e-15), (1e300, 1.0), (-1e300, 1e-3), (1.0, 1.0))


def steps(win):
    while win.compiled is None:
        yield
    for text in EXPRESSIONS_2D + EXPRESSIONS_3D:
        win.editor.set_text(text)
        while win.controller.last_result_text != text:
            yield
        win.check.edits["check-x"].setText("2x")
        win.check._submit("check-x")
        for _ in range(5):
            yield
        for a, delta in POINTS:
            win.point.setValue(a)
            win.step.setValue(delta)
            if len(win.compiled.variables) == 2:
                win.point_y.setValue(-a)
                win.step_y.setValue(delta)
            yield
        if len(win.compiled.variables) == 1:
            box = win.plot2d.getPlotItem().getViewBox()
            for x_range in ((-50, 50), (1 - 1e-6, 1 + 1e-6), (-1e5, 1e5), (-6, 6)):  # zoom out, in, far out
                box.setRange(xRange=x_range, padding=0)
                for _ in range(3):
                    yield
        if text in ("tan(x)", "x^2*y + y"):
            win.toggle_sweep()
            for _ in range(15):
                yield
            if win.sweep.is_running():
                win.toggle_sweep()
    print("session complete", flush=True)
    win.close()


def start(win):
    it = steps(win)

    def tick():
        try:
            next(it)
        except StopIteration:
            return
        QTimer.singleShot(20, tick)

    QTimer.singleShot(0, tick)


_show = main_window.MainWindow.show


def show(self):
    _show(self)
    start(self)


main_window.MainWindow.show = show
sys.exit(run_gui([]))
'''

# What the environment (not derivgui) may say: Qt without a runtime folder.
ALLOWED = ("QStandardPaths: XDG_RUNTIME_DIR not set",)


@pytest.mark.gl
def test_a_classroom_session_prints_nothing(tmp_path):
    script = tmp_path / "session.py"
    script.write_text(SESSION.format(expressions_2d=EXPRESSIONS_2D, expressions_3d=EXPRESSIONS_3D))
    env = dict(os.environ)
    env.update(PYTHONPATH=ROOT + os.pathsep + env.get("PYTHONPATH", ""), XDG_CONFIG_HOME=str(tmp_path / "config"),
               DERIVGUI_CACHE_DIR=str(tmp_path / "cache"))  # a cold cache: every expression is compiled
    for name in ("PYTHONWARNINGS", "DERIVGUI_QT_DEBUG"):
        env.pop(name, None)
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "session complete" in result.stdout
    printed = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith(ALLOWED)]
    assert printed == [], "\n".join(printed[:40])
