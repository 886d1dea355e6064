"""What the expression *as typed* requires of its arguments, read from the tree (no PyTensor).

PyTensor's rewrites simplify the graph and thereby define f where the typed expression is not
defined: ``x/x`` becomes 1, ``0·log(x)`` becomes 0, ``log(x) − log(x)`` becomes 0. A teaching tool
must show the hole at x = 0, so the engine evaluates, beside the rewritten graph, the conditions
listed here and makes f NaN wherever one fails.

A cheap sign analysis drops the conditions that always hold (``1 + exp(−x)`` is never 0,
``x² + 1`` is positive), so the common expressions pay nothing for their guard.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from derivgui.expr.functions import CONSTANTS
from derivgui.expr.parse import Binary, Call, Const, Node, Num, Unary, Var, iter_nodes

# Sign facts, from weakest to strongest: anything, ≥ 0, ≠ 0, > 0.
ANY, NONNEG, NONZERO, POSITIVE = "any", "nonneg", "nonzero", "positive"


@dataclass(frozen=True)
class Condition:
    """``node`` (or ``base``/``exponent`` for powers) must satisfy ``kind``.

    Kinds: "nonzero" (a divisor), "positive" (log), "nonneg" (sqrt), "above_minus_one" (log1p),
    "unit" (|u| ≤ 1: asin, acos), "open_unit" (|u| < 1: atanh), "at_least_one" (acosh),
    "not_origin" (atan2's two arguments are not both 0), "power" (the real power
    ``node.left ^ node.right`` exists).
    """

    kind: str
    node: Node


def constant_value(node: Node) -> float | None:
    """The value of a subtree without variables, or None (also when it is not finite)."""
    try:
        value = _constant(node)
    except (ArithmeticError, ValueError):
        return None
    return value if value is not None and math.isfinite(value) else None


def _constant(node: Node) -> float | None:
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Const):
        return CONSTANTS[node.name]
    if isinstance(node, Unary):
        inner = _constant(node.operand)
        return None if inner is None else -inner
    if isinstance(node, Binary):
        left, right = _constant(node.left), _constant(node.right)
        if left is None or right is None:
            return None
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return left * right
        if node.op == "/":
            return left / right
        return float(left**right) if not (left < 0 and not float(right).is_integer()) else None
    return None


def sign_of(node: Node) -> str:
    """What is known of the sign of ``node`` for every input: POSITIVE, NONZERO, NONNEG or ANY."""
    value = constant_value(node)
    if value is not None:
        return POSITIVE if value > 0 else NONZERO if value < 0 else NONNEG
    if isinstance(node, Unary):
        inner = sign_of(node.operand)
        return NONZERO if inner in (POSITIVE, NONZERO) else ANY
    if isinstance(node, Binary):
        return _binary_sign(node)
    if isinstance(node, Call):
        return _call_sign(node)
    return ANY


def _binary_sign(node: Binary) -> str:
    left, right = sign_of(node.left), sign_of(node.right)
    if node.op == "+":
        if POSITIVE in (left, right) and {left, right} <= {POSITIVE, NONNEG}:
            return POSITIVE
        return NONNEG if left == right == NONNEG else ANY
    if node.op in "*/":
        if left == right == POSITIVE:
            return POSITIVE
        if left in (POSITIVE, NONZERO) and right in (POSITIVE, NONZERO):
            return NONZERO
        if node.op == "*" and {left, right} <= {POSITIVE, NONNEG}:
            return NONNEG
        return ANY
    if node.op == "^":
        exponent = constant_value(node.right)
        if left == POSITIVE:
            return POSITIVE
        if exponent is not None and exponent.is_integer() and exponent % 2 == 0:
            return POSITIVE if left in (POSITIVE, NONZERO) else NONNEG
        if left == NONNEG:
            return NONNEG
    return ANY


_POSITIVE_FUNCTIONS = {"exp", "cosh", "sigmoid", "softplus", "sech"}
_NONNEG_FUNCTIONS = {"abs", "sqrt"}


def _call_sign(node: Call) -> str:
    if node.func in _POSITIVE_FUNCTIONS:
        return POSITIVE
    if node.func in _NONNEG_FUNCTIONS:
        return POSITIVE if sign_of(node.args[0]) in (POSITIVE, NONZERO) else NONNEG
    if node.func in ("max",) and any(sign_of(a) == POSITIVE for a in node.args):
        return POSITIVE
    return ANY


def conditions(tree: Node) -> list[Condition]:
    """The domain conditions of the typed expression that the sign analysis cannot discharge."""
    found: list[Condition] = []
    for node in iter_nodes(tree):
        for condition in _conditions_of(node):
            if not _always_holds(condition):
                found.append(condition)
    return found


_ARGUMENT_CONDITIONS = {
    "log": "positive", "log10": "positive", "log2": "positive", "log1p": "above_minus_one",
    "sqrt": "nonneg", "asin": "unit", "acos": "unit", "atanh": "open_unit", "acosh": "at_least_one",
    "cot": "nonzero_sin", "csc": "nonzero_sin", "coth": "nonzero", "csch": "nonzero",
}


def _conditions_of(node: Node) -> list[Condition]:
    if isinstance(node, Binary) and node.op == "/":
        return [Condition("nonzero", node.right)]
    if isinstance(node, Binary) and node.op == "^":
        if isinstance(node.left, Const) and node.left.name == "e":
            return []
        return [Condition("power", node)]
    if isinstance(node, Call):
        if node.func == "atan2":
            return [Condition("not_origin", node)]
        kind = _ARGUMENT_CONDITIONS.get(node.func)
        if kind == "nonzero_sin":
            return [Condition("nonzero", Call("sin", node.args, node.column))]
        if kind is not None:
            return [Condition(kind, node.args[0])]
    return []


def _always_holds(condition: Condition) -> bool:
    if condition.kind == "power":
        assert isinstance(condition.node, Binary)
        base, exponent = sign_of(condition.node.left), constant_value(condition.node.right)
        if base == POSITIVE:
            return True
        if exponent is None:
            return False
        if exponent.is_integer():
            return exponent >= 0 or base in (POSITIVE, NONZERO)
        return base == NONNEG and exponent > 0
    sign = sign_of(condition.node)
    if condition.kind == "nonzero":
        return sign in (POSITIVE, NONZERO)
    if condition.kind == "positive":
        return sign == POSITIVE
    if condition.kind in ("nonneg", "above_minus_one"):
        return sign in (POSITIVE, NONNEG)
    return False


def uses(tree: Node, names: set[str]) -> bool:
    """Whether the tree calls any of the functions ``names``."""
    return any(isinstance(n, Call) and n.func in names for n in iter_nodes(tree))


def variables_in(node: Node) -> set[str]:
    return {n.name for n in iter_nodes(node) if isinstance(n, Var)}
