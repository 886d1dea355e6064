"""The compiled expressions: the teaching notebook's own checks, every whitelisted function against
its analytic derivative, shapes, domain errors, the kernel cache and the import boundary."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import numpy as np
import pytest

from derivgui import ExpressionError, compile_expr
from derivgui.compiler import engine
from derivgui.expr.functions import ALIASES, FUNCTIONS
from derivgui.numeric.compiled import KernelCache


def quietly(func, *args):
    """Call ``func`` and fail on any Python warning or NumPy floating-point error it lets out."""
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        return func(*args)


def expit(x):
    return 1.0 / (1.0 + np.exp(-x))


# ---------------------------------------------------------------------------------------------
# The notebook (derivatives-in-theano): the same checks, now through the student language


def test_notebook_sigmoid_derivative_is_f_times_one_minus_f():
    xx = np.linspace(-6, 6, 100)
    f = compile_expr("1 / (1 + e^-x)")
    value = f(xx)
    (df_dx,) = f.grad(xx)
    assert np.allclose(value, expit(xx))
    assert np.allclose(df_dx, value * (1 - value))
    # the built-in sigmoid agrees with the hand-written one
    builtin = compile_expr("sigmoid(x)")
    assert np.allclose(builtin.grad(xx)[0], df_dx)


def test_notebook_multivariate_gradient():
    xx = np.linspace(0, 10, 100)
    yy = np.linspace(0, 10, 100)
    f = compile_expr("x^2*y + y")
    assert f.variables == ("x", "y")
    del_f = np.c_[2 * xx * yy, (xx**2) + 1].T
    J1 = np.array(f.grad(xx, yy))
    assert J1.shape == (2, 100)
    assert np.allclose(J1, del_f)
    # on the notebook's meshgrid too, with the surface f = Y * (X ** 2 + 1)
    X, Y = np.meshgrid(xx, yy)
    value, (dx, dy) = f.value_and_grad(X, Y)
    assert np.allclose(value, Y * (X**2 + 1))
    assert np.allclose(dx, 2 * X * Y)
    assert np.allclose(dy, X**2 + 1)


def test_notebook_cells_verbatim_in_pytensor_agree_with_derivgui():
    """The notebook's own Theano code, with ``T`` → ``pt`` and ``theano`` → ``pytensor``."""
    import pytensor
    from pytensor import tensor as pt
    from pytensor.gradient import jacobian

    xx = np.linspace(0, 10, 100)
    yy = np.linspace(0, 10, 100)
    x = pt.dvector("x")
    f = 1 / (1 + pt.exp(-x))
    get_derivative = pytensor.function([x], pytensor.grad(f.sum(), wrt=x))
    np.testing.assert_allclose(get_derivative(xx), compile_expr("1/(1+exp(-x))").grad(xx)[0], rtol=1e-13)
    x = pt.dvector("x")
    y = pt.dvector("y")
    f = (x**2) * y + y
    delf = jacobian(f.sum(), wrt=[x, y])
    get_jacobian = pytensor.function([x, y], delf)
    J1 = np.c_[get_jacobian(xx, yy)]
    assert np.allclose(J1, np.c_[2 * xx * yy, (xx**2) + 1].T)
    np.testing.assert_allclose(J1, np.array(compile_expr("x^2*y + y").grad(xx, yy)), rtol=1e-13)


def test_notebook_exercise_tanh():
    xx = np.linspace(-6, 6, 100)
    for text in ["tanh(x)", "(e^x - e^-x) / (e^x + e^-x)"]:
        f = compile_expr(text)
        value, (d,) = f.value_and_grad(xx)
        assert np.allclose(value, np.tanh(xx))
        assert np.allclose(d, 1 - np.tanh(xx) ** 2)


