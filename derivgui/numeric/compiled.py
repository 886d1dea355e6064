"""Compiled expressions as the app and the API use them: NumPy only, no PyTensor.

A ``Kernel`` wraps the ``Programs`` of one compile (what ``engine`` or the compile process built);
a ``CompiledExpression`` is the user-facing view of a kernel under one spelling of the expression.
Kernels are cached by normalized text (and by the capabilities a compile was asked for, see
``compiler.request``), so ``2x`` and ``2*x`` share one.

The main program's outputs are named ("value", "d1/x", "d1/k", "d3/x", "d2/xy", ...): a kernel
evaluates any of them by name (``Kernel.outputs``), running only the steps they need.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np

from derivgui.expr.names import MAX_ORDER
from derivgui.expr.parse import Expression
from derivgui.numeric.program import Program, Runner, select

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
    verdicts: bool = True  # False: compiled without the three programs above (they are None, not absent)


_VARIABLES = ("x", "y")


class Kernel:
    """One compiled expression's programs; shared by every spelling of the same expression.

    The main program's inputs are the variables, then the parameters (``Program.input_names``);
    its outputs are named (``Program.output_names``; unnamed programs are "value", "d1/x"[, "d1/y"]).
    """

    def __init__(self, programs: Programs, n_variables: int) -> None:
        self.programs = programs
        self.program = main = programs.main
        self.n_variables = n_variables
        names = main.input_names or _VARIABLES[:n_variables]
        self.variables: tuple[str, ...] = tuple(names[:n_variables])
        self.parameters: tuple[str, ...] = tuple(names[n_variables:main.n_inputs])
        self.n_inputs = main.n_inputs
        self.output_names: tuple[str, ...] = main.output_names or (
            "value", *(f"d1/{v}" for v in self.variables))[: len(main.outputs)]
        self._index = {name: i for i, name in enumerate(self.output_names)}
        gradient = ("value", *(f"d1/{v}" for v in self.variables))
        self.has_gradient = all(name in self._index for name in gradient)
        # The value-and-gradient runner (every plot's), fixed here so that evaluate picks nothing per call.
        self._run: Runner | None = None
        if self.output_names == gradient:
            self._run = Runner(main)
        elif self.has_gradient:
            self._run = Runner(select(main, tuple(self._index[n] for n in gradient)))
        self._selections: dict[tuple[str, ...], Runner] = {}
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

    def divisors(self, x: np.ndarray, *parameters: np.ndarray) -> list[np.ndarray]:
        """What f(x) divides by, at the points ``x`` (with the parameters' values, arrays like x)."""
        if self._run_divisors is None:
            return []
        with np.errstate(all="ignore"):
            return [_fresh(o, x.size) for o in self._run_divisors(x, *parameters)]

    def branch(self, args: tuple[np.ndarray, ...], selectors: list[np.ndarray]):
        """The value and gradient of the branch the selectors pick, at the points ``args``."""
        assert self._run_branches is not None
        size = np.size(args[0])
        with np.errstate(all="ignore"):
            value, *grads = (_fresh(o, size) for o in self._run_branches(*args, *selectors))
        return value, tuple(grads)

    def evaluate(self, args: tuple) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        """f and its gradient along the variables at the points ``args`` (the variables' arrays,
        then the parameters'; all broadcast together)."""
        if len(args) != self.n_inputs:
            raise TypeError(self._wrong_count(len(args)))
        if self._run is None:
            raise TypeError(f"this kernel was compiled without the gradient; it has {', '.join(self.output_names)}")
        flat, shape, size = _flatten(args)
        with np.errstate(all="ignore"):
            outputs = self._run(*flat)
        value, *grads = (_fresh(o, size).reshape(shape) for o in outputs)
        _undefined_where_f_is(value, grads)
        return value, tuple(grads)

    def outputs(self, args: tuple, names: tuple[str, ...]) -> tuple[np.ndarray, ...]:
        """The named outputs at the points ``args`` (as for ``evaluate``), in the order of ``names``.

        Only the steps they need run (and f's, which says where they are NaN: wherever f is not
        finite, as for the gradient). ``KeyError`` for a name the kernel was not compiled for.
        """
        names = tuple(names)
        if len(args) != self.n_inputs:
            raise TypeError(self._wrong_count(len(args)))
        selection = ("value", *dict.fromkeys(n for n in names if n != "value"))
        run = self._selections.get(selection)
        if run is None:
            unknown = [n for n in selection if n not in self._index]
            if unknown:
                raise KeyError(f"not compiled for {', '.join(unknown)}; this kernel has {', '.join(self.output_names)}")
            run = self._selections[selection] = Runner(select(self.program, tuple(self._index[n] for n in selection)))
        flat, shape, size = _flatten(args)
        with np.errstate(all="ignore"):
            results = dict(zip(selection, (_fresh(o, size).reshape(shape) for o in run(*flat)), strict=True))
        _undefined_where_f_is(results["value"], [array for name, array in results.items() if name != "value"])
        return tuple(results[n] for n in names)

    def has(self, name: str) -> bool:
        return name in self._index

    def _wrong_count(self, got: int) -> str:
        if not self.parameters:
            names = ", ".join(self.variables)
            return f"this expression takes {self.n_variables} argument(s) ({names}), got {got}"
        return (f"this expression takes {self.n_inputs} inputs ({', '.join(self.variables)}, then the parameters "
                f"{', '.join(self.parameters)}), got {got}")


def _flatten(args: tuple) -> tuple[list[np.ndarray], tuple[int, ...], int]:
    """The inputs as 1-D float64 arrays of one length, their common shape and size. Along one
    axis, a broadcast input (a parameter's single value, usually) stays a view, not a copy."""
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in args))
    flat = [a if a.ndim == 1 else np.ascontiguousarray(a).reshape(-1) for a in arrays]
    return flat, arrays[0].shape, arrays[0].size


