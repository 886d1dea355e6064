"""A compiled function with capabilities (issue #14): parameters, derivatives of order 0 to 8, the
Hessian, named outputs, and the request that carries them through the kernel cache, the program
cache and the compile process. Ground truth is sympy's exact derivative, evaluated by mpmath at
450 digits on the exact binary value of each point (so nothing cancels in the reference, even at
1e-200), then rounded to a double."""

from __future__ import annotations

import functools
import json
import math
import pickle
from dataclasses import replace

import mpmath
import numpy as np
import pytensor
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytensor import tensor as pt

import derivgui
from derivgui import CompileRequest, ExpressionError, compile_expr
from derivgui.compiler import jet
from derivgui.compiler.compile_process import CompileProcess, compile_with_budget
from derivgui.compiler.engine import build_graph, compile_mode, compile_program, derivative_formulas, kernel_for
from derivgui.compiler.program_cache import FORMAT, ProgramCache, decode, encode
from derivgui.compiler.request import parse_request
from derivgui.numeric.compiled import Derivative, Kernel, kernel_cache
from tests.compiler.test_fuzz import _extend, explicit, leaves

X, Y = sp.symbols("x y")
K, W, A, B, C, M, S = sp.symbols("k w a b c m s")

# Observed: at most 2e-14 relative for f⁽ⁿ⁾ at these points (the recurrences add a few roundings per
# order), 1e-15 for the parameters' derivatives, 8e-14 for the Hessians but one (below).
RTOL = 1e-11
# Near the subnormals precision is lost anyway: the 2nd derivative of eˣ at −745 (4.9e-324) is
# 2!·(eˣ/2!), and eˣ/2! already underflows to 0.
ATOL = 1e-306


def exact(expression, **values) -> float:
    """``expression`` at the exact binary values of the given doubles, to a double (±inf past its range)."""
    function = sp.lambdify([sp.Symbol(name) for name in values], expression, "mpmath")
    with mpmath.workdps(450):
        result = function(*(mpmath.mpf(float(v)) for v in values.values()))
        if isinstance(result, mpmath.mpc):
            return math.nan if result.imag != 0 else float(result.real)
        return float(result) if mpmath.isfinite(result) else (math.copysign(math.inf, result)
                                                               if mpmath.isinf(result) else math.nan)


def assert_close(got, want: float, rtol: float = RTOL, context: object = "") -> None:
    got = float(np.asarray(got).reshape(-1)[0])
    if math.isnan(want) or math.isinf(want):
        assert got == want or (math.isnan(want) and math.isnan(got)), (context, got, want)
        return
    assert abs(got - want) <= rtol * abs(want) + ATOL or got == want, (context, got, want,
                                                                       abs(got - want) / abs(want))


# -- the default request: everything as before ------------------------------------------------


def test_compile_expr_of_text_is_unchanged():
    f = compile_expr("x^2*y + y")
    assert (f.variables, f.parameters) == (("x", "y"), ())
    assert repr(f) == "CompiledExpression('x^2*y + y', variables=('x', 'y'))"
    assert f.output_names == ("value", "d1/x", "d1/y")
    assert f(1.0, 2.0) == 4.0
    gx, gy = f.grad(np.array([1.0, 3.0]), np.array([2.0, 1.0]))
    np.testing.assert_array_equal(gx, [4.0, 6.0])
    np.testing.assert_array_equal(gy, [2.0, 10.0])
    value, (dx, dy) = f.value_and_grad(1.0, 2.0)
    assert (value, dx, dy) == (4.0, 4.0, 2.0)
    with pytest.raises(TypeError, match=r"takes 2 argument\(s\) \(x, y\), got 1"):
        f(1.0)
    g = compile_expr("abs(x)")
    assert g.derivative_at(0.0).kind == "kink"
    # the window's default request shares the kernel cache's entry under the normalized text
    assert kernel_cache.get(g.expression) is g._kernel