def test_notebook_exercise_sin_of_radius():
    xx = np.linspace(0.1, 10, 100)  # the gradient is undefined at the origin
    X, Y = np.meshgrid(xx, np.linspace(-10, 10, 101))
    f = compile_expr("sin(sqrt(x^2 + y^2))")
    R = np.sqrt(X**2 + Y**2)
    value, (dx, dy) = f.value_and_grad(X, Y)
    assert np.allclose(value, np.sin(R))
    assert np.allclose(dx, np.cos(R) * X / R, rtol=1e-12, atol=1e-14)
    assert np.allclose(dy, np.cos(R) * Y / R, rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------------------------------------
# The corpus: (expression, f, df/dx, df/dy or None, x interval, y interval or None)

LN10, LN2 = math.log(10), math.log(2)
_erf = np.vectorize(math.erf, otypes=[float])

CORPUS = [
    # every whitelisted function
    ("exp(x)", np.exp, np.exp, None, (-5, 5), None),
    ("log(x)", np.log, lambda x: 1 / x, None, (0.05, 20), None),
    ("ln(x)", np.log, lambda x: 1 / x, None, (0.05, 20), None),
    ("log10(x)", np.log10, lambda x: 1 / (x * LN10), None, (0.05, 20), None),
    ("log2(x)", np.log2, lambda x: 1 / (x * LN2), None, (0.05, 20), None),
    ("log1p(x)", np.log1p, lambda x: 1 / (1 + x), None, (-0.9, 10), None),
    ("sqrt(x)", np.sqrt, lambda x: 0.5 / np.sqrt(x), None, (0.01, 50), None),
    ("cbrt(x)", np.cbrt, lambda x: 1 / (3 * np.cbrt(x) ** 2), None, (0.01, 30), None),
    ("cbrt(x)", np.cbrt, lambda x: 1 / (3 * np.cbrt(x) ** 2), None, (-30, -0.01), None),
    ("abs(x)", np.abs, np.sign, None, (0.01, 5), None),
    ("abs(x)", np.abs, np.sign, None, (-5, -0.01), None),
    ("sign(x)", np.sign, np.zeros_like, None, (-5, 5), None),
    ("sin(x)", np.sin, np.cos, None, (-6, 6), None),
    ("cos(x)", np.cos, lambda x: -np.sin(x), None, (-6, 6), None),
    ("tan(x)", np.tan, lambda x: 1 / np.cos(x) ** 2, None, (-1.4, 1.4), None),
    ("sec(x)", lambda x: 1 / np.cos(x), lambda x: np.tan(x) / np.cos(x), None, (-1.4, 1.4), None),
    ("csc(x)", lambda x: 1 / np.sin(x), lambda x: -1 / (np.sin(x) * np.tan(x)), None, (0.1, 3), None),
    ("cot(x)", lambda x: 1 / np.tan(x), lambda x: -1 / np.sin(x) ** 2, None, (0.1, 3), None),
    ("asin(x)", np.arcsin, lambda x: 1 / np.sqrt(1 - x**2), None, (-0.95, 0.95), None),
    ("arcsin(x)", np.arcsin, lambda x: 1 / np.sqrt(1 - x**2), None, (-0.95, 0.95), None),
    ("acos(x)", np.arccos, lambda x: -1 / np.sqrt(1 - x**2), None, (-0.95, 0.95), None),
    ("arccos(x)", np.arccos, lambda x: -1 / np.sqrt(1 - x**2), None, (-0.95, 0.95), None),
    ("atan(x)", np.arctan, lambda x: 1 / (1 + x**2), None, (-10, 10), None),
    ("arctan(x)", np.arctan, lambda x: 1 / (1 + x**2), None, (-10, 10), None),
    ("sinh(x)", np.sinh, np.cosh, None, (-5, 5), None),
    ("cosh(x)", np.cosh, np.sinh, None, (-5, 5), None),
    ("tanh(x)", np.tanh, lambda x: 1 / np.cosh(x) ** 2, None, (-5, 5), None),
    ("asinh(x)", np.arcsinh, lambda x: 1 / np.sqrt(x**2 + 1), None, (-10, 10), None),
    ("arcsinh(x)", np.arcsinh, lambda x: 1 / np.sqrt(x**2 + 1), None, (-10, 10), None),
    ("acosh(x)", np.arccosh, lambda x: 1 / np.sqrt(x**2 - 1), None, (1.05, 10), None),
    ("arccosh(x)", np.arccosh, lambda x: 1 / np.sqrt(x**2 - 1), None, (1.05, 10), None),
    ("atanh(x)", np.arctanh, lambda x: 1 / (1 - x**2), None, (-0.95, 0.95), None),
    ("arctanh(x)", np.arctanh, lambda x: 1 / (1 - x**2), None, (-0.95, 0.95), None),
    # sigmoid' is computed as s(1 - s): past x = 10 it keeps its absolute but not its relative
    # accuracy (see test_sigmoid_derivative_relative_accuracy_for_large_x)
    ("sigmoid(x)", expit, lambda x: expit(x) * expit(-x), None, (-30, 10), None),
    ("softplus(x)", lambda x: np.logaddexp(0, x), expit, None, (-20, 20), None),
    ("erf(x)", _erf, lambda x: 2 / np.sqrt(np.pi) * np.exp(-(x**2)), None, (-3, 3), None),
    ("floor(x)", np.floor, np.zeros_like, None, (-5, 5), None),
    ("ceil(x)", np.ceil, np.zeros_like, None, (-5, 5), None),
    (
        "atan2(y, x)",
        lambda x, y: np.arctan2(y, x),
        lambda x, y: -y / (x**2 + y**2),
        lambda x, y: x / (x**2 + y**2),
        (0.2, 3),
        (-3, 3),
    ),
    (
        "arctan2(y, x)",
        lambda x, y: np.arctan2(y, x),
        lambda x, y: -y / (x**2 + y**2),
        lambda x, y: x / (x**2 + y**2),
        (-3, -0.2),
        (0.1, 3),
    ),
    (
        "min(x, y)",
        np.minimum,
        lambda x, y: (x < y).astype(float),
        lambda x, y: (y < x).astype(float),
        (-3, 3),
        (-3, 3),
    ),
    (
        "max(x, y)",
        np.maximum,
        lambda x, y: (x > y).astype(float),
        lambda x, y: (y > x).astype(float),
        (-3, 3),
        (-3, 3),
    ),
    (
        "max(x, y, 0.5)",
        lambda x, y: np.maximum(np.maximum(x, y), 0.5),
        lambda x, y: ((x > y) & (x > 0.5)).astype(float),
        lambda x, y: ((y > x) & (y > 0.5)).astype(float),
        (-3, 3),
        (-3, 3),
    ),
    # composites
    ("2x + sin(x)^2", lambda x: 2 * x + np.sin(x) ** 2, lambda x: 2 + 2 * np.sin(x) * np.cos(x), None, (-6, 6), None),
    ("e^-x", lambda x: np.exp(-x), lambda x: -np.exp(-x), None, (-5, 5), None),
    ("x^x", lambda x: x**x, lambda x: x**x * (np.log(x) + 1), None, (0.1, 4), None),
    ("sec(x)*tan(x)", lambda x: np.tan(x) / np.cos(x), lambda x: (1 + np.sin(x) ** 2) / np.cos(x) ** 3, None,
     (-1.4, 1.4), None),
    ("x^2", lambda x: x**2, lambda x: 2 * x, None, (-10, 10), None),
    ("x ** 3 - 2x", lambda x: x**3 - 2 * x, lambda x: 3 * x**2 - 2, None, (-0.7, 0.7), None),
    ("3(x+1)^2", lambda x: 3 * (x + 1) ** 2, lambda x: 6 * (x + 1), None, (-5, 5), None),
    ("(x+1)(x-1)", lambda x: x**2 - 1, lambda x: 2 * x, None, (-5, 5), None),
    ("x^-2", lambda x: x**-2.0, lambda x: -2 * x**-3.0, None, (0.1, 5), None),
    ("1/x", lambda x: 1 / x, lambda x: -1 / x**2, None, (-5, -0.1), None),
    ("2^x", lambda x: 2.0**x, lambda x: 2.0**x * LN2, None, (-5, 5), None),
    ("exp(-x^2/2)", lambda x: np.exp(-(x**2) / 2), lambda x: -x * np.exp(-(x**2) / 2), None, (-4, 4), None),
    ("log(1 + x^2)", lambda x: np.log1p(x**2), lambda x: 2 * x / (1 + x**2), None, (-5, 5), None),
    ("x sin(1/x)", lambda x: x * np.sin(1 / x), lambda x: np.sin(1 / x) - np.cos(1 / x) / x, None, (0.3, 5), None),
    ("sqrt(1 - x^2)", lambda x: np.sqrt(1 - x**2), lambda x: -x / np.sqrt(1 - x**2), None, (-0.9, 0.9), None),
    ("cbrt(x^2)", lambda x: np.cbrt(x**2), lambda x: 2 * x / (3 * np.cbrt(x**2) ** 2), None, (0.1, 5), None),
    ("pi x^2", lambda x: np.pi * x**2, lambda x: 2 * np.pi * x, None, (-3, 3), None),
    ("2πx", lambda x: 2 * np.pi * x, lambda x: np.full_like(x, 2 * np.pi), None, (-3, 3), None),
    ("x² − 1", lambda x: x**2 - 1, lambda x: 2 * x, None, (-3, 3), None),
    ("sigmoid(x)^2", lambda x: expit(x) ** 2, lambda x: 2 * expit(x) ** 2 * expit(-x), None, (-15, 10), None),
    ("softplus(-x)", lambda x: np.logaddexp(0, -x), lambda x: -expit(-x), None, (-20, 20), None),
    ("erf(x/2)", lambda x: _erf(x / 2), lambda x: np.exp(-(x**2) / 4) / np.sqrt(np.pi), None, (-3, 3), None),
    ("asinh(2x)", lambda x: np.arcsinh(2 * x), lambda x: 2 / np.sqrt(4 * x**2 + 1), None, (-5, 5), None),
    ("sech(x)", lambda x: 1 / np.cosh(x), lambda x: -np.tanh(x) / np.cosh(x), None, (-5, 5), None),
    ("csch(x)", lambda x: 1 / np.sinh(x), lambda x: -np.cosh(x) / np.sinh(x) ** 2, None, (0.2, 5), None),
    ("coth(x)", lambda x: 1 / np.tanh(x), lambda x: -1 / np.sinh(x) ** 2, None, (0.2, 5), None),
    ("log10(x) + log2(x)", lambda x: np.log10(x) + np.log2(x), lambda x: 1 / (x * LN10) + 1 / (x * LN2), None,
     (0.1, 10), None),
    ("abs(x)^3", lambda x: np.abs(x) ** 3, lambda x: 3 * x * np.abs(x), None, (0.1, 3), None),
    ("x^2*y + y", lambda x, y: x**2 * y + y, lambda x, y: 2 * x * y, lambda x, y: x**2 + 1, (-5, 5), (-5, 5)),
    ("x y", lambda x, y: x * y, lambda x, y: y, lambda x, y: x, (-5, 5), (-5, 5)),
    ("x/y", lambda x, y: x / y, lambda x, y: 1 / y, lambda x, y: -x / y**2, (-5, 5), (0.5, 5)),
    ("x^y", lambda x, y: x**y, lambda x, y: y * x ** (y - 1), lambda x, y: x**y * np.log(x), (0.2, 3), (-2, 2)),
    (
        "sin(x)cos(y)",
        lambda x, y: np.sin(x) * np.cos(y),
        lambda x, y: np.cos(x) * np.cos(y),
        lambda x, y: -np.sin(x) * np.sin(y),
        (-3, 3),
        (-3, 3),
    ),
    (
        "sin(sqrt(x^2+y^2))",
        lambda x, y: np.sin(np.hypot(x, y)),
        lambda x, y: np.cos(np.hypot(x, y)) * x / np.hypot(x, y),
        lambda x, y: np.cos(np.hypot(x, y)) * y / np.hypot(x, y),
        (0.2, 5),
        (-5, 5),
    ),
    (
        "exp(x y) + 2y",
        lambda x, y: np.exp(x * y) + 2 * y,
        lambda x, y: y * np.exp(x * y),
        lambda x, y: x * np.exp(x * y) + 2,
        (-2, 2),
        (-2, 2),
    ),
    (
        "log(x^2 + y^2)",
        lambda x, y: np.log(x**2 + y**2),
        lambda x, y: 2 * x / (x**2 + y**2),
        lambda x, y: 2 * y / (x**2 + y**2),
        (0.1, 4),
        (-4, 4),
    ),
    ("y", lambda x, y: y, lambda x, y: np.zeros_like(x), lambda x, y: np.ones_like(y), (-3, 3), (-3, 3)),
    ("3y - 1", lambda x, y: 3 * y - 1, lambda x, y: np.zeros_like(x), lambda x, y: np.full_like(y, 3.0), (-3, 3),
     (-3, 3)),
]


def _points(interval, n, seed):
    lo, hi = interval
    rng = np.random.default_rng(seed)
    return np.sort(rng.uniform(lo, hi, n))


def test_corpus_covers_every_function_and_alias():
    used = " ".join(entry[0] for entry in CORPUS)
    for name in [*FUNCTIONS, *ALIASES]:
        assert f"{name}(" in used, name


@pytest.mark.parametrize(("text", "f", "dfdx", "dfdy", "x_range", "y_range"), CORPUS, ids=[c[0] for c in CORPUS])
def test_corpus_against_analytic_derivatives(text, f, dfdx, dfdy, x_range, y_range):
    compiled = compile_expr(text)
    x = _points(x_range, 400, seed=1)
    if y_range is None:
        assert compiled.variables == ("x",)
        args = (x,)
        expected = [dfdx(x)]
    else:
        assert compiled.variables == ("x", "y")
        y = _points(y_range, 400, seed=2)[np.random.default_rng(3).permutation(400)]
        args = (x, y)
        expected = [dfdx(x, y), dfdy(x, y)]
    value, grads = quietly(compiled.value_and_grad, *args)
    np.testing.assert_allclose(value, f(*args), rtol=1e-9, atol=0)
    assert len(grads) == len(expected)
    for got, want in zip(grads, expected, strict=True):
        assert got.dtype == np.float64 and got.shape == x.shape
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=0)


