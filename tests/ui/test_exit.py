"""The app ends without a crash however it is closed: 50 real processes, every order of ending.

Each child builds the window as ``derivgui`` does (``derivgui.app.startup.build_window``, private settings),
shows it, waits for the first plot, for the 3D page also for an f(x, y), and then ends in one of the
orders below. A negative return code is a signal: a crash at exit (it used to be a segmentation fault
in PyQt's exit-time clean-up in some runs, see ``derivgui.app.startup.release_windows``).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNS = 50
ORDERS = (
    "close",  # close the window, then the script ends (the start-up benchmark's child)
    "close-then-quit",  # close the window, then quit the event loop
    "quit",  # quit the event loop with the window open, then the script ends
    "exit",  # the script ends with the window open and no event loop ever run
    "last-window-closed",  # the window closes inside the event loop, which ends with it
    "run-gui",  # the derivgui command itself: run_gui, its QApplication a local that goes when it returns
)
PAGES = ("2d", "3d")

CHILD = r"""
import atexit, sys, time, weakref
order, page, ini = sys.argv[1], sys.argv[2], sys.argv[3]
from PyQt5 import sip
from PyQt5.QtWidgets import QApplication
from derivgui.app import startup as derivgui_app

LEFT = "LEFT FOR PYQT'S EXIT CLEAN-UP:"


def left_for_pyqt():
    # Runs after the app's own exit handler (registered later, by build_window) and before PyQt's,
    # which destroys whatever Python still owns from inside its walk over sip's wrappers.
    app = QApplication.instance()
    for widget in app.topLevelWidgets() if app is not None else []:
        if sip.ispyowned(widget):
            print(LEFT, type(widget).__name__, file=sys.stderr, flush=True)


atexit.register(left_for_pyqt)


def wait_for(qapp, condition, timeout=60.0):
    from PyQt5.QtCore import QEventLoop

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            sys.exit("timed out")
        qapp.processEvents(QEventLoop.AllEvents, 20)
        time.sleep(0.002)


def settle(qapp, window):
    # The first plot; for "3d" an f(x, y) on the 3D page; then a few frames drawn.
    wait_for(qapp, lambda: window.compiled is not None)
    if page == "3d":
        window.controller.request_compile("sin(x)*cos(y)")
        wait_for(qapp, lambda: window.compiled is not None and len(window.compiled.variables) == 2
                 and window.views.currentWidget() is window.page3d)
    end = time.monotonic() + 0.2
    wait_for(qapp, lambda: time.monotonic() > end)


if order == "run-gui":
    # The derivgui command: nothing here keeps the QApplication or the window alive.
    from PyQt5.QtCore import QTimer

    build = derivgui_app.build_window

    def build_window(*args, **kwargs):
        qapp, window = build(*args, **kwargs)
        refs = weakref.ref(qapp), weakref.ref(window)

        def drive():
            qapp, window = refs[0](), refs[1]()
            settle(qapp, window)
            window.close()  # the last window: the event loop ends and run_gui returns

        QTimer.singleShot(0, drive)
        # run_gui's QApplication goes when run_gui returns, and PyQt's clean-up runs then: by that
        # time the window must be gone.
        window.destroyed.connect(lambda *_: destroyed_in_run_gui())
        return qapp, window

    def destroyed_in_run_gui():
        frame = sys._getframe()
        while frame is not None and frame.f_code is not run_gui_code:
            frame = frame.f_back
        if frame is None:
            print(LEFT, "MainWindow (destroyed after run_gui returned)", file=sys.stderr, flush=True)

    run_gui_code = derivgui_app.run_gui.__code__

    derivgui_app.build_window = build_window
    sys.exit(derivgui_app.run_gui([]))

qapp, window = derivgui_app.build_window(settings_path=ini)
from PyQt5.QtCore import QTimer

window.show()
settle(qapp, window)
if order == "close":
    window.close()
elif order == "close-then-quit":
    window.close()
    QTimer.singleShot(0, qapp.quit)
    qapp.exec_()
elif order == "quit":
    QTimer.singleShot(0, qapp.quit)
    qapp.exec_()
elif order == "last-window-closed":
    QTimer.singleShot(0, window.close)
    qapp.exec_()
elif order != "exit":
    sys.exit(f"unknown order {order}")
"""


def _run(order: str, page: str, folder: Path, index: int, env: dict) -> tuple[str, str, int, str]:
    home = folder / f"run{index}"
    home.mkdir()
    # run_gui uses the user's settings: a private XDG_CONFIG_HOME for each run.
    env = dict(env, XDG_CONFIG_HOME=str(home))
    try:
        out = subprocess.run([sys.executable, "-c", CHILD, order, page, str(home / "derivgui.ini")], cwd=home,
                             env=env, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired as exc:
        return order, page, 999, f"timed out after 120 s: {exc.stderr}"
    return order, page, out.returncode, out.stderr


@pytest.mark.slow
def test_no_crash_at_exit_in_any_order():
    if not os.environ.get("DISPLAY") and not os.environ.get("QT_QPA_PLATFORM"):
        pytest.skip("needs a display (pytest-xvfb provides one)")
    cases = list(itertools.islice(itertools.cycle(itertools.product(ORDERS, PAGES)), RUNS))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    with tempfile.TemporaryDirectory(prefix="derivgui-exit-") as tmp:
        # One program cache for all the runs: after the first of each expression, no child waits for PyTensor.
        env["DERIVGUI_CACHE_DIR"] = str(Path(tmp) / "cache")
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda i: _run(*cases[i], Path(tmp), i, env), range(RUNS)))
    crashes = [r for r in results if r[2] < 0]
    failures = [r for r in results if r[2] != 0]
    report = "\n".join(f"{order} {page}: exit status {code}\n{err[-1500:]}" for order, page, code, err in failures[:3])
    assert not crashes, f"{len(crashes)} of {RUNS} runs crashed at exit (a signal):\n{report}"
    assert not failures, f"{len(failures)} of {RUNS} runs failed:\n{report}"
    # The cause, checked in every run (the crash itself needs an unlucky run): nothing Python owns with
    # widgets under it is left for PyQt's exit clean-up to destroy.
    left = sorted({(order, page, line) for order, page, _code, err in results for line in err.splitlines()
                   if line.startswith("LEFT FOR PYQT")})
    assert not left, "left for PyQt's exit clean-up:\n" + "\n".join(" ".join(item) for item in left)
