"""Compiled expressions as the app and the API use them: NumPy only, no PyTensor.

A ``Kernel`` wraps one ``Program`` (what ``engine`` or the compile process built); a
``CompiledExpression`` is the user-facing view of a kernel under one spelling of the expression.
Kernels are cached by normalized text, so ``2x`` and ``2*x`` share one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from derivgui.expr.parse import Expression
from derivgui.numeric.program import Program, Runner

# Each kernel is small now (a list of NumPy calls), but the cache still bounds what a long
# session keeps; 32 covers going back and forth between a lesson's expressions.
CACHE_SIZE = 32


@dataclass(frozen=True)
class Programs:
    """What one compile produces: the value-and-gradient program, and for an expression with
    switching functions (abs, sign, floor, ceil, max, min) the two programs that judge a point.

    ``switch_kinds[k]`` names the k-th switching node; ``switch_arguments`` computes, per node,
    the argument whose sign picks its branch; ``branches`` takes the variables and one selector
    per node and computes that branch's value and gradient (see ``verdict``). ``divisors``
    (f(x) only) computes what the typed expression divides by, to find its holes.
    """

    main: Program
    switch_kinds: tuple[str, ...] = ()
    switch_arguments: Program | None = None
    branches: Program | None = None
    divisors: Program | None = None


class Kernel:
    """One compiled expression's programs; shared by every spelling of the same expression."""

    def __init__(self, programs: Programs, n_variables: int) -> None:
        self.programs = programs
        self.program = programs.main
        self.n_variables = n_variables
        self._run = Runner(programs.main)
        self._run_switch_arguments = Runner(programs.switch_arguments) if programs.switch_arguments else None
        self._run_branches = Runner(programs.branches) if programs.branches else None
        self._run_divisors = Runner(programs.divisors) if programs.divisors else None
        self.formulas: tuple[str, ...] | None = None  # set by CompiledExpression.derivative_formulas

    def switch_arguments(self, *args: np.ndarray) -> list[np.ndarray]:
        """Each switching node's branch-picking argument at the points (float arrays of one shape)."""
        if self._run_switch_arguments is None:
            return []
        size = np.size(args[0])
        with np.errstate(all="ignore"):
            return [_fresh(o, size) for o in self._run_switch_arguments(*args)]

    def divisors(self, x: np.ndarray) -> list[np.ndarray]:
        """What f(x) divides by, at the points ``x``."""
        if self._run_divisors is None:
            return []
        with np.errstate(all="ignore"):
            return [_fresh(o, x.size) for o in self._run_divisors(x)]

    def branch(self, args: tuple[np.ndarray, ...], selectors: list[np.ndarray]):
        """The value and gradient of the branch the selectors pick, at the points ``args``."""
        assert self._run_branches is not None
        size = np.size(args[0])
        with np.errstate(all="ignore"):
            value, *grads = (_fresh(o, size) for o in self._run_branches(*args, *selectors))
        return value, tuple(grads)

    def evaluate(self, args: tuple) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        if len(args) != self.n_variables:
            names = "x, y" if self.n_variables == 2 else "x"
            raise TypeError(f"this expression takes {self.n_variables} argument(s) ({names}), got {len(args)}")
        arrays = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in args))
        shape = arrays[0].shape
        size = arrays[0].size
        flat = [np.ascontiguousarray(a).reshape(-1) for a in arrays]
        with np.errstate(all="ignore"):
            outputs = self._run(*flat)
        value, *grads = (_fresh(o, size).reshape(shape) for o in outputs)
        with np.errstate(all="ignore"):  # one fast reduction: NaN and ±inf survive a sum
            suspect = not np.isfinite(value.sum())
        if suspect:
            finite = np.isfinite(value)
            for g in grads:
                g[~finite] = np.nan
        return value, tuple(grads)


def _fresh(output, size: int) -> np.ndarray:
    """A writable float64 array of ``size`` values that belongs to the caller.

    The runner returns arrays no one else holds; only a constant's 1-element result (the
    derivative of ``5``, the value of ``pi``) needs spreading over the points.
    """
    array = np.asarray(output, dtype=np.float64)
    if array.shape != (size,) or not array.flags.writeable:
        array = np.broadcast_to(array, (size,)).copy()
    return array