def test_the_default_request_is_what_the_window_compiles():
    request = CompileRequest("sin(x)")
    assert request.is_default and request.key == ""
    assert request.cache_key(parse_request(request)) == parse_request(request).normalized == "sin(x)"
    programs = compile_program(parse_request(request))
    assert programs.main.output_names == ("value", "d1/x")
    assert programs.main.input_names == ("x",)
    assert programs.verdicts


# -- parameters --------------------------------------------------------------------------------


PARAMETERIZED = [
    ("k*sin(w x)", ("k", "w"), K * sp.sin(W * X)),
    ("ax^2 + bx + c", ("a", "b", "c"), A * X**2 + B * X + C),  # run-together names split as xy is
    ("exp(-(x - m)^2/(2 s^2))/(s sqrt(2pi))", ("m", "s"), sp.exp(-(X - M)**2 / (2 * S**2)) / (S * sp.sqrt(2 * sp.pi))),
    ("k*sigmoid(w*(x - m))", ("k", "w", "m"), K / (1 + sp.exp(-W * (X - M)))),
    ("x^k", ("k",), X**K),
]


@pytest.mark.parametrize("text, names, formula", PARAMETERIZED)
def test_parameters_value_gradient_and_parameter_derivatives(text, names, formula):
    f = compile_expr(text, parameters=names)
    assert f.parameters == names and f.variables == ("x",)
    assert f.output_names == ("value", "d1/x", *(f"d1/{p}" for p in names))
    rng = np.random.default_rng(len(text))
    for _ in range(5):
        values = {p: float(rng.uniform(0.5, 2.5)) for p in names}
        x = float(rng.uniform(0.2, 3.0))
        point = {"x": x, **values}
        assert_close(f(x, **values), exact(formula, **point), context=(text, point))
        assert_close(f.grad(x, **values)[0], exact(sp.diff(formula, X), **point), context=(text, point))
        grads = f.parameter_grad(x, **values)
        assert list(grads) == list(names)
        for p in names:
            assert_close(grads[p], exact(sp.diff(formula, sp.Symbol(p)), **point), context=(text, p, point))


def test_parameters_of_two_variables_and_broadcasting():
    f = compile_expr("k*x*y + sin(w*y)", parameters=("k", "w"))
    x = np.linspace(-1, 1, 5)[:, None]
    y = np.linspace(0, 2, 3)[None, :]
    value, (dx, dy) = f.value_and_grad(x, y, k=1.5, w=np.array([1.0, 2.0, 3.0]))  # a parameter may be an array
    w = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(value, 1.5 * x * y + np.sin(w * y), rtol=1e-15)
    np.testing.assert_allclose(dx, np.broadcast_to(1.5 * y, (5, 3)), rtol=1e-15)
    np.testing.assert_allclose(dy, 1.5 * x + w * np.cos(w * y), rtol=1e-15)
    grads = f.parameter_grad(x, y, k=1.5, w=w)
    np.testing.assert_allclose(grads["k"], x * y + 0 * w, rtol=1e-15)
    np.testing.assert_allclose(grads["w"], np.broadcast_to(y * np.cos(w * y), (5, 3)), rtol=1e-15)
    assert f.hessian(0.5, 1.0, k=2.0, w=3.0) == pytest.approx(
        np.array([[0.0, 2.0], [2.0, -9.0 * math.sin(3.0)]]), rel=1e-14, abs=1e-15)


def test_a_parameter_absent_from_the_text_and_a_parameter_used_as_a_factor():
    f = compile_expr("x^2", parameters=("k",))
    assert f(3.0, k=5.0) == 9.0 and f.parameter_grad(3.0, k=5.0)["k"] == 0.0
    g = compile_expr("k(x + 1)", parameters=("k",))  # k(...) is a product, as x(x + 1) is
    assert g(1.0, k=3.0) == 6.0