def _undefined_where_f_is(value: np.ndarray, derivatives) -> None:
    """NaN in ``derivatives`` wherever f's ``value`` is not finite (in place)."""
    with np.errstate(all="ignore"):  # one fast reduction first: NaN and ±inf survive a sum
        if np.isfinite(value.sum()):
            return
    finite = np.isfinite(value)
    for derivative in derivatives:
        derivative[~finite] = np.nan


def _fresh(output, size: int) -> np.ndarray:
    """A writable float64 array of ``size`` values that belongs to the caller.

    The runner returns arrays no one else holds; only a constant's 1-element result (the
    derivative of ``5``, the value of ``pi``) needs spreading over the points.
    """
    array = np.asarray(output, dtype=np.float64)
    if array.shape != (size,) or not array.flags.writeable:
        array = np.broadcast_to(array, (size,)).copy()
    return array


# The options a compiler callback takes (``CompiledExpression``'s ``compiler``): the capabilities
# of a request (``compiler.request.CompileRequest``) besides its text and parameters.
Compiler = Callable[..., Kernel]


class CompiledExpression:
    """A compiled ``f`` and its autodiff gradient, callable on NumPy arrays of any shape.

    ``f(x)`` / ``f(x, y)`` give values, ``f.grad(...)`` one array per variable, and
    ``f.value_and_grad(...)`` both from a single evaluation. Domain errors give NaN or inf as
    NumPy would, silently; where ``f`` is not finite the derivative is NaN too.

    An expression compiled with parameters takes their values as keywords, every call:
    ``f(x, k=2, w=3)``, ``f.grad(x, k=2, w=3)``, ``f.parameter_grad(x, k=2, w=3)`` (∂f/∂k, ∂f/∂w).
    ``f.derivative(n)`` is f⁽ⁿ⁾ for f(x), ``f.hessian(x, y)`` the Hessian of f(x, y): compiled on
    first use (by ``compiler``) unless the kernel already has them.

    ``formula_source`` is what ``derivative_formulas()`` asks when it is given nothing: whoever
    compiled the expression knows how to print its derivative (``engine.compile_expr`` passes
    ``engine.derivative_formulas``); ``compiler`` is how more capabilities are compiled (called
    with ``orders``, ``hessian`` and ``verdicts`` keywords, it returns a kernel for them). This
    module imports neither PyTensor nor the printer.
    """

    def __init__(self, expression: Expression, kernel: Kernel,
                 formula_source: Callable[[Expression], tuple[str, ...]] | None = None,
                 compiler: Compiler | None = None) -> None:
        self.expression = expression
        self._kernel = kernel
        self._formula_source = formula_source
        self._compiler = compiler
        self._parameters = kernel.parameters
        self._more: dict[tuple, Kernel] = {}  # kernels compiled for derivative(n) and hessian

    @property
    def text(self) -> str:
        return self.expression.text

    @property
    def variables(self) -> tuple[str, ...]:
        return self.expression.variables

    @property
    def parameters(self) -> tuple[str, ...]:
        """The names of the parameters, in the order they were given to the compiler."""
        return self._parameters

    @property
    def output_names(self) -> tuple[str, ...]:
        """What ``outputs`` can give without another compile ("value", "d1/x", ...)."""
        return self._kernel.output_names

    def __call__(self, *args, **parameters) -> np.ndarray:
        inputs = self._inputs(args, parameters) if parameters or self._parameters else args
        kernel = self._kernel
        return kernel.evaluate(inputs)[0] if kernel.has_gradient else kernel.outputs(inputs, ("value",))[0]

    def grad(self, *args, **parameters) -> tuple[np.ndarray, ...]:
        """∂f/∂x (and ∂f/∂y): one array per variable."""
        return self._gradient().evaluate(self._inputs(args, parameters) if parameters or self._parameters else args)[1]

    def value_and_grad(self, *args, **parameters) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        return self._gradient().evaluate(self._inputs(args, parameters) if parameters or self._parameters else args)

    def parameter_grad(self, *args, **parameters) -> dict[str, np.ndarray]:
        """∂f/∂p for every parameter p, at the points and parameter values given."""
        names = tuple(f"d1/{p}" for p in self._parameters)
        if not names:
            return {}
        arrays = self._gradient().outputs(self._inputs(args, parameters), names)
        return dict(zip(self._parameters, arrays, strict=True))

    def _gradient(self) -> Kernel:
        """The kernel with the gradient (order 1): this one, unless it was compiled without."""
        kernel = self._kernel
        return kernel if kernel.has_gradient else self._compiled(orders=(1,), hessian=False)

    def outputs(self, names, *args, **parameters) -> dict[str, np.ndarray]:
        """The named outputs the kernel was compiled for (``output_names``), in one evaluation."""
        if isinstance(names, str):
            names = (names,)
        names = tuple(names)
        return dict(zip(names, self._kernel.outputs(self._inputs(args, parameters), names), strict=True))

    def derivative(self, n: int) -> CompiledExpression | Derivative:
        """f⁽ⁿ⁾ for f of one variable, n in 0..8, as a function of x (and the parameters): f itself
        for n = 0. Compiled on first use (by Taylor arithmetic on the graph for n ≥ 2, see
        ``compiler.jet``) and kept."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n <= MAX_ORDER:
            raise ValueError(f"derivative(n) takes a whole number n from 0 to {MAX_ORDER}, got {n!r}")
        n = int(n)
        if len(self.variables) != 1:
            raise TypeError("derivative(n) is for f(x); f(x, y) has grad (order 1) and hessian (order 2)")
        if n == 0:
            return self
        name = f"d{n}/{self.variables[0]}"
        kernel = self._kernel if self._kernel.has(name) else self._compiled(orders=(n,), hessian=False)
        return Derivative(self, n, kernel, name)

    def hessian(self, *args, **parameters) -> np.ndarray:
        """The Hessian of f(x, y) at the points: an array of shape (..., 2, 2), [[f_xx, f_xy], [f_xy, f_yy]]
        over the broadcast shape of the arguments. Compiled on first use and kept."""
        if len(self.variables) != 2:
            raise TypeError("hessian is for f(x, y); for f(x) use f.derivative(2)")
        names = ("d2/xx", "d2/xy", "d2/yy")
        kernel = self._kernel if self._kernel.has(names[0]) else self._compiled(orders=(), hessian=True)
        xx, xy, yy = kernel.outputs(self._inputs(args, parameters), names)
        return np.stack([np.stack([xx, xy], axis=-1), np.stack([xy, yy], axis=-1)], axis=-2)

    def _compiled(self, **capabilities) -> Kernel:
        key = tuple(sorted(capabilities.items()))
        kernel = self._more.get(key)
        if kernel is None:
            if self._compiler is None:
                raise RuntimeError(f"{self!r} was made without a compiler, and its kernel has only "
                                   f"{', '.join(self._kernel.output_names)}")
            kernel = self._more[key] = self._compiler(verdicts=False, **capabilities)
        return kernel

    def _inputs(self, args: tuple, parameters: dict) -> tuple:
        """The positional inputs of the kernel: the variables' values, then the parameters' in order."""
        names = self._parameters
        if not names and not parameters:
            return args
        missing = [p for p in names if p not in parameters]
        unknown = [p for p in parameters if p not in names]
        if unknown:
            known = f"its parameters are {', '.join(names)}" if names else "it has no parameters"
            raise TypeError(f"unexpected parameter(s) {', '.join(unknown)} for {self.text!r}: {known}")
        if missing:
            raise TypeError(f"missing parameter(s) {', '.join(missing)}: call with "
                            f"{', '.join(f'{p}=...' for p in names)}")
        if len(args) != len(self.variables):
            raise TypeError(f"this expression takes {len(self.variables)} argument(s) ({', '.join(self.variables)}) "
                            f"and the parameters as keywords, got {len(args)} argument(s)")
        return (*args, *(parameters[p] for p in names))

    def _bound(self, parameters: dict) -> Kernel | _Bound:
        """The kernel as the verdict sees it: the variables only, the parameters' values fixed."""
        if not self._parameters and not parameters:
            return self._kernel
        values = self._inputs((0.0,) * len(self.variables), parameters)[len(self.variables):]
        return _Bound(self._kernel, tuple(float(v) for v in values))

    def branch_changes(self, *args, **parameters) -> np.ndarray:
        """Per segment between consecutive points (1-D arrays), whether some switching function
        (abs, sign, floor, ceil, max, min) is on another branch at its two ends."""
        kernel = self._bound(parameters)
        arrays = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64).reshape(-1) for a in args))
        changes = np.zeros(max(arrays[0].size - 1, 0), dtype=bool)
        kinds = self._kernel.programs.switch_kinds
        for kind, argument in zip(kinds, kernel.switch_arguments(*arrays), strict=True):
            side = np.floor(argument) if kind in ("floor", "ceil") else np.sign(argument)
            changes |= side[1:] != side[:-1]
        return changes

    def holes(self, x_min: float, x_max: float, n: int = 2001, most: int = 50, /,
              **parameters) -> list[tuple[float, float]]:
        """The holes of f(x) in [x_min, x_max]: points where a divisor of the typed expression is 0
        but f has the same limit on both sides ((x² − 1)/(x − 1) at 1), as (x, limit) pairs.

        Each sign change of a divisor on a grid of ``n`` points is narrowed to the float where it
        is 0 (bisection), and the verdict there decides."""
        from derivgui.numeric.verdict import HOLE

        self._require_verdicts()
        kernel = self._bound(parameters)
        x = np.linspace(x_min, x_max, max(n, 2))
        candidates: list[float] = []
        for k, divisor in enumerate(kernel.divisors(x)):
            sign = np.sign(divisor)
            candidates += [float(v) for v in x[sign == 0]]
            for i in np.flatnonzero(sign[:-1] * sign[1:] < 0)[:most]:
                candidates.append(self._zero_between(kernel, k, float(x[i]), float(x[i + 1])))
        found = []
        for root in sorted(set(candidates))[:most]:
            verdict = self.derivative_at(root, **parameters)
            if verdict.kind == HOLE and verdict.f_left is not None:
                found.append((root, verdict.f_left))
        return found

    @staticmethod
    def _zero_between(kernel: Kernel | _Bound, k: int, lo: float, hi: float) -> float:
        """Bisection across the k-th divisor's sign change down to adjacent floats: the point where
        it is 0, or else the one of the two closest to 0."""
        def divisor(v: float) -> float:
            return float(kernel.divisors(np.array([v]))[k][0])

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

    def derivative_at(self, *point: float, **parameters):
        """Whether f′ exists at the point, and what it is: a ``verdict.PointVerdict`` for f(x);
        for f(x, y) one per axis (x with y = b fixed, y with x = a fixed). Parameters, if any, as
        keywords (scalars)."""
        from derivgui.numeric.verdict import derivative_at

        if len(point) != len(self.variables):
            raise TypeError(f"derivative_at takes {len(self.variables)} coordinate(s), got {len(point)}")
        self._require_verdicts()
        kernel = self._bound(parameters)
        verdicts = tuple(derivative_at(kernel, point, axis) for axis in range(len(point)))
        return verdicts[0] if len(verdicts) == 1 else verdicts

    def _require_verdicts(self) -> None:
        if not self._kernel.programs.verdicts:
            raise RuntimeError(f"{self!r} was compiled without verdicts (verdicts=False)")

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
        if self._parameters:
            return f"CompiledExpression({self.text!r}, variables={self.variables}, parameters={self._parameters})"
        return f"CompiledExpression({self.text!r}, variables={self.variables})"


