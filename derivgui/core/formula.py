"""What autodiff built, as readable math: the rewritten gradient graph printed with Unicode.

PyTensor's canonicalize/stabilize/specialize rewrites turn the raw chain-rule graph into a
compact one (the sigmoid's derivative becomes ``σ(x)·(1 − σ(x))``); this module prints that
graph. It reads PyTensor graphs, so like the engine it runs on the compile thread.
"""

from __future__ import annotations

import math

import numpy as np
from pytensor.graph.basic import Constant, Variable
from pytensor.graph.rewriting.utils import rewrite_graph

from derivgui.core.engine import _compile_lock, symbolic_gradient
from derivgui.core.parse import Expression

ATOM, POWER, UNARY, PRODUCT, SUM = 5, 4, 3, 2, 1
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_FUNCTION_NAMES = {
    "sigmoid": "σ", "exp": "exp", "log": "log", "log1p": "log1p", "log2": "log₂", "log10": "log₁₀",
    "sin": "sin", "cos": "cos", "tan": "tan", "tanh": "tanh", "sinh": "sinh", "cosh": "cosh",
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh", "arccosh": "acosh",
    "arctanh": "atanh", "sign": "sign", "abs": "abs", "erf": "erf", "softplus": "softplus",
    "floor": "floor", "ceil": "ceil", "maximum": "max", "minimum": "min", "arctan2": "atan2",
}
_TRANSPARENT = {"Cast", "DimShuffle", "SpecifyShape"}


def derivative_formulas(expression: Expression) -> tuple[str, ...]:
    """One readable formula per variable: f′(x), or ∂f/∂x and ∂f/∂y."""
    with _compile_lock:
        _inputs, _value, grads = symbolic_gradient(expression)
        rewritten = rewrite_graph(list(grads), include=("canonicalize", "stabilize", "specialize"))
    if isinstance(rewritten, Variable):
        rewritten = [rewritten]
    return tuple(to_math(g) for g in rewritten)


def to_math(variable: Variable) -> str:
    return _print(variable)[0]


def _number(value: float) -> str:
    if value == math.pi:
        return "π"
    if value == math.e:
        return "e"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value)).replace("-", "−")
    return f"{value:.10g}".replace("-", "−")


def _wrap(text_prec: tuple[str, int], min_prec: int) -> str:
    text, prec = text_prec
    return f"({text})" if prec < min_prec else text


def _print(var: Variable) -> tuple[str, int]:
    if isinstance(var, Constant):
        data = np.asarray(var.data)
        if data.size == 1:
            value = float(data.reshape(-1)[0])
            return _number(value), (ATOM if value >= 0 else UNARY)
        return "…", ATOM
    node = var.owner
    if node is None:
        return (var.name or "?"), ATOM
    op_name = type(node.op).__name__
    if op_name in _TRANSPARENT:
        return _print(node.inputs[0])
    if op_name == "Alloc":  # a constant filled to the input's shape
        return _print(node.inputs[0])
    scalar = getattr(node.op, "scalar_op", None)
    if scalar is None:
        return f"{op_name}(…)", ATOM
    name = type(scalar).__name__.lower()
    args = node.inputs
    if name == "second":  # fill(shape_of, value)
        return _print(args[1])
    if name == "cast":
        return _print(args[0])
    if name == "add":
        return _sum(args), SUM
    if name == "sub":
        return f"{_wrap(_print(args[0]), SUM)} − {_wrap(_print(args[1]), PRODUCT)}", SUM
    if name == "neg":
        return f"−{_wrap(_print(args[0]), PRODUCT + 1)}", UNARY
    if name == "mul":
        return _product(args)
    if name == "true_div" or name == "truediv":
        return f"{_wrap(_print(args[0]), PRODUCT)}/{_wrap(_print(args[1]), POWER)}", PRODUCT
    if name == "reciprocal":
        return f"1/{_wrap(_print(args[0]), POWER)}", PRODUCT
    if name == "sqr":
        return f"{_wrap(_print(args[0]), ATOM)}²", POWER
    if name == "pow":
        return _power(args), POWER
    if name == "sqrt":
        inner = _print(args[0])
        return (f"√{inner[0]}" if inner[1] == ATOM else f"√({inner[0]})"), ATOM
    if name == "eq":
        return f"[{to_math(args[0])} = {to_math(args[1])}]", ATOM
    if name in ("switch",):
        return f"({to_math(args[1])} if {to_math(args[0])} else {to_math(args[2])})", ATOM
    label = _FUNCTION_NAMES.get(name, name)
    return f"{label}({', '.join(to_math(a) for a in args)})", ATOM


def _sum(args) -> str:
    text = to_math(args[0]) if _print(args[0])[1] >= SUM else f"({to_math(args[0])})"
    for arg in args[1:]:
        term, prec = _print(arg)
        if term.startswith("−") and prec >= PRODUCT:
            text += f" − {term[1:]}"
        else:
            text += f" + {term}"
    return text


def _product(args) -> tuple[str, int]:
    constants = [a for a in args if isinstance(a, Constant)]
    others = [a for a in args if not isinstance(a, Constant)]
    coefficient = 1.0
    for c in constants:
        coefficient *= float(np.asarray(c.data).reshape(-1)[0])
    factors = [_wrap(_print(a), UNARY + 1) for a in others]
    if coefficient == -1.0:
        text = "·".join(factors) or "1"
        return f"−{text}", UNARY
    if coefficient != 1.0 or not factors:
        factors.insert(0, _number(abs(coefficient)))
    text = "·".join(factors)
    if coefficient < 0:
        return f"−{text}", UNARY
    return text, PRODUCT


def _power(args) -> str:
    base = _wrap(_print(args[0]), ATOM)
    exponent = args[1]
    if isinstance(exponent, Constant):
        value = float(np.asarray(exponent.data).reshape(-1)[0])
        if value.is_integer() and -9 <= value <= 9:
            return base + str(int(value)).translate(_SUPERSCRIPT)
    return f"{base}^{_wrap(_print(exponent), ATOM)}"