def test_missing_and_unexpected_parameter_keywords():
    f = compile_expr("k*sin(w x)", parameters=("k", "w"))
    with pytest.raises(TypeError, match=r"missing parameter\(s\) w"):
        f(1.0, k=2.0)
    with pytest.raises(TypeError, match=r"missing parameter\(s\) k, w"):
        f.grad(1.0)
    with pytest.raises(TypeError, match=r"unexpected parameter\(s\) q .*its parameters are k, w"):
        f(1.0, k=1.0, w=1.0, q=1.0)
    with pytest.raises(TypeError, match=r"takes 1 argument\(s\) \(x\) and the parameters as keywords, got 2"):
        f(1.0, 2.0, k=1.0, w=1.0)
    with pytest.raises(TypeError, match="it has no parameters"):
        compile_expr("sin(x)")(1.0, k=2.0)


def test_verdicts_and_holes_with_parameters():
    f = compile_expr("abs(x - k)", parameters=("k",))
    v = f.derivative_at(2.0, k=2.0)
    assert (v.kind, v.left, v.right) == ("kink", -1.0, 1.0)
    assert f.derivative_at(1.0, k=2.0).value == -1.0
    g = compile_expr("(x^2 - k^2)/(x - k)", parameters=("k",))
    assert g.holes(-5.0, 5.0, k=2.0) == [(2.0, pytest.approx(4.0))]
    assert g.holes(-5.0, 5.0, 101, k=-1.5) == [(-1.5, pytest.approx(-3.0))]
    changes = f.branch_changes(np.array([0.0, 1.0, 3.0]), k=2.0)
    np.testing.assert_array_equal(changes, [False, True])
    with pytest.raises(TypeError, match="missing parameter"):
        f.derivative_at(2.0)


# -- derivative(n) -----------------------------------------------------------------------------

FUNCTIONS = {
    "sin(x)": sp.sin(X), "cos(x)": sp.cos(X), "exp(x)": sp.exp(X), "x^5": X**5, "x^3 - 2x + 1": X**3 - 2 * X + 1,
    "log(x)": sp.log(X), "sigmoid(x)": 1 / (1 + sp.exp(-X)), "1/(1+exp(-x))": 1 / (1 + sp.exp(-X)),
    "exp(x)/(1+exp(x))": sp.exp(X) / (1 + sp.exp(X)), "tanh(x)": sp.tanh(X), "atan(x)": sp.atan(X),
    "1/x": 1 / X, "exp(-x^2/2)": sp.exp(-X**2 / 2), "sqrt(x)": sp.sqrt(X),
    "x*abs(x)": sp.Piecewise((X**2, X >= 0), (-X**2, True)),
    "x^2.5": X**sp.Rational(5, 2), "softplus(x)": sp.log(1 + sp.exp(X)), "log(1+exp(x))": sp.log(1 + sp.exp(X)),
    "erf(x)": sp.erf(X), "x^x": X**X, "sin(x)^2*cos(3x)/(1+x^2)": sp.sin(X)**2 * sp.cos(3 * X) / (1 + X**2),
    # functions of constants alone (log 2, log10 0.5) in float64, not in PyTensor's float32 for 0.5 or 2.0
    "2^x": 2**X, "cbrt(x)/log10(0.5)": sp.Piecewise((sp.root(X, 3), X >= 0), (-sp.root(-X, 3), True)) / sp.log(
        sp.Rational(1, 2), 10),
}
ORDINARY = [0.7, -1.3, 2.5]
EDGES = [0.0, 1e-8, -1e-8, 1e-200, 30.0, -30.0, 40.0, -745.0, 800.0, 1e3, 1e8, 1e150]
# Points where the true derivative does not exist, checked on their own below.
UNDEFINED = {("sqrt(x)", 0.0), ("x*abs(x)", 0.0), ("x^2.5", 0.0), ("cbrt(x)/log10(0.5)", 0.0)}
# Not about derivatives: the value, computed as typed (log(1 + eˣ) at −30 keeps 3 digits: the engine
# leaves log(1 + u) as typed, see engine.compile_mode), and f itself ill-conditioned (cos(3x) at
# 1e150, where 3x is rounded). And a limit of Taylor arithmetic: x^x at 1e-200, whose f″ is 1e200
# but whose series of log x has a 2nd coefficient −1/(2x²) = −5e399, which overflows (so f″ = −inf).
SKIPPED = {("log(1+exp(x))", -30.0, 0), ("sin(x)^2*cos(3x)/(1+x^2)", 1e150, None), ("x^x", 1e-200, None)}