class Derivative:
    """f⁽ⁿ⁾ of a compiled f(x): ``g = f.derivative(3)``, ``g(x)`` (with f's parameters as keywords).

    Where f is not finite, f⁽ⁿ⁾ is NaN. ``g.derivative(m)`` is f⁽ⁿ⁺ᵐ⁾.
    """

    def __init__(self, function: CompiledExpression, order: int, kernel: Kernel, name: str) -> None:
        self.function = function
        self.order = order
        self._kernel = kernel
        self._names = (name,)

    @property
    def variables(self) -> tuple[str, ...]:
        return self.function.variables

    @property
    def parameters(self) -> tuple[str, ...]:
        return self.function.parameters

    @property
    def text(self) -> str:
        return self.function.text

    def __call__(self, *args, **parameters) -> np.ndarray:
        return self._kernel.outputs(self.function._inputs(args, parameters), self._names)[0]

    def derivative(self, n: int) -> CompiledExpression | Derivative:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n <= MAX_ORDER - self.order:
            raise ValueError(f"this is f⁽{self.order}⁾: derivative(n) takes n from 0 to {MAX_ORDER - self.order}")
        return self.function.derivative(self.order + int(n))

    def __repr__(self) -> str:
        return f"Derivative({self.text!r}, order={self.order})"