# ---------------------------------------------------------------------------------------------
# Shapes


@pytest.mark.parametrize(
    ("shape_x", "shape_y", "shape"),
    [
        ((), (), ()),
        ((3,), (3,), (3,)),
        ((2, 3), (2, 3), (2, 3)),
        ((4, 1), (1, 5), (4, 5)),
        ((), (3,), (3,)),
        ((2, 3), (), (2, 3)),
        ((0,), (0,), (0,)),
    ],
)
def test_broadcasting(shape_x, shape_y, shape):
    f = compile_expr("x^2*y + y")
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, shape_x)
    y = rng.uniform(-2, 2, shape_y)
    value, (dx, dy) = f.value_and_grad(x, y)
    for arr in (value, dx, dy, f(x, y), *f.grad(x, y)):
        assert isinstance(arr, np.ndarray)
        assert arr.dtype == np.float64
        assert arr.shape == shape
    X, Y = np.broadcast_arrays(x, y)
    np.testing.assert_allclose(value, X**2 * Y + Y, rtol=1e-14)
    np.testing.assert_allclose(dx, 2 * X * Y, rtol=1e-14)
    np.testing.assert_allclose(dy, X**2 + 1, rtol=1e-14)


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (4, 1)])
def test_one_variable_shapes(shape):
    f = compile_expr("sin(x)")
    x = np.full(shape, 0.5)
    value, (d,) = f.value_and_grad(x)
    assert value.shape == d.shape == shape
    assert f(x).shape == shape and f.grad(x)[0].shape == shape


