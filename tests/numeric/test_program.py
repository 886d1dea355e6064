"""A ``Program`` computes exactly what PyTensor's own compiled function computes.

The engine links PyTensor's rewritten graph into a list of NumPy calls instead of using
``pytensor.function``; these tests hold the two side by side on random expressions, at small
sizes and at sizes where the program reuses dying buffers.
"""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytensor
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derivgui import compile_expr
from derivgui.compiler.engine import compile_mode, symbolic_gradient
from derivgui.expr.parse import parse
from derivgui.numeric import program as program_module
from derivgui.numeric.program import Program, Runner, Step, dimshuffle, resolve
from tests.compiler.test_fuzz import _extend, explicit, leaves


def reference(text: str):
    """``pytensor.function`` over the same graph with the same rewrites."""
    expression = parse(text)
    inputs, value, grads = symbolic_gradient(expression)
    return pytensor.function([inputs[n] for n in expression.variables], [value, *grads],
                             mode=compile_mode(), on_unused_input="ignore")


def assert_same_as_pytensor(text: str, size: int) -> None:
    f = compile_expr(text)  # a well-formed expression must compile: no ExpressionError here
    rng = np.random.default_rng(size)
    args = [rng.uniform(-3, 3, size) for _ in f.variables]
    expected = [np.broadcast_to(e, (size,)) for e in reference(text)(*args)]
    value, grads = f.value_and_grad(*args)
    # The same values, inf and NaN, except where the typed expression is undefined (cot(0), a division by
    # zero, also inside atan2(2, cot(0))): there PyTensor's value is kept and ours is NaN (core/domain.py).
    undefined = np.isnan(value) & ~np.isnan(expected[0])
    finite = np.isfinite(expected[0]) & ~undefined
    np.testing.assert_array_equal(value[~finite & ~undefined], expected[0][~finite & ~undefined])
    for got, want in zip((value, *grads), expected, strict=True):
        np.testing.assert_allclose(got[finite], want[finite], rtol=1e-13, atol=0)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(leaves, _extend, max_leaves=6).map(explicit), st.sampled_from([1, 7, 5000]))
def test_random_expressions_match_pytensor_function(text, size):
    assert_same_as_pytensor(text, size)


@pytest.mark.parametrize("text", ["x^3 - 2x + 1", "sin(sqrt(x^2+y^2))", "exp(-(x^2+y^2)) * cos(x y)",
                                  "sigmoid(x) * softplus(x) + erf(x)", "max(x, y, 1) + min(x, 0)", "5", "x", "y"])
def test_buffer_reuse_at_large_sizes_keeps_values(text):
    assert_same_as_pytensor(text, 100_000)


def test_programs_pickle_and_run_without_pytensor():
    """What the compile process sends: a pickle that a PyTensor-free process can run."""
    blob = pickle.dumps(compile_expr("x^2*y + y")._kernel.program)
    code = (
        "import pickle, sys, numpy as np\n"
        "from derivgui.numeric.program import Runner\n"
        "program = pickle.loads(sys.stdin.buffer.read())\n"
        "value, gx, gy = Runner(program)(np.array([1.0]), np.array([2.0]))\n"
        "assert 'pytensor' not in sys.modules, 'pytensor was imported'\n"
        "print(float(value[0]), float(gx[0]), float(gy[0]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], input=blob, capture_output=True, check=True)
    assert out.stdout.split() == [b"4.0", b"4.0", b"2.0"]


def test_a_step_can_only_name_allowed_modules():
    assert resolve("numpy.add") is np.add
    assert resolve("derivgui.numeric.program.alloc") is program_module.alloc
    for name in ("os.system", "builtins.eval", "subprocess.run", "numpy"):
        with pytest.raises(ValueError, match="may not call"):
            resolve(name)
    with pytest.raises(ValueError):
        Runner(Program(1, (), (Step("os.system", (0,), 1),), (1,), 2))


def test_results_never_alias_inputs_constants_or_each_other():
    x = np.linspace(-1, 1, 5000)
    for text in ("x", "x + 0", "5", "x*y", "y"):
        f = compile_expr(text)
        args = (x, x + 1)[: len(f.variables)]
        value, grads = f.value_and_grad(*args)
        outputs = (value, *grads)
        for i, a in enumerate(outputs):
            assert not any(np.shares_memory(a, arg) for arg in args)
            assert not any(np.shares_memory(a, b) for b in outputs[i + 1:])
        value[:] = 123.0  # scribbling on a result changes nothing for the next call
        np.testing.assert_array_equal(f(*args), compile_expr(text)(*args))


def test_dimshuffle_matches_numpy():
    a = np.arange(6.0).reshape(2, 3)
    assert dimshuffle(a, (1, 0)).shape == (3, 2)
    assert dimshuffle(np.array([4.0]), ()).shape == ()
    assert dimshuffle(np.array(2.0), ("x",)).shape == (1,)
    assert dimshuffle(np.arange(3.0), ("x", 0, "x")).shape == (1, 3, 1)
