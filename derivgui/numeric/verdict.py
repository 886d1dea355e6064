"""Does f′(a) exist? The verdict at one point, from the compiled programs (NumPy only).

A tangent drawn at a kink teaches the wrong thing, so before anything draws a tangent it asks
here. The non-smooth places come from the graph: every switching function (abs, sign, floor,
ceil, max, min) reports the argument whose sign picks its branch (``Programs.switch_arguments``).
Where one of them is at its switch point, each side's branch is read off the arguments just beside
a, and the one-sided derivatives are that branch's derivative at a, by autodiff
(``Programs.branches``), exactly. Only what autodiff cannot give at a itself — a slope that grows
without bound (∛x at 0) or f's limit at a point where f is undefined (a hole) — is read from the
values beside a, on a ladder of steps shrinking towards a.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeGuard

import numpy as np

SMOOTH, KINK, JUMP, HOLE, VERTICAL, UNDEFINED = "smooth", "kink", "jump", "hole", "vertical", "undefined"

# One-sided values from exact branch formulas agree to rounding; limits read off a ladder of
# steps agree to the ladder's truncation error.
_EXACT_RTOL = 1e-9
_LIMIT_RTOL = 1e-6
_LADDER = 10.0 ** -np.arange(2, 10)  # steps beside a, relative to max(|a|, 1), shrinking


@dataclass(frozen=True)
class PointVerdict:
    """What the derivative of f is at one point, along one axis.

    ``kind`` is one of "smooth", "kink", "jump", "hole", "vertical", "undefined"; ``value`` is
    f′(a) when it exists, else None; ``left``/``right`` are the one-sided derivatives (or the
    limits of the slope, possibly ±inf), None where f is undefined on that side; ``f_value`` is
    f(a) (None where undefined) and ``f_left``/``f_right`` f's one-sided limits.
    """

    kind: str
    value: float | None
    left: float | None
    right: float | None
    f_value: float | None = None
    f_left: float | None = None
    f_right: float | None = None

    @property
    def exists(self) -> bool:
        return self.kind == SMOOTH

    def describe(self, name: str = "f′(a)") -> str:
        """The readout's sentence, e.g. "no derivative: left −1, right 1"."""
        if self.kind == SMOOTH:
            return f"{name} = {_number(self.value)}"
        if self.kind == KINK:
            if _infinite(self.left) and _infinite(self.right):
                return f"no derivative (a cusp): left {_number(self.left)}, right {_number(self.right)}"
            return f"no derivative: left {_number(self.left)}, right {_number(self.right)}"
        if self.kind == JUMP:
            if _close(self.f_left, self.f_right, _LIMIT_RTOL):
                return f"no derivative: f(a) = {_number(self.f_value)} but f → {_number(self.f_left)} on both sides"
            return f"no derivative: f jumps from {_number(self.f_left)} to {_number(self.f_right)}"
        if self.kind == VERTICAL:
            return "vertical tangent: no derivative"
        if self.kind == HOLE:  # the limit is the f(a) readout's to say (``describe_value``)
            return "no derivative: f(a) undefined (a hole)"
        if _finite(self.f_left) and _finite(self.f_right):
            return f"no derivative: f(a) undefined (f jumps from {_number(self.f_left)} to {_number(self.f_right)})"
        return "no derivative: f(a) undefined"

    def describe_value(self) -> str | None:
        """The f(a) readout's words when f(a) is not an ordinary value, else None."""
        if self.kind == HOLE:
            return f"undefined (a hole: the limit is {_number(self.f_left)})"
        if self.f_value is None:
            return "undefined"
        return None


def _infinite(value: float | None) -> bool:
    return value is not None and math.isinf(value)