def test_python_scalars_and_lists():
    f = compile_expr("x^2")
    assert f(3) == 9.0 and f(3).shape == () and f(3).dtype == np.float64
    assert f.grad(3.0) == (6.0,)
    np.testing.assert_array_equal(f([1, 2, 3]), [1.0, 4.0, 9.0])


def test_results_own_their_memory():
    f = compile_expr("x + 1")
    a = f(np.zeros(3))
    a[0] = 42.0
    np.testing.assert_array_equal(f(np.zeros(3)), [1.0, 1.0, 1.0])
    value, (d,) = f.value_and_grad(np.zeros(3))
    d[0] = 42.0  # writable, and does not leak into the next call
    np.testing.assert_array_equal(f.grad(np.zeros(3))[0], [1.0, 1.0, 1.0])


def test_wrong_number_of_arguments():
    with pytest.raises(TypeError):
        compile_expr("x^2*y")(1.0)
    with pytest.raises(TypeError):
        compile_expr("x^2")(1.0, 2.0)


@pytest.mark.parametrize(
    ("text", "value"),
    [("5", 5.0), ("pi", math.pi), ("e", math.e), ("2^10", 1024.0), ("sin(pi/2)", 1.0), ("-3", -3.0)],
)
def test_constant_expressions(text, value):
    f = compile_expr(text)
    assert f.variables == ("x",)
    x = np.zeros((2, 3))
    np.testing.assert_allclose(f(x), np.full((2, 3), value), rtol=1e-15)
    (d,) = f.grad(x)
    assert d.shape == (2, 3) and d.dtype == np.float64
    np.testing.assert_array_equal(d, 0.0)