@functools.cache
def sympy_derivatives(text: str) -> tuple:
    out = [FUNCTIONS[text]]
    for _ in range(8):
        out.append(sp.diff(out[-1], X))
    return tuple(out)


@pytest.mark.parametrize("text", FUNCTIONS)
def test_derivatives_of_order_0_to_8_against_sympy(text):
    f = compile_expr(text)
    derivatives = [f.derivative(n) for n in range(9)]
    assert derivatives[0] is f
    points = [a for a in ORDINARY + EDGES if (text, a) not in UNDEFINED]
    for a in points:
        x = np.array([a])
        finite = bool(np.isfinite(f(x))[0])
        for n, derivative in enumerate(derivatives):
            if (text, a, n) in SKIPPED or (text, a, None) in SKIPPED:
                continue
            got = derivative(x)
            if not finite:  # where f is not finite (overflow, outside its domain), neither is f⁽ⁿ⁾
                assert np.isnan(got[0]) or n == 0, (text, a, n)
                continue
            assert_close(got, exact(sympy_derivatives(text)[n], x=a), context=(text, a, n))


def test_derivatives_where_they_do_not_exist():
    """One-sided infinities for roots at 0; at a kink, the higher orders follow autodiff's convention
    (abs′(0) = 0, as the gradient does): it is derivative_at that judges whether f′ exists."""
    at_0 = np.array([0.0])
    assert [float(compile_expr("sqrt(x)").derivative(n)(at_0)[0]) for n in (1, 2, 3)] == [math.inf, -math.inf, math.inf]
    x25 = compile_expr("x^2.5")
    assert [float(x25.derivative(n)(at_0)[0]) for n in range(5)] == [0.0, 0.0, 0.0, math.inf, -math.inf]
    x_abs = compile_expr("x*abs(x)")
    assert [float(x_abs.derivative(n)(at_0)[0]) for n in range(4)] == [0.0, 0.0, 0.0, 0.0]
    assert compile_expr("log(x)").derivative(3)(np.array([-1.0]))[0] != compile_expr("log(x)").derivative(3)(
        np.array([-1.0]))[0]  # NaN: log is undefined there


def test_derivative_objects():
    f = compile_expr("sin(x)")
    d3 = f.derivative(3)
    assert isinstance(d3, Derivative) and d3.order == 3 and repr(d3) == "Derivative('sin(x)', order=3)"
    np.testing.assert_allclose(d3(np.array([0.0, 1.0])), [-1.0, -math.cos(1.0)], rtol=1e-15)
    assert d3.derivative(0)(0.5) == d3(0.5) and d3.derivative(2)(0.5) == pytest.approx(math.cos(0.5), rel=1e-15)
    assert f.derivative(3)._kernel is d3._kernel  # compiled once
    assert f.derivative(1)(0.25) == f.grad(0.25)[0]  # order 1 is the gradient, no compile
    with pytest.raises(ValueError, match="0 to 8"):
        f.derivative(9)
    with pytest.raises(ValueError, match="0 to 8"):
        f.derivative(-1)
    with pytest.raises(ValueError):
        d3.derivative(6)
    with pytest.raises(TypeError, match=r"for f\(x\)"):
        compile_expr("x*y").derivative(2)
    g = compile_expr("k*sin(w x)", parameters=("k", "w"))
    assert g.derivative(4)(0.5, k=2.0, w=3.0) == pytest.approx(2.0 * 81.0 * math.sin(1.5), rel=1e-14)