def _number(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "undefined"
    if math.isinf(value):
        return "+∞" if value > 0 else "−∞"
    text = f"{value:.6g}".replace("-", "−")
    return "0" if text == "−0" else text


def _finite(value: float | None) -> TypeGuard[float]:
    return value is not None and math.isfinite(value)


def _close(u: float | None, v: float | None, rtol: float) -> bool:
    if u is None or v is None:
        return False
    if math.isinf(u) or math.isinf(v):
        return u == v
    return abs(u - v) <= rtol * max(abs(u), abs(v)) or u == v


class _Line:
    """f restricted to the line through ``point`` along ``axis``: offsets t → the points a + t·eᵢ."""

    def __init__(self, kernel, point: tuple[float, ...], axis: int) -> None:
        self.kernel = kernel
        self.point = point
        self.axis = axis
        self.a = point[axis]
        self.scale = max(abs(self.a), 1.0)

    def args(self, offsets: np.ndarray) -> tuple[np.ndarray, ...]:
        offsets = np.asarray(offsets, dtype=np.float64)
        return tuple(c + offsets if j == self.axis else np.full(offsets.shape, c, dtype=np.float64)
                     for j, c in enumerate(self.point))

    def value_and_slope(self, offsets) -> tuple[np.ndarray, np.ndarray]:
        value, grads = self.kernel.evaluate(self.args(offsets))
        return value, grads[self.axis]


def derivative_at(kernel, point: tuple[float, ...], axis: int = 0) -> PointVerdict:
    """The verdict on ∂f/∂(axis) at ``point`` for a compiled kernel (see ``PointVerdict``)."""
    line = _Line(kernel, tuple(float(c) for c in point), axis)
    values, slopes = line.value_and_slope(np.zeros(1))
    f_a, slope = float(values[0]), float(slopes[0])
    f_value = f_a if math.isfinite(f_a) else None
    switching = _switches_at(line)
    if switching is not None and any(switching):
        sides = [_branch_side(line, switching, side) for side in (-1.0, 1.0)]
        return _classify(f_value, sides, _EXACT_RTOL)
    if f_value is not None and math.isfinite(slope):
        return PointVerdict(SMOOTH, slope, slope, slope, f_value, f_value, f_value)
    sides = [(_f_limit(line, side, f_value), _limit(line, side, 1)) for side in (-1.0, 1.0)]
    return _classify(f_value, sides, _LIMIT_RTOL)


def _f_limit(line: _Line, side: float, f_value: float | None) -> float | None:
    """f's one-sided limit at a: f(a) itself where f(a + h) → f(a) (however slowly, as ∛h does)."""
    if f_value is not None:
        offsets = side * line.scale * _LADDER
        distances = np.abs(line.value_and_slope(offsets)[0] - f_value)
        shrinking = bool(np.all(np.diff(distances) <= 0) and distances[-1] <= 1e-2 * distances[0])
        if np.isfinite(distances).all() and (shrinking or distances[-1] <= 1e-12 * max(abs(f_value), 1e-300)):
            return f_value
    return _limit(line, side, 0)


def _classify(f_value: float | None, sides: list[tuple[float | None, float | None]], rtol: float) -> PointVerdict:
    (f_left, left), (f_right, right) = sides
    if f_value is None:
        if _finite(f_left) and _finite(f_right) and _close(f_left, f_right, rtol):
            return PointVerdict(HOLE, None, left, right, None, f_left, f_right)
        return PointVerdict(UNDEFINED, None, left, right, None, f_left, f_right)
    present = [f for f in (f_left, f_right) if f is not None]
    if not present:
        return PointVerdict(UNDEFINED, None, left, right, f_value, f_left, f_right)
    if any(not _close(f, f_value, rtol) for f in present):
        return PointVerdict(JUMP, None, left, right, f_value, f_left, f_right)
    if f_left is None or f_right is None:  # an end of f's domain: at most one-sided
        one_sided = left if f_right is None else right
        kind = VERTICAL if _infinite(one_sided) else UNDEFINED
        return PointVerdict(kind, None, left, right, f_value, f_left, f_right)
    if _finite(left) and _finite(right):
        if _close(left, right, rtol):
            return PointVerdict(SMOOTH, (left + right) / 2, left, right, f_value, f_left, f_right)
        return PointVerdict(KINK, None, left, right, f_value, f_left, f_right)
    if _infinite(left) and _infinite(right) and left == right:
        return PointVerdict(VERTICAL, None, left, right, f_value, f_left, f_right)
    if left is None or right is None or math.isnan(left) or math.isnan(right):
        return PointVerdict(UNDEFINED, None, left, right, f_value, f_left, f_right)
    return PointVerdict(KINK, None, left, right, f_value, f_left, f_right)


# -- switching functions -----------------------------------------------------------------------


def _tiny_step(a: float) -> float:
    """A few units in the last place of a: the closest neighbours of a on either side."""
    return 8.0 * float(np.spacing(abs(a))) if a != 0.0 else 1e-300


def _switches_at(line: _Line) -> list[bool] | None:
    """Per switching node, whether a is at its switch point; None when f has no switching node."""
    kinds = line.kernel.programs.switch_kinds
    if not kinds:
        return None
    delta = _tiny_step(line.a)
    arguments = line.kernel.switch_arguments(*line.args(np.array([-delta, 0.0, delta])))
    switching = []
    for kind, (before, at, after) in zip(kinds, arguments, strict=True):
        if kind in ("floor", "ceil"):
            switching.append(bool(float(at).is_integer() or math.floor(before) != math.floor(after)))
        else:
            switching.append(bool(at == 0.0 or np.sign(before) != np.sign(after)))
    return switching


def _selector(kind: str, argument: float) -> float:
    """The selector that picks the branch active where the switch argument is ``argument``."""
    if kind == "floor":
        return float(math.floor(argument))
    if kind == "ceil":
        return float(math.ceil(argument))
    return 1.0 if argument > 0 else -1.0 if argument < 0 else 0.0


def _branch_side(line: _Line, switching: list[bool], side: float) -> tuple[float | None, float | None]:
    """f's limit and the one-sided derivative on ``side`` (−1 left, +1 right) of a, from the branch
    active there: each switch at a takes the branch it has just beside a, the others keep theirs."""
    kinds = line.kernel.programs.switch_kinds
    at_a = line.kernel.switch_arguments(*line.args(np.zeros(1)))
    beside = None
    for step in (_tiny_step(line.a), *(line.scale * _LADDER[::-1][:6])):
        arguments = line.kernel.switch_arguments(*line.args(np.array([side * step])))
        if all(not s or kind in ("floor", "ceil") or arguments[k][0] != 0.0
               for k, (kind, s) in enumerate(zip(kinds, switching, strict=True))):
            beside = arguments
            break
    if beside is None:
        beside = arguments
    selectors = [np.array([_selector(kind, float((beside if s else at_a)[k][0]))])
                 for k, (kind, s) in enumerate(zip(kinds, switching, strict=True))]
    value, grads = line.kernel.branch(line.args(np.zeros(1)), selectors)
    f_side, slope = float(value[0]), float(grads[line.axis][0])
    if not math.isfinite(f_side):
        f_limit = _f_limit(line, side, None)
        if f_limit is None:
            return None, None
        f_side = f_limit
    return f_side, slope if math.isfinite(slope) else _limit(line, side, 1)


# -- limits on a ladder of steps ------------------------------------------------------------------


def _limit(line: _Line, side: float, which: int) -> float | None:
    """The one-sided limit of f (``which`` 0) or of its slope (1) at a; ±inf when it grows without
    bound; None when f is undefined there or the values settle on nothing (sin(1/x))."""
    offsets = side * line.scale * _LADDER
    values = line.value_and_slope(offsets)[which]
    tail = values[-4:]
    if not np.isfinite(tail).all():
        if np.isinf(tail).all() and len(set(np.sign(tail))) == 1:
            return float(tail[-1])
        return None
    magnitudes = np.abs(values)
    if np.isfinite(values).all() and np.all(np.diff(magnitudes) > 0) and magnitudes[-1] > 3 * magnitudes[0] \
            and len(set(np.sign(values))) == 1:
        return math.copysign(math.inf, values[-1])
    steps = np.abs(np.diff(values))
    if steps[-1] <= 0.02 * steps[0] and steps[-3:].max() <= 0.1 * steps[:3].max():
        last, previous = float(values[-1]), float(values[-2])
        # The error of f(a + h) shrinks like h: one Richardson step removes most of it.
        estimate = last + (last - previous) / 9.0
        # What is left beside a limit of 0 (x·sin(1/x)) is the ladder's own error.
        return 0.0 if abs(estimate) <= 1e-7 * float(magnitudes.max()) else estimate
    return None