class _Bound:
    """A kernel with its parameters' values fixed: what the verdict and ``holes`` see (a kernel of
    the variables alone)."""

    def __init__(self, kernel: Kernel, values: tuple[float, ...]) -> None:
        self.kernel = kernel
        self.values = values
        self.programs = kernel.programs
        self.n_variables = kernel.n_variables

    def _with(self, args: tuple) -> tuple:
        shape = np.shape(args[0])
        return (*args, *(np.full(shape, v) for v in self.values))

    def evaluate(self, args: tuple) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        arrays = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in args))
        return self.kernel.evaluate(self._with(tuple(arrays)))

    def switch_arguments(self, *args: np.ndarray) -> list[np.ndarray]:
        return self.kernel.switch_arguments(*self._with(args))

    def divisors(self, x: np.ndarray) -> list[np.ndarray]:
        return self.kernel.divisors(*self._with((x,)))

    def branch(self, args: tuple[np.ndarray, ...], selectors: list[np.ndarray]):
        return self.kernel.branch(self._with(args), selectors)


class KernelCache:
    """Least-recently-used kernels, keyed by normalized expression text (and, for a compile asked
    for other capabilities than value and gradient, by a key naming them: ``key``)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Kernel] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, expression: Expression, key: Hashable | None = None) -> Kernel | None:
        key = expression.normalized if key is None else key
        with self._lock:
            kernel = self._items.get(key)
            if kernel is not None:
                self._items.move_to_end(key)
            return kernel

    def put(self, expression: Expression, programs: Programs, key: Hashable | None = None) -> Kernel:
        kernel = Kernel(programs, len(expression.variables))
        with self._lock:
            self._items[expression.normalized if key is None else key] = kernel
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return kernel

    def get_or_build(self, expression: Expression, build: Callable[[Expression], Programs],
                     key: Hashable | None = None) -> Kernel:
        """The cached kernel, or a new one from ``build`` (which runs outside the cache's lock)."""
        kernel = self.get(expression, key)
        return kernel if kernel is not None else self.put(expression, build(expression), key)

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


kernel_cache = KernelCache(CACHE_SIZE)
