"""The compile process: answers like the in-process engine, survives being killed, and lets the
window's process run without PyTensor."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

from derivgui import ExpressionError, compile_expr
from derivgui.compiler.compile_process import (
    COMPILE_BUDGET_S,
    CompileProcess,
    CompileProcessDied,
    CompilerPool,
    CompileTimeout,
    compile_with_budget,
)
from derivgui.compiler.engine import derivative_formulas
from derivgui.expr.parse import parse
from derivgui.numeric.compiled import Kernel, kernel_cache

# Accepted by compile_expr, takes PyTensor's rewrites about 30 s (100 identical arguments).
SLOW = "*".join(["atan2(x, x)"] * 150)  # accepted by the language, and compiles for many seconds


def _slope_at_3(programs) -> tuple[float, float]:
    value, (slope,) = Kernel(programs, 1).evaluate((np.array([3.0]),))
    return value[0], slope[0]


@pytest.fixture(scope="module")
def compiler():
    process = CompileProcess()
    process.start()
    yield process
    process.stop()


def test_programs_from_the_child_match_the_engine(compiler):
    x = np.linspace(-3, 3, 11)
    y = np.linspace(0.5, 2, 11)
    for text in ("sigmoid(x)", "2x + sin(x)^2", "x^2*y + y", "sin(sqrt(x^2+y^2))", "5"):
        local = compile_expr(text)
        args = (x, y)[: len(local.variables)]
        kernel = Kernel(compiler.compile(text), len(local.variables))
        value, grads = kernel.evaluate(args)
        want_value, want_grads = local.value_and_grad(*args)
        np.testing.assert_array_equal(value, want_value)
        for got, want in zip(grads, want_grads, strict=True):
            np.testing.assert_array_equal(got, want)


def test_formulas_and_errors_cross_the_pipe(compiler):
    assert compiler.formulas("sigmoid(x)") == compile_expr("sigmoid(x)").derivative_formulas()
    with pytest.raises(ExpressionError) as info:
        compiler.compile("foo(x)")
    assert "foo" in info.value.message and info.value.column == 0


def test_killed_mid_compile_raises_then_restarts(compiler):
    """Quitting the window must not wait out a slow compile; the next request gets a new child."""
    huge = "+".join(f"sin({k}x)^{k % 5 + 2}" for k in range(1, 120))  # takes seconds to rewrite
    failure: list[BaseException] = []

    def ask() -> None:
        try:
            compiler.compile(huge)
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
            failure.append(exc)

    asking = threading.Thread(target=ask)
    asking.start()
    while not compiler._lock.locked():
        pass
    compiler.kill()
    asking.join(timeout=10)
    assert not asking.is_alive()
    assert len(failure) == 1 and isinstance(failure[0], CompileProcessDied)
    assert _slope_at_3(compiler.compile("x^2")) == (9.0, 6.0)


def test_a_compile_past_its_budget_is_stopped_and_reported(compiler):
    started = time.perf_counter()
    with pytest.raises(CompileTimeout) as info:
        compiler.compile(SLOW, budget_s=0.5)
    assert time.perf_counter() - started < 5
    assert isinstance(info.value, ExpressionError)
    assert info.value.message == "too complex to differentiate here (stopped after 0.5 s)"
    assert info.value.column is None
    assert _slope_at_3(compiler.compile("x^2")) == (9.0, 6.0)  # on a new child
    assert COMPILE_BUDGET_S == 5


def test_a_new_child_reports_its_startup_time(compiler):
    process = CompileProcess()
    try:
        process.compile("x")
        assert 0 < process.startup_s < 30
    finally:
        process.stop()


def test_the_child_parses_the_text_as_typed(compiler):
    """The normalized text is longer and deeper than what the user typed and can fail the limits."""
    for text in ("+".join(["x"] * 102), "-" * 99 + "x", "+".join(["2xy"] * 168)):
        with pytest.raises(ExpressionError):
            parse(parse(text).normalized)
        compiler.compile(text)
    assert len("+".join(["2xy"] * 168)) == 671


def test_compile_with_budget_for_the_command_line():
    kernel_cache.clear()
    compiled = compile_with_budget("sin(x)^2 + 3x")
    value, (slope,) = compiled.value_and_grad(np.array([0.0]))
    assert (value[0], slope[0]) == (0.0, 3.0)
    # printed in a child too, as compile_expr's would be in this process
    assert compiled.derivative_formulas() == derivative_formulas(parse("sin(x)^2 + 3x"))
    with pytest.raises(CompileTimeout, match=r"stopped after 0.5 s"):
        compile_with_budget(SLOW, budget_s=0.5)


def test_the_pool_keeps_a_warm_spare():
    pool = CompilerPool(spares=1, max_idle=2)
    try:
        pool.warm_up()
        first = pool.acquire()
        assert len(pool.idle_processes()) == 1  # a spare is starting while the first one works
        spare = pool.idle_processes()[0]
        assert first.compile("x") is not None
        pool.discard(first)  # as after a cancel or a timeout
        second = pool.acquire()
        assert second is spare and second.alive()
        assert _slope_at_3(second.compile("x^2")) == (9.0, 6.0)
        pool.release(second)
        assert second in pool.idle_processes()
    finally:
        pool.close()
    assert not pool.idle_processes()


def test_the_window_process_never_imports_pytensor(tmp_path):
    script = textwrap.dedent(f"""
        import os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        os.environ.setdefault("XDG_RUNTIME_DIR", {str(tmp_path)!r})
        from PyQt5.QtCore import QSettings
        from PyQt5.QtWidgets import QApplication
        from derivgui.app.startup import open_window
        app = QApplication([])
        window = open_window(QSettings({str(tmp_path / "s.ini")!r}, QSettings.IniFormat))
        window.show()
        while window.compiled is None:
            app.processEvents()
        value, (slope,) = window.compiled.value_and_grad(0.0)
        print(float(value), float(slope), "pytensor" in sys.modules)
        window.close()
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0.5", "0.25", "False"]