def test_constant_grad_is_exactly_the_documented_value():
    grads = compile_expr("5").grad(np.zeros(3))
    assert isinstance(grads, tuple) and len(grads) == 1
    np.testing.assert_array_equal(grads[0], np.array([0.0, 0.0, 0.0]))
    assert grads[0].dtype == np.float64 and grads[0].shape == (3,)


def test_ignored_variable_gives_zeros():
    f = compile_expr("y^2 + 0*x")
    dx, dy = f.grad(np.ones((4, 1)), np.full((1, 3), 2.0))
    assert dx.shape == dy.shape == (4, 3)
    np.testing.assert_array_equal(dx, 0.0)
    np.testing.assert_array_equal(dy, 4.0)
    g = compile_expr("3y")  # x is not used at all, still a function of (x, y)
    assert g.variables == ("x", "y")
    dx, dy = g.grad(np.arange(3.0), np.arange(3.0))
    np.testing.assert_array_equal(dx, 0.0)
    np.testing.assert_array_equal(dy, 3.0)


# ---------------------------------------------------------------------------------------------
# Domain errors: NaN where the typed expression is undefined (log 0, 1/0 too), inf on overflow


@pytest.mark.parametrize(
    ("text", "x", "check"),
    [
        ("log(x)", -1.0, np.isnan),
        ("log(x)", 0.0, np.isnan),
        ("sqrt(x)", -1.0, np.isnan),
        ("1/x", 0.0, np.isnan),
        ("-1/x", 0.0, np.isnan),
        ("asin(x)", 2.0, np.isnan),
        ("acosh(x)", 0.5, np.isnan),
        ("atanh(x)", 1.0, np.isnan),
        ("exp(x)", 1000.0, np.isposinf),
        ("x^0.5", -4.0, np.isnan),
        ("log10(x) + log2(x) + log1p(x - 1)", -3.0, np.isnan),
        ("csc(x)", 0.0, np.isnan),
        ("coth(x)", 0.0, np.isnan),
    ],
)
def test_domain_errors_are_silent(text, x, check, capfd):
    f = compile_expr(text)
    value, (d,) = quietly(f.value_and_grad, np.array([x, 0.5]))
    assert check(value[0])
    assert not np.isfinite(d[0])  # no derivative where f is not finite
    assert f(np.array([x]))[0] == value[0] or np.isnan(value[0])
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_domain_errors_with_numpy_errstate_raise():
    # Even with NumPy set to raise globally, evaluation stays silent.
    old = np.seterr(all="raise")
    try:
        f = compile_expr("log(x) + sqrt(x) + 1/x")
        value = f(np.array([-1.0, 0.0, 1.0]))
        (d,) = f.grad(np.array([-1.0, 0.0, 1.0]))
    finally:
        np.seterr(**old)
    assert np.isnan(value[0]) and not np.isfinite(value[1]) and value[2] == 2.0
    assert np.isnan(d[0]) and d[2] == 0.5