class CompiledExpression:
    """A compiled ``f`` and its autodiff gradient, callable on NumPy arrays of any shape.

    ``f(x)`` / ``f(x, y)`` give values, ``f.grad(...)`` one array per variable, and
    ``f.value_and_grad(...)`` both from a single evaluation. Domain errors give NaN or inf as
    NumPy would, silently; where ``f`` is not finite the derivative is NaN too.

    ``formula_source`` is what ``derivative_formulas()`` asks when it is given nothing: whoever
    compiled the expression knows how to print its derivative (``engine.compile_expr`` passes
    ``engine.derivative_formulas``); this module imports neither PyTensor nor the printer.
    """

    def __init__(self, expression: Expression, kernel: Kernel,
                 formula_source: Callable[[Expression], tuple[str, ...]] | None = None) -> None:
        self.expression = expression
        self._kernel = kernel
        self._formula_source = formula_source

    @property
    def text(self) -> str:
        return self.expression.text

    @property
    def variables(self) -> tuple[str, ...]:
        return self.expression.variables

    def __call__(self, *args) -> np.ndarray:
        return self._kernel.evaluate(args)[0]

    def grad(self, *args) -> tuple[np.ndarray, ...]:
        return self._kernel.evaluate(args)[1]

    def value_and_grad(self, *args) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        return self._kernel.evaluate(args)

    def branch_changes(self, *args) -> np.ndarray:
        """Per segment between consecutive points (1-D arrays), whether some switching function
        (abs, sign, floor, ceil, max, min) is on another branch at its two ends."""
        arrays = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64).reshape(-1) for a in args))
        changes = np.zeros(max(arrays[0].size - 1, 0), dtype=bool)
        kinds = self._kernel.programs.switch_kinds
        for kind, argument in zip(kinds, self._kernel.switch_arguments(*arrays), strict=True):
            side = np.floor(argument) if kind in ("floor", "ceil") else np.sign(argument)
            changes |= side[1:] != side[:-1]
        return changes

    def holes(self, x_min: float, x_max: float, n: int = 2001, most: int = 50) -> list[tuple[float, float]]:
        """The holes of f(x) in [x_min, x_max]: points where a divisor of the typed expression is 0
        but f has the same limit on both sides ((x² − 1)/(x − 1) at 1), as (x, limit) pairs.

        Each sign change of a divisor on a grid of ``n`` points is narrowed to the float where it
        is 0 (bisection), and the verdict there decides."""
        from derivgui.numeric.verdict import HOLE

        x = np.linspace(x_min, x_max, max(n, 2))
        candidates: list[float] = []
        for k, divisor in enumerate(self._kernel.divisors(x)):
            sign = np.sign(divisor)
            candidates += [float(v) for v in x[sign == 0]]
            for i in np.flatnonzero(sign[:-1] * sign[1:] < 0)[:most]:
                candidates.append(self._zero_between(k, float(x[i]), float(x[i + 1])))
        found = []
        for root in sorted(set(candidates))[:most]:
            verdict = self.derivative_at(root)
            if verdict.kind == HOLE and verdict.f_left is not None:
                found.append((root, verdict.f_left))
        return found

    def _zero_between(self, k: int, lo: float, hi: float) -> float:
        """Bisection across the k-th divisor's sign change down to adjacent floats: the point where
        it is 0, or else the one of the two closest to 0."""
        def divisor(v: float) -> float:
            return float(self._kernel.divisors(np.array([v]))[k][0])

        at_lo, at_hi = divisor(lo), divisor(hi)
        for _ in range(1100):  # enough halvings to reach adjacent floats from any interval
            mid = lo + (hi - lo) / 2
            if mid in (lo, hi):
                break
            at_mid = divisor(mid)
            if at_mid == 0.0:
                return float(mid)
            if np.sign(at_mid) == np.sign(at_lo):
                lo, at_lo = mid, at_mid
            else:
                hi, at_hi = mid, at_mid
        return float(lo if abs(at_lo) <= abs(at_hi) else hi)

    def derivative_at(self, *point: float):
        """Whether f′ exists at the point, and what it is: a ``verdict.PointVerdict`` for f(x);
        for f(x, y) one per axis (x with y = b fixed, y with x = a fixed)."""
        from derivgui.numeric.verdict import derivative_at

        if len(point) != len(self.variables):
            raise TypeError(f"derivative_at takes {len(self.variables)} coordinate(s), got {len(point)}")
        verdicts = tuple(derivative_at(self._kernel, point, axis) for axis in range(len(point)))
        return verdicts[0] if len(verdicts) == 1 else verdicts

    def derivative_formulas(
            self, compute: Callable[[Expression], tuple[str, ...]] | None = None) -> tuple[str, ...]:
        """What autodiff built, as readable math: f′(x), or (∂f/∂x, ∂f/∂y). Computed once per kernel,
        by ``compute`` (the window asks its compile process) or else by the ``formula_source``."""
        if self._kernel.formulas is None:
            compute = compute or self._formula_source
            if compute is None:
                raise RuntimeError(f"{self!r} was made without a formula source: pass derivative_formulas one")
            self._kernel.formulas = compute(self.expression)
        return self._kernel.formulas

    def __repr__(self) -> str:
        return f"CompiledExpression({self.text!r}, variables={self.variables})"


class KernelCache:
    """Least-recently-used kernels, keyed by normalized expression text."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, Kernel] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, expression: Expression) -> Kernel | None:
        with self._lock:
            kernel = self._items.get(expression.normalized)
            if kernel is not None:
                self._items.move_to_end(expression.normalized)
            return kernel

    def put(self, expression: Expression, programs: Programs) -> Kernel:
        kernel = Kernel(programs, len(expression.variables))
        with self._lock:
            self._items[expression.normalized] = kernel
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return kernel

    def get_or_build(self, expression: Expression, build: Callable[[Expression], Programs]) -> Kernel:
        """The cached kernel, or a new one from ``build`` (which runs outside the cache's lock)."""
        kernel = self.get(expression)
        return kernel if kernel is not None else self.put(expression, build(expression))

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


kernel_cache = KernelCache(CACHE_SIZE)