def test_derivatives_compiled_with_the_function():
    f = compile_expr("atan(x)", orders=(1, 2, 5))
    assert f.output_names == ("value", "d1/x", "d2/x", "d5/x")
    kernel = f._kernel
    assert f.derivative(5)._kernel is kernel  # nothing more to compile
    out = f.outputs(("d5/x", "d2/x"), np.array([0.5, 2.0]))
    assert list(out) == ["d5/x", "d2/x"]
    for a, d5, d2 in zip([0.5, 2.0], out["d5/x"], out["d2/x"], strict=True):
        assert_close(d5, exact(sp.diff(sp.atan(X), X, 5), x=a))
        assert_close(d2, exact(sp.diff(sp.atan(X), X, 2), x=a))
    with pytest.raises(KeyError, match="d3/x"):
        f.outputs("d3/x", 1.0)
    # The value and gradient of a kernel that has more run only their own steps.
    assert len(f._kernel._run.program.steps) < len(f._kernel.program.steps)


def test_high_orders_compile_small_programs():
    """Taylor arithmetic keeps f⁽⁸⁾ small where repeated pytensor.grad swelled (1/x: 11 805 steps)."""
    for text, most in (("1/x", 40), ("atan(x)", 60), ("sqrt(1+x^2)*atan(x)/log(2+x^2)", 600)):
        request = CompileRequest(text, orders=(8,), verdicts=False)
        assert len(compile_program(parse_request(request), request).main.steps) <= most, text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(leaves, _extend, max_leaves=6).map(explicit), st.sampled_from([2, 3]))
def test_taylor_arithmetic_agrees_with_repeated_grad(text, order):
    """An independent method on random expressions: PyTensor's own grad of grad (of grad), which is
    exact but swells. They agree wherever both are finite, and the jet is finite wherever f and
    that are (600 examples agreed to 1e-8 when this was written)."""
    text = text.replace("y", "x")
    try:
        f = compile_expr(text)
    except ExpressionError:
        return
    expression = parse_request(text)
    x_input = pt.dvector("x")
    d = build_graph(expression.tree, {"x": x_input})
    for _ in range(order):
        d = pytensor.grad(d.sum(), x_input, disconnected_inputs="ignore")
    reference = pytensor.function([x_input], d, mode=compile_mode(), on_unused_input="ignore")
    x = np.random.default_rng(order).uniform(-3, 3, 40)
    with np.errstate(all="ignore"):
        want = np.broadcast_to(reference(x), x.shape)
    got = f.derivative(order)(x)
    both = np.isfinite(want) & np.isfinite(got)
    np.testing.assert_allclose(got[both], want[both], rtol=1e-8, atol=1e-12, err_msg=text)
    assert not (np.isfinite(want) & ~np.isfinite(got) & np.isfinite(f(x))).any(), text


def test_jets_with_the_numpy_backend():
    """The recurrences alone, on NumPy: the same numbers as the compiled programs."""
    expression = parse_request("erf(x)*softplus(x) + atan2(x, 2)")
    x = np.array([-0.4, 0.9])
    values = jet.derivatives_along(jet.numpy_backend(), expression.tree, {"x": x}, "x", 6)
    f = compile_expr(expression.text)
    for n in range(1, 7):
        np.testing.assert_allclose(values[n], f.derivative(n)(x), rtol=1e-13)


# -- the Hessian -------------------------------------------------------------------------------

HESSIANS = {
    "sin(x*y) + x^3 y": sp.sin(X * Y) + X**3 * Y, "exp(-(x^2+y^2))*cos(x y)": sp.exp(-(X**2 + Y**2)) * sp.cos(X * Y),
    "x^2*y + y": X**2 * Y + Y, "log(x^2 + y^2)": sp.log(X**2 + Y**2), "sigmoid(x y)": 1 / (1 + sp.exp(-X * Y)),
    "atan2(y, x)": sp.atan2(Y, X), "sqrt(x^2+y^2)": sp.sqrt(X**2 + Y**2),
}