def test_sigmoid_derivative_far_out_is_zero_not_nan():
    f = compile_expr("sigmoid(x)")
    value, (d,) = quietly(f.value_and_grad, np.array([-800.0, -40.0, 0.0, 40.0, 800.0]))
    assert d[0] == 0.0 and d[4] == 0.0
    assert not np.isnan(d).any()
    assert d[2] == 0.25
    assert value[0] == 0.0 and value[4] == 1.0
    assert quietly(f.grad, -800.0)[0] == 0.0


def test_sigmoid_derivative_relative_accuracy_for_large_x():
    x = np.array([15.0, 20.0, 30.0, 40.0])
    (d,) = compile_expr("sigmoid(x)").grad(x)
    np.testing.assert_allclose(d, expit(x) * expit(-x), rtol=1e-9, atol=0)


def test_softplus_is_stable_far_out():
    f = compile_expr("softplus(x)")
    value, (d,) = quietly(f.value_and_grad, np.array([-800.0, 800.0]))
    np.testing.assert_array_equal(value, [0.0, 800.0])
    np.testing.assert_array_equal(d, [0.0, 1.0])


# ---------------------------------------------------------------------------------------------
# Errors at compile time


@pytest.mark.parametrize("text", ["foo(x)", "x.real", "", "z", "__import__('os')", "(" * 101, "x^"])
def test_compile_expr_raises_expression_error(text):
    with pytest.raises(ExpressionError) as info:
        compile_expr(text)
    assert isinstance(info.value, ValueError)
    assert "\n" not in str(info.value)


