"""Start-up: with the program cache warm, the window's first plot needs no compile process; with
it cold, what the compile process built is saved for the next start; the 3D page waits for an f(x, y)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from derivgui.compiler import program_cache
from derivgui.compiler.compile_process import CompileProcessDied
from derivgui.expr.parse import parse
from derivgui.model.state import AppState
from derivgui.numeric.compiled import kernel_cache
from tests.ui.conftest import open_window, type_expression


class _SilentProcess:
    """A compile process that never answers (until it is killed)."""

    def __init__(self, pool: _SilentPool) -> None:
        self.pool = pool
        self._killed = threading.Event()

    def alive(self) -> bool:
        return not self._killed.is_set()

    def compile(self, text: str, budget_s=None):
        self.pool.requests.append(("compile", text))
        self._killed.wait(60)
        raise CompileProcessDied("killed")

    def formulas(self, text: str, budget_s=None):
        self.pool.requests.append(("formulas", text))
        self._killed.wait(60)
        raise CompileProcessDied("killed")

    def kill(self) -> None:
        self._killed.set()

    def stop(self) -> None:
        self._killed.set()


class _SilentPool:
    """Stands in for ``CompilerPool``: it records what is asked and never answers."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.acquired = 0

    def warm_up(self) -> None:
        pass

    def acquire(self, fresh: bool = False) -> _SilentProcess:
        self.acquired += 1
        return _SilentProcess(self)

    def release(self, process) -> None:
        process.stop()

    def discard(self, process) -> None:
        process.kill()


@pytest.fixture
def disk_cache(tmp_path, monkeypatch):
    """The on-disk cache turned on in a private folder, as ``derivgui.app.startup.run_gui`` turns it on."""
    monkeypatch.setenv(program_cache.ENV_DIR, str(tmp_path / "cache"))
    cache = program_cache.enable()
    kernel_cache.clear()  # the first compile must not come from an earlier test's kernels
    yield cache
    cache.flush()
    program_cache.disable()
    kernel_cache.clear()


def test_a_warm_cache_plots_without_the_compile_process(qtbot, settings, disk_cache, monkeypatch):
    from derivgui.compiler.engine import compile_program, derivative_formulas

    expression = parse(AppState().expression)
    formulas = derivative_formulas(expression)
    assert disk_cache.store(expression, compile_program(expression), formulas)  # as the last run left it
    kernel_cache.clear()
    pool = _SilentPool()
    monkeypatch.setattr("derivgui.ui.worker.shared_pool", lambda: pool)

    window = open_window(qtbot, settings, compiled=False)
    try:
        qtbot.waitUntil(lambda: window.compiled is not None, timeout=10000)
        assert window.compiled.expression.normalized == expression.normalized
        curve = window.plot2d.curve
        x = curve.x[np.isfinite(curve.x)]
        assert x.size > 100
        s = 1 / (1 + np.exp(-x))
        np.testing.assert_allclose(curve.df[np.isfinite(curve.x)], s * (1 - s), rtol=1e-12, atol=1e-300)
        qtbot.waitUntil(lambda: formulas[0] in window.formula.text(), timeout=5000)  # cached too
        assert pool.requests == []  # no compile process was asked anything
        assert disk_cache.loaded == 1 and disk_cache.stored == 1  # loaded once, not written again
    finally:
        window.close()


def test_a_cold_cache_is_filled_for_the_next_start(qtbot, settings, disk_cache):
    expression = parse(AppState().expression)
    assert disk_cache.load(expression) is None
    window = open_window(qtbot, settings, compiled=False)
    try:
        qtbot.waitUntil(lambda: window.compiled is not None, timeout=30000)
        qtbot.waitUntil(lambda: disk_cache.stored >= 1, timeout=30000)  # once the formulas are in
        disk_cache.flush()
        entry = disk_cache.load(expression)
        assert entry is not None and entry.formulas is not None and len(entry.formulas) == 1
        # An expression typed on the way to another (superseded) is not kept; the one plotted is.
        type_expression(qtbot, window, "x^3 - 2x")
        qtbot.waitUntil(lambda: disk_cache.load(parse("x^3 - 2x")) is not None, timeout=30000)
    finally:
        window.close()


def test_a_bad_cache_entry_is_compiled_again(qtbot, settings, disk_cache):
    expression = parse(AppState().expression)
    path = disk_cache.path_for(expression)
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"format": 1, "programs": "not this"}')
    window = open_window(qtbot, settings, compiled=False)
    try:
        qtbot.waitUntil(lambda: window.compiled is not None, timeout=30000)
        assert window.editor.text() == AppState().expression
        qtbot.waitUntil(lambda: disk_cache.load(expression) is not None, timeout=30000)  # replaced
    finally:
        window.close()


def test_the_3d_page_is_built_for_the_first_function_of_two_variables(qtbot, window):
    assert window._page3d is None  # an f(x) start needs no OpenGL
    assert window.views.count() == 1
    window.reset_camera()  # nothing to reset yet, and nothing built for it
    window.toggle_actions["plane"].setChecked(False)  # a toggle set before the page exists
    assert window._page3d is None
    type_expression(qtbot, window, "x*y")
    assert window._page3d is not None and window.views.currentWidget() is window.page3d
    assert window.plot3d is window.page3d.view and window.plot3d.objectName() == "plot3d"
    assert not window.plot3d.plane.visible()
    window.toggle_actions["plane"].setChecked(True)
    assert window.plot3d.plane.visible()
    type_expression(qtbot, window, "x^2")
    assert window.views.currentWidget() is window.plot2d
    type_expression(qtbot, window, "x*y + 1")
    assert window.views.currentWidget() is window.page3d and window.views.count() == 2


def test_any_window_opened_is_released_before_pyqts_exit_clean_up(qtbot, settings, monkeypatch):
    """Not only the derivgui command: a window a benchmark or a script opens is destroyed at exit
    before PyQt's own clean-up walks sip's wrappers (the crash of #12: benchmarks/ui.py ended in a
    segmentation fault in 1 of 3 runs when it opened its window without build_window)."""
    from derivgui.app import startup

    registered: list = []
    monkeypatch.setattr(startup, "_release_registered", False)
    monkeypatch.setattr("atexit.register", registered.append)
    window = open_window(qtbot, settings, compiled=False)
    assert registered == [startup.release_windows]  # (registered after PyQt's handler: it runs first)
    window.close()