# By autodiff (grad of the gradient): f_yy of √(x² + y²) is 1/r − y²/r³, which cancels where x ≪ y
# (5.6e-10 relative at (1e-3, 2)); elsewhere 1e-13 at worst.
HESSIAN_RTOL = {"sqrt(x^2+y^2)": 1e-8}


@pytest.mark.parametrize("text", HESSIANS)
def test_hessian_against_sympy(text):
    f = compile_expr(text)
    formula = HESSIANS[text]
    entries = [[sp.diff(formula, a, b) for b in (X, Y)] for a in (X, Y)]
    points = [(0.7, -1.3), (2.5, 0.4), (-1.1, -0.9), (1e-3, 2.0), (12.0, 3.0)]
    xs = np.array([p[0] for p in points])
    ys = np.array([p[1] for p in points])
    hessians = f.hessian(xs, ys)
    assert hessians.shape == (len(points), 2, 2)
    for (a, b), h in zip(points, hessians, strict=True):
        for i in range(2):
            for j in range(2):
                assert_close(h[i, j], exact(entries[i][j], x=a, y=b), rtol=HESSIAN_RTOL.get(text, 1e-11),
                             context=(text, a, b, i, j))
    assert f.hessian(0.7, -1.3).shape == (2, 2)


def test_hessian_requests():
    f = compile_expr("x^2*y^3", hessian=True)
    assert f.output_names == ("value", "d1/x", "d1/y", "d2/xx", "d2/xy", "d2/yy")
    np.testing.assert_array_equal(f.hessian(1.0, 2.0), [[16.0, 24.0], [24.0, 12.0]])
    with pytest.raises(TypeError, match=r"for f\(x, y\)"):
        compile_expr("x^2").hessian(1.0)
    with pytest.raises(ExpressionError, match=r"the Hessian is for f\(x, y\)"):
        compile_expr("x^2", hessian=True)
    with pytest.raises(ExpressionError, match=r"order 3 are for f\(x\)"):
        compile_expr("x*y", orders=(1, 3))


# -- requests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("arguments, message", [
    ({"orders": (0,)}, "from 1 to 8"), ({"orders": (9,)}, "from 1 to 8"), ({"orders": (1.5,)}, "from 1 to 8"),
    ({"orders": (True,)}, "from 1 to 8"), ({"orders": 2}, "must be a tuple"), ({"orders": "12"}, "must be a tuple"),
    ({"parameters": "kw"}, "must be a tuple"), ({"parameters": ("x",)}, "'x' is a variable"),
    ({"parameters": ("y",)}, "'y' is a variable"), ({"parameters": ("pi",)}, "'pi' is a constant"),
    ({"parameters": ("e",)}, "'e' is a constant"), ({"parameters": ("sin",)}, "'sin' is a function"),
    ({"parameters": ("ln",)}, "'ln' is a function"), ({"parameters": ("2k",)}, "named by a letter"),
    ({"parameters": ("",)}, "named by a letter"), ({"parameters": ("k w",)}, "named by a letter"),
    ({"parameters": (3,)}, "named by a letter"), ({"parameters": ("k", "k")}, "named twice"),
    ({"parameters": tuple(f"p{i}" for i in range(17))}, "at most 16"), ({"hessian": 1}, "True or False"),
    ({"verdicts": None}, "True or False"),
])
def test_request_validation(arguments, message):
    with pytest.raises(ExpressionError, match=message):
        CompileRequest("x", **arguments)


