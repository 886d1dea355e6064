"""The compile process: answers like the in-process engine, survives being killed, and lets the
window's process run without PyTensor."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

from derivgui import ExpressionError, compile_expr
from derivgui.core.compile_process import CompileProcess, CompileProcessDied
from derivgui.core.compiled import Kernel
from derivgui.core.program import Runner


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
    value, slope = Runner(compiler.compile("x^2"))(np.array([3.0]))
    assert (value[0], slope[0]) == (9.0, 6.0)


def test_the_window_process_never_imports_pytensor(tmp_path):
    script = textwrap.dedent(f"""
        import os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        os.environ.setdefault("XDG_RUNTIME_DIR", {str(tmp_path)!r})
        from PyQt5.QtCore import QSettings
        from PyQt5.QtWidgets import QApplication
        from derivgui.ui.main_window import MainWindow
        app = QApplication([])
        window = MainWindow(settings=QSettings({str(tmp_path / "s.ini")!r}, QSettings.IniFormat))
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
