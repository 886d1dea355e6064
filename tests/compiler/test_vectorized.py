"""Every compiled node runs as one NumPy call: no per-point Python fallback."""

from __future__ import annotations

import numpy as np
import pytest
from pytensor.tensor.elemwise import Elemwise

import derivgui
from derivgui.compiler.engine import _runs_as_ufunc, rewritten_graph
from derivgui.expr.functions import FUNCTIONS
from derivgui.expr.parse import parse
from derivgui.numeric.program import resolve

CORPUS = [f"{name}({', '.join(['x', 'y', 'x'][: max(spec.min_args, 1)])})" for name, spec in FUNCTIONS.items()] + [
    "2x + sin(x)^2", "x^3 - 2x + 1", "x^2*y + y", "exp(-(x^2+y^2)) * cos(x y)", "e^-x", "x^x",
    "sec(x)*csc(x)*cot(x)", "softplus(x)*erf(x)", "max(x, y, 1)", "+".join(["x"] * 40), "5",
]


@pytest.mark.parametrize("text", CORPUS)
def test_every_elemwise_node_is_a_numpy_call(text):
    slow = [str(node.op) for node in rewritten_graph(parse(text)).toposort()
            if isinstance(node.op, Elemwise) and not _runs_as_ufunc(node)]
    assert slow == []
    steps = derivgui.compile_expr(text)._kernel.program.steps
    assert all(isinstance(resolve(s.function), np.ufunc) for s in steps if s.ufunc_float64)


@pytest.mark.parametrize("text", ["x+y", "x", "5", "x*y", "x^2*y + y"])
def test_results_are_fresh_arrays(text):
    f = derivgui.compile_expr(text)
    x = np.linspace(-2, 2, 7)
    y = np.linspace(1, 3, 7)
    args = (x, y)[: len(f.variables)]
    value, grads = f.value_and_grad(*args)
    outputs = (value, *grads)
    kept = [o.copy() for o in outputs]
    for a in outputs:
        assert a.flags.writeable
        for b in outputs:
            assert a is b or not np.shares_memory(a, b)
        assert not any(np.shares_memory(a, arg) for arg in args)
    f.value_and_grad(*(2 * a for a in args))  # a second call must not change the first's results
    for a, b in zip(outputs, kept, strict=True):
        np.testing.assert_array_equal(a, b)


def test_softplus_and_max_values_and_derivatives():
    sp = derivgui.compile_expr("softplus(x)")
    value, (slope,) = sp.value_and_grad(np.array([-800.0, 0.0, 800.0]))
    np.testing.assert_allclose(value, [0.0, np.log(2), 800.0])
    np.testing.assert_allclose(slope, [0.0, 0.5, 1.0])
    mx = derivgui.compile_expr("max(x, y)")
    value, (gx, gy) = mx.value_and_grad(np.array([1.0, 2.0]), np.array([2.0, 1.0]))
    np.testing.assert_array_equal(value, [2.0, 2.0])
    np.testing.assert_array_equal(gx, [0.0, 1.0])
    np.testing.assert_array_equal(gy, [1.0, 0.0])