def test_unknown_names_keep_their_message():
    with pytest.raises(ExpressionError, match="x and y are the only variables; found 'k'") as info:
        compile_expr("k*x")
    assert info.value.column == 0
    with pytest.raises(ExpressionError, match="found 'q'") as info:
        compile_expr("k*q*x", parameters=("k",))
    assert info.value.column == 2
    with pytest.raises(ExpressionError, match="unknown function 'k'"):
        compile_expr("k(x)")


def test_requests_are_normalized_hashable_and_picklable():
    a = CompileRequest("x", orders=[3, 1, 3], parameters=["k"])
    b = CompileRequest("x", ("k",), (1, 3))
    assert a == b and hash(a) == hash(b) and a.orders == (1, 3) and a.parameters == ("k",)
    assert pickle.loads(pickle.dumps(a)) == a and pickle.loads(pickle.dumps(a)).key == a.key
    assert replace(a, orders=(2,)).key != a.key
    assert a.output_names(("x",)) == ("value", "d1/x", "d1/k", "d3/x")


def test_cache_keys_of_different_requests_differ():
    requests = [CompileRequest("x^2"), CompileRequest("x^2", ("k",)), CompileRequest("x^2", orders=(1, 2)),
                CompileRequest("x^2", orders=(2,)), CompileRequest("x^2", verdicts=False),
                CompileRequest("x^2", ("k",), verdicts=False), CompileRequest("x^2", ("k", "w")),
                CompileRequest("x^2", ("w", "k"))]
    expression = parse_request("x^2")
    keys = [r.cache_key(expression) for r in requests]
    assert len(set(keys)) == len(keys) and keys[0] == "(x^2.0)"
    kernels = [kernel_for(expression, r) for r in requests]
    assert len({id(k) for k in kernels}) == len(kernels)
    assert kernel_for(expression, CompileRequest("x^2", ("k",))) is kernels[1]  # a hit
    assert compile_expr("x ^ 2", parameters=("k",))._kernel is kernels[1]  # another spelling, same request
    paths = [ProgramCache("/nonexistent").path_for(expression, r) for r in requests]
    assert len(set(paths)) == len(paths)
    assert paths[0] == ProgramCache("/nonexistent").path_for(expression)  # the window's: by the text alone


def test_program_cache_round_trip_of_a_request(tmp_path):
    cache = ProgramCache(tmp_path)
    request = CompileRequest("k*sin(w x) + abs(x)", ("k", "w"), orders=(1, 3, 8))
    expression = parse_request(request)
    programs = compile_program(expression, request)
    formulas = derivative_formulas(expression, request)
    assert cache.store(expression, programs, formulas, request)
    entry = cache.load(expression, request)
    assert entry is not None and entry.formulas == formulas
    assert entry.programs.main.output_names == ("value", "d1/x", "d1/k", "d1/w", "d3/x", "d8/x")
    x = np.linspace(-2, 2, 9)
    original, loaded = Kernel(programs, 1), Kernel(entry.programs, 1)
    names = original.output_names
    for got, want in zip(loaded.outputs((x, 2.0, 3.0), names), original.outputs((x, 2.0, 3.0), names), strict=True):
        np.testing.assert_array_equal(got, want)
    # Not the entry of another request, nor of the default one (another file, and refused if moved there).
    assert cache.load(expression) is None
    assert cache.load(expression, replace(request, orders=(1, 3))) is None
    cache.path_for(expression).write_text(cache.path_for(expression, request).read_text())
    assert cache.load(expression) is None
    text = encode(expression, programs, formulas, request)
    assert json.loads(text)["request"] == {"parameters": ["k", "w"], "orders": [1, 3, 8], "hessian": False,
                                           "verdicts": True}
    with pytest.raises(Exception, match="capabilities"):
        decode(text, expression, replace(request, parameters=("k", "v")))


def test_program_cache_without_verdicts(tmp_path):
    cache = ProgramCache(tmp_path)
    request = CompileRequest("abs(x)^3", orders=(4,), verdicts=False)
    expression = parse_request(request)
    programs = compile_program(expression, request)
    assert not programs.verdicts and programs.switch_arguments is None and programs.branches is None
    assert cache.store(expression, programs, None, request)
    entry = cache.load(expression, request)
    assert entry is not None and not entry.programs.verdicts


