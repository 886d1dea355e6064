"""The printed derivative formulas: no internal op names, exact constants, collected powers, the
engine's own graph, and every printed formula evaluates to what the engine computes."""

from __future__ import annotations

import inspect
import math
import re

import numpy as np
import pytest
from pytensor import scalar as pytensor_scalar
from pytensor.scalar.basic import ScalarOp

import derivgui
from derivgui.compiler.engine import derivative_formulas
from derivgui.compiler.formula import to_math
from derivgui.expr.functions import FUNCTIONS
from derivgui.expr.parse import parse


def _call(name: str) -> str:
    spec = FUNCTIONS[name]
    return f"{name}(x)" if spec.min_args == 1 else f"{name}(x, y)"


NOTEBOOK = [
    "2x", "sigmoid(x)", "1/(1+exp(-x))", "tanh(x)", "x^2*y + y", "sin(sqrt(x^2+y^2))", "atan(x^3)",
    "exp(log(x))", "max(x, y) min(x, y)", "abs(x)", "cbrt(x)", "x^(1/3)", "erf(x)", "log2(x)", "log10(x)",
    "floor(x)", "sign(x)",
]
MORE = [
    "x*sin(1/x)", "5", "log(x)", "max(x, 2)", "min(x, y, 1)", "x^x", "2^x", "x^pi", "pi*sin(pi*x)",
    "1/sqrt(x^2+y^2)", "(x^2+y^2)^(3/2)", "x*abs(x)", "abs(x)^3", "exp(-x^2/2)/sqrt(2*pi)", "x^2.5",
    "sqrt(x)*sqrt(x)", "max(x^2, y)", "max(x, y) + min(x, y)", "softplus(-x)*sech(x)", "log(1 + x^2)",
    "x^(-pi)", "x^e", "max(x, y, 1)*x", "abs(x)*max(x, 0)", "x^3 + 3x^2 + 3x + 1", "sin(x)*cos(x)",
]
EXPRESSIONS = [_call(name) for name in FUNCTIONS] + NOTEBOOK + MORE

# Ordinary names a teacher writes (math functions, words of a condition); any other PyTensor scalar
# op class name, and the graph machinery's names, must never show.
_MATH_WORDS = {
    "abs", "sign", "exp", "exp2", "expm1", "log", "log1p", "log2", "log10", "sqrt", "sin", "cos", "tan", "sinh",
    "cosh", "tanh", "arcsin", "arccos", "arctan", "arctan2", "arcsinh", "arccosh", "arctanh", "erf", "erfc",
    "erfinv", "erfcinv", "erfcx", "gamma", "psi", "floor", "ceil", "trunc", "sigmoid", "softplus", "real", "imag",
    "angle", "conj", "mod", "and", "or",
}
_SCALAR_OPS = {
    cls.__name__.lower()
    for module in (pytensor_scalar.basic, pytensor_scalar.math)
    for cls in vars(module).values()
    if inspect.isclass(cls) and issubclass(cls, ScalarOp)
}
FORBIDDEN = (_SCALAR_OPS - _MATH_WORDS) | {
    "elemwise", "composite", "switch", "dimshuffle", "alloc", "second", "cast", "specifyshape", "shape",
    "true_div", "truediv", "scalar", "tensor", "none", "nan",
}