def test_long_sums_and_products_compile():
    # NumPy ufuncs take at most 32 operands; a flattened 40-term Add or Mul must still run.
    for text, x, value, slope in [
        ("+".join(["x"] * 40), 0.5, 20.0, 40.0),
        ("x" * 40, 1.0, 1.0, 40.0),
        ("+".join(f"x^{i}" for i in range(40)), 0.5, 2.0 - 0.5**39, None),
    ]:
        f = compile_expr(text)
        v, (d,) = quietly(f.value_and_grad, np.array([x]))
        assert v[0] == pytest.approx(value, rel=1e-12)
        if slope is not None:
            assert d[0] == pytest.approx(slope, rel=1e-12)
    f = compile_expr("+".join(f"y^{i} x" for i in range(40)))
    v, (dx, dy) = quietly(f.value_and_grad, 0.5, 0.5)
    assert v == pytest.approx(1.0 - 0.5**40, rel=1e-12)
    assert dx == pytest.approx(2.0 - 0.5**39, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# The kernel cache


def test_same_expression_spelled_differently_shares_a_kernel():
    a = compile_expr("x^2")
    b = compile_expr("x ** 2")
    c = compile_expr(" x**2 ")
    assert (a.text, b.text, c.text) == ("x^2", "x ** 2", " x**2 ")
    assert a is not b
    assert a._kernel is b._kernel is c._kernel
    assert repr(b) == "CompiledExpression('x ** 2', variables=('x',))"
    d = compile_expr("x^3")
    assert d._kernel is not a._kernel


def test_cache_is_bounded_and_lru(monkeypatch):
    assert engine.kernel_cache.size == engine.CACHE_SIZE > 0
    assert len(engine.kernel_cache) <= engine.CACHE_SIZE
    small = KernelCache(3)
    monkeypatch.setattr(engine, "kernel_cache", small)
    texts = [f"{k}x" for k in range(2, 6)]  # four distinct, quick to compile
    kernels = {}
    for text in texts[:3]:
        kernels[text] = compile_expr(text)._kernel
    assert len(small) == 3
    assert compile_expr(texts[0])._kernel is kernels[texts[0]]  # a hit, and now most recent
    compile_expr(texts[3])
    assert len(small) == 3  # bounded: the least recently used ("3x") went
    assert compile_expr(texts[0])._kernel is kernels[texts[0]]
    assert compile_expr(texts[2])._kernel is kernels[texts[2]]
    assert compile_expr(texts[1])._kernel is not kernels[texts[1]]  # rebuilt
    assert len(small) == 3
    for k, text in zip(range(2, 6), texts, strict=True):  # evicted or not, every result is right
        assert compile_expr(text)(1.5) == k * 1.5


def test_real_cache_stays_bounded(monkeypatch):
    monkeypatch.setattr(engine.kernel_cache, "size", 4)
    for k in range(10):
        compile_expr(f"x + {k + 100}")
    assert len(engine.kernel_cache) <= 4


# ---------------------------------------------------------------------------------------------
# The import boundary


def test_import_derivgui_does_not_import_pytensor_or_qt():
    code = (
        "import sys, derivgui\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('pytensor', 'PyQt5', 'theano'))\n"
        "print(repr(bad))\n"
        "assert derivgui.ExpressionError.__name__ == 'ExpressionError'\n"
        "from derivgui.expr import parse\n"
        "parse.parse('x^2')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('pytensor', 'PyQt5', 'theano'))\n"
        "print(repr(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[]", "[]"]


def test_compile_expr_is_reachable_from_the_package():
    import derivgui

    assert derivgui.compile_expr is engine.compile_expr
    assert derivgui.CompiledExpression is engine.CompiledExpression
    with pytest.raises(AttributeError):
        derivgui.no_such_thing  # noqa: B018