def test_an_entry_of_the_old_format_is_refused_and_replaced(tmp_path):
    cache = ProgramCache(tmp_path)
    expression = parse_request("x^2")
    programs = compile_program(expression)
    data = json.loads(encode(expression, programs))
    assert data["format"] == FORMAT == 2
    data["format"] = 1
    del data["request"]  # format 1 had none, nor program names
    for program in data["programs"].values():
        if isinstance(program, dict):
            program.pop("input_names")
            program.pop("output_names")
    path = cache.path_for(expression)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(data))
    assert cache.load(expression) is None
    assert cache.store(expression, programs)
    assert cache.load(expression) is not None


def test_compile_without_verdicts():
    f = compile_expr("abs(x)", verdicts=False)
    assert f(-2.0) == 2.0
    with pytest.raises(RuntimeError, match="without verdicts"):
        f.derivative_at(0.0)


def test_formulas_with_parameters():
    [formula] = compile_expr("k*x^2", parameters=("k",)).derivative_formulas()
    assert "k" in formula and "x" in formula


# -- the compile process -----------------------------------------------------------------------


def test_compile_process_round_trip_of_a_request():
    request = CompileRequest("k*sin(w x) + abs(x - k)", ("k", "w"), orders=(1, 3))
    process = CompileProcess()
    try:
        programs = process.compile(request)
        assert programs.main.output_names == ("value", "d1/x", "d1/k", "d1/w", "d3/x")
        assert programs.switch_kinds == ("abs",)
        local = compile_expr(request.text, parameters=request.parameters, orders=request.orders)
        x = np.linspace(-3, 3, 13)
        names = local.output_names
        remote = Kernel(programs, 1).outputs((x, 1.5, 2.0), names)
        for got, want in zip(remote, local._kernel.outputs((x, 1.5, 2.0), names), strict=True):
            np.testing.assert_array_equal(got, want)
        assert process.formulas(request) == local.derivative_formulas()
        with pytest.raises(ExpressionError, match=r"order 3 are for f\(x\)"):
            process.compile(CompileRequest("x*y", orders=(3,)))
        assert _slope(process.compile("x^2")) == 6.0  # a plain text is still the default request
    finally:
        process.stop()


def _slope(programs) -> float:
    return float(Kernel(programs, 1).evaluate((np.array([3.0]),))[1][0][0])


def test_compile_with_budget_compiles_more_in_a_child():
    kernel_cache.clear()
    f = compile_with_budget(CompileRequest("k*exp(w x)", ("k", "w")))
    assert f(0.0, k=2.0, w=3.0) == 2.0
    assert f.parameter_grad(1.0, k=2.0, w=0.5)["w"] == pytest.approx(2.0 * math.exp(0.5), rel=1e-15)
    assert f.derivative(5)(1.0, k=2.0, w=0.5) == pytest.approx(2.0 * 0.5**5 * math.exp(0.5), rel=1e-14)
    g = compile_with_budget("x^3 y")
    np.testing.assert_array_equal(g.hessian(2.0, 5.0), [[60.0, 12.0], [12.0, 0.0]])


def test_the_package_exposes_the_new_names():
    assert derivgui.CompileRequest is CompileRequest
    assert derivgui.Derivative is Derivative


def test_without_order_1_the_value_still_works_and_the_gradient_is_compiled_on_first_use():
    f = compile_expr("k*x^3", parameters=("k",), orders=(3,))
    assert f.output_names == ("value", "d3/x")
    assert f(2.0, k=0.5) == 4.0
    assert f.derivative(3)(2.0, k=0.5) == 3.0
    assert f.grad(2.0, k=0.5) == (6.0,)
    assert f.parameter_grad(2.0, k=0.5) == {"k": 8.0}