def test_the_forbidden_list_holds_the_op_names_that_leaked():
    assert {"composite", "ge", "gt", "eq", "switch", "elemwise", "sqr", "true_div", "maximum"} <= FORBIDDEN
    assert not FORBIDDEN & {"exp", "log", "sin", "sign", "abs", "sqrt", "erf", "and", "or"}


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_no_internal_op_name_is_printed(text):
    for formula in derivative_formulas(parse(text)):
        words = {w.lower() for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", formula)}
        assert not words & FORBIDDEN, (text, formula)
        assert "_" not in formula and "?" not in formula and "…" not in formula, (text, formula)
        assert "[" not in formula, (text, formula)


# ---------------------------------------------------------------------------------------------
# The printed formula is the engine's: evaluate it (as Python) and compare with the gradient


def _python(formula: str) -> str:
    """A printed formula as a Python expression over NumPy float64 scalars."""
    text = formula.split("  (for ")[0]
    superscripts = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"
    text = re.sub(f"[{superscripts}]+", lambda m: "**(" + m.group().translate(
        str.maketrans(superscripts, "0123456789-")) + ")", text)
    while "|" in text:
        text, n = re.subn(r"\|([^|]*)\|", r"abs(\1)", text)
        assert n, formula
    for old, new in (("·", "*"), ("−", "-"), ("^", "**"), ("≥", ">="), ("≤", "<="), ("≠", "!="), (" = ", " == "),
                     ("log₂", "log2"), ("log₁₀", "log10"), ("ln(", "log("), ("σ", "sigmoid"), ("π", "pi"),
                     ("∞", "inf")):
        text = text.replace(old, new)
    text = re.sub(r"(\d)(pi|√)", r"\1*\2", text)  # 2π, 3√2
    text = re.sub(r"√([A-Za-z_]\w*|\d+)", r"sqrt(\1)", text).replace("√(", "sqrt(")
    return text


_NAMESPACE = {
    **{name: getattr(np, name) for name in ("exp", "log", "log2", "log10", "log1p", "sqrt", "sin", "cos", "tan",
                                             "sinh", "cosh", "tanh", "sign", "abs", "floor", "ceil", "pi", "inf")},
    "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "asinh": np.arcsinh, "acosh": np.arccosh,
    "atanh": np.arctanh, "atan2": np.arctan2, "e": np.e, "max": max, "min": min,
    "sigmoid": lambda u: 1.0 / (1.0 + np.exp(-u)), "softplus": lambda u: np.logaddexp(0.0, u),
    "erf": np.vectorize(math.erf),
}

POINTS = [-2.3, -1.0, -0.5, 0.0, 0.3, 1.0, 1.7, 2.5]


def _printed_values(formula: str, variables: dict) -> float:
    with np.errstate(all="ignore"):
        return float(eval(_python(formula), dict(_NAMESPACE), variables))  # noqa: S307 - our own output


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_the_printed_formula_evaluates_to_the_engines_gradient(text):
    compiled = derivgui.compile_expr(text)
    formulas = compiled.derivative_formulas()
    names = compiled.variables
    grid = [(x,) for x in POINTS] if len(names) == 1 else [(x, y) for x in POINTS for y in POINTS[::3] + [1.0, 2.0]]
    checked = 0
    for point in grid:
        with np.errstate(all="ignore"):
            gradient = compiled.grad(*(np.array([v]) for v in point))
        for formula, expected in zip(formulas, gradient, strict=True):
            want = float(expected[0])
            if not math.isfinite(want):
                continue
            got = _printed_values(formula, {n: np.float64(v) for n, v in zip(names, point, strict=True)})
            assert got == pytest.approx(want, rel=1e-9, abs=1e-12), (text, formula, point)
            checked += 1
    assert checked, text


# ---------------------------------------------------------------------------------------------
# What the formulas look like


@pytest.mark.parametrize("text, expected", [
    ("atan(x^3)", ("3·x²/(1 + x⁶)",)),
    ("cbrt(x)", ("(1/3)·sign(x)²·|x|^(−2/3)",)),
    ("x^(1/3)", ("(1/3)·x^(−2/3)",)),
    ("erf(x)", ("(2/√π)·exp(−x²)",)),
    ("log2(x)", ("1/(x·ln(2))",)),
    ("log10(x)", ("1/(x·ln(10))",)),
    ("sqrt(x)", ("1/(2·√x)",)),
    ("exp(log(x))", ("x/x  (for x ≥ 0)",)),
    ("max(x, y)", ("(1 if x > y else 0 if x < y else 1/2)", "(0 if x > y else 1 if x < y else 1/2)")),
    ("max(x, y) min(x, y)", ("y", "x")),
    ("1/sqrt(x^2+y^2)", ("−x/(x² + y²)^(3/2)", "−y/(x² + y²)^(3/2)")),
    ("x^pi", ("π·x^(π − 1)",)),
    ("acosh(x)", ("1/√(x² − 1)",)),
])
def test_formulas_a_teacher_would_write(text, expected):
    assert derivative_formulas(parse(text)) == expected


@pytest.mark.parametrize("value, text", [
    (1 / 3, "1/3"), (2 / 3, "2/3"), (-2 / 3, "−2/3"), (5 / 12, "5/12"), (2 / math.sqrt(math.pi), "2/√π"),
    (1 / math.log(2), "1/ln(2)"), (1 / math.log(10), "1/ln(10)"), (math.pi, "π"), (math.e, "e"),
    (math.sqrt(2), "√2"), (2 * math.pi, "2π"), (0.5, "1/2"), (3.0, "3"), (0.1, "1/10"),
    (0.3333333333, "0.3333333333"), (1 / 3 + 1e-16, "0.3333333333"), (1.1283791670955128, "1.128379167"),
    (1e-20, "1×10⁻²⁰"), (1 / 7, "1/7"), (math.pi * math.pi, "π²"),
])
def test_exact_constants_are_written_as_such(value, text):
    from derivgui.compiler.formula import _constant

    assert _constant(value).printed()[0] == text


def test_identical_factors_are_collected_into_powers():
    import pytensor.tensor as pt

    x, y = pt.dvector("x"), pt.dvector("y")
    root = pt.sqrt(x**2 + y**2)
    assert to_math(root * root * root) == "(x² + y²)^(3/2)"
    assert to_math(x / (root * root * root)) == "x/(x² + y²)^(3/2)"
    assert to_math(pt.sign(x) * pt.abs(x) * pt.sign(x)) == "sign(x)²·|x|"
    assert to_math(root * root) == "(√(x² + y²))²"  # NaN where x² + y² < 0 would be: not folded to x² + y²
    assert to_math(x * y * x * 2 * x) == "2·x³·y"
    assert to_math(x / x) == "x/x"  # not 1: it is NaN at 0


def test_a_composite_prints_as_what_it_computes():
    """PyTensor's own canonicalize fuses x³ into a Composite; it prints as x³, not composite(x)."""
    from pytensor.graph.rewriting.utils import rewrite_graph

    from derivgui.compiler.engine import symbolic_gradient

    try:
        from pytensor.graph.traversal import ancestors
    except ImportError:  # PyTensor before 2.31
        from pytensor.graph.basic import ancestors

    _inputs, _value, grads = symbolic_gradient(parse("atan(x^3)"))
    rewritten = rewrite_graph(grads[0], include=("canonicalize", "stabilize", "specialize"))
    ops = {type(getattr(v.owner.op, "scalar_op", v.owner.op)).__name__
           for v in ancestors([rewritten]) if v.owner is not None}
    assert "Composite" in ops
    assert to_math(rewritten) == "3·x²/(1 + x⁶)"


def test_comparisons_and_switches_read_as_conditions():
    import pytensor.tensor as pt

    x, y = pt.dvector("x"), pt.dvector("y")
    assert to_math(pt.switch(pt.ge(x, 0), x, -x)) == "(x if x ≥ 0 else −x)"
    assert to_math(pt.switch(pt.gt(x, y), 1.0, 0.0) * y) == "(y if x > y else 0)"
    assert to_math(pt.switch(pt.lt(x, 0), np.nan, pt.log(x))) == "log(x)  (for x ≥ 0)"
    assert to_math(pt.eq(pt.maximum(x, y), x) * y) == "(y if x ≥ y else 0)"
    assert to_math(pt.switch(pt.lt(0, x), 1.0, 0.0)) == "(1 if x > 0 else 0)"


def test_the_formula_is_the_engines_graph():
    """log(1 + x²) is left as typed by the engine (no log1p), and so is the printed formula."""
    (formula,) = derivative_formulas(parse("log(1 + x^2)"))
    assert "log1p" not in formula


def test_a_long_formula_prints_quickly():
    import time

    text = " + ".join(f"sin({k}*x)*exp(-x^2/{k})*log(1 + x^2/{k})" for k in range(1, 9))
    from derivgui.compiler.engine import rewritten_graph

    fgraph = rewritten_graph(parse(text))
    start = time.perf_counter()
    formula = to_math(fgraph.outputs[1])
    assert time.perf_counter() - start < 0.5
    assert formula.count("cos(") == 8
