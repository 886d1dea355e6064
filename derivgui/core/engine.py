"""Checked expression tree → PyTensor graph → compiled value-and-gradient function.

This is the only module that imports PyTensor. The gradient always comes from PyTensor's
automatic differentiation (``pytensor.grad``), never from finite differences or a table.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import reduce

import numpy as np

# No C compiler at run time: the app uses a Python VM with NumPy thunks (see compile_mode).
# The flag must be set before PyTensor is first imported; an explicit user setting wins.
if "cxx=" not in os.environ.get("PYTENSOR_FLAGS", ""):
    os.environ["PYTENSOR_FLAGS"] = ",".join(filter(None, [os.environ.get("PYTENSOR_FLAGS"), "cxx="]))

import pytensor  # noqa: E402
from pytensor import tensor as pt  # noqa: E402
from pytensor.compile.mode import Mode, get_mode  # noqa: E402
from pytensor.graph.rewriting.basic import in2out, node_rewriter  # noqa: E402
from pytensor.link.vm import VMLinker  # noqa: E402
from pytensor.scalar import basic as ps  # noqa: E402
from pytensor.scalar import math as ps_math  # noqa: E402
from pytensor.tensor.elemwise import Elemwise  # noqa: E402

from derivgui.core.errors import ExpressionError  # noqa: E402
from derivgui.core.functions import CONSTANTS  # noqa: E402
from derivgui.core.parse import Binary, Call, Const, Expression, Node, Num, Unary, Var, parse  # noqa: E402

# Each compiled kernel holds ~0.4 MB of PyTensor graph; the full garbage collections that walk
# them grow with the cache (up to 750 ms with 128 kernels, measured), so it stays small.
CACHE_SIZE = 32

# PyTensor's graph compilation is not thread-safe: every compile in the process goes through here.
_compile_lock = threading.RLock()


def _runs_as_ufunc(node) -> bool:
    """True when PyTensor's Python linker can run this Elemwise as one NumPy ufunc call.

    Without C thunks, an Elemwise whose input count differs from its NumPy function's (a 3-input
    Mul, a Composite from ``x^3`` → ``sqr(x)*x``) falls back to ``np.frompyfunc``: one Python call
    per point, thousands of times slower.
    """
    spec = node.op.nfunc_spec  # the Elemwise's own, which defaults to its scalar op's
    return spec is not None and spec[1] == len(node.inputs)


def numpy_softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + eˣ) without overflow, as one vectorized NumPy call."""
    return np.logaddexp(0.0, x)


def numpy_to_float64(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


# Scalar ops PyTensor gives no NumPy function: the vectorized equivalent, by import path.
_VECTORIZED = {
    ps_math.Softplus: "derivgui.core.engine.numpy_softplus",
    ps.Cast: "derivgui.core.engine.numpy_to_float64",
}


@node_rewriter([Elemwise])
def _elemwise_to_ufuncs(fgraph, node):
    """Split n-ary Add/Mul into binary ones, unpack Composites and give Softplus and Cast a
    NumPy function, so every node runs as one vectorized call."""
    if _runs_as_ufunc(node):
        return None
    scalar_op = node.op.scalar_op
    vectorized = _VECTORIZED.get(type(scalar_op))
    if vectorized and len(node.inputs) == 1 and node.outputs[0].dtype == "float64":
        return [Elemwise(scalar_op, nfunc_spec=(vectorized, 1, 1))(*node.inputs)]
    if isinstance(scalar_op, (ps.Add, ps.Mul)) and len(node.inputs) > 2:
        out = node.inputs[0]
        for term in node.inputs[1:]:
            out = Elemwise(scalar_op)(out, term)
        return [out]
    if isinstance(scalar_op, ps.Composite):
        env = dict(zip(scalar_op.fgraph.inputs, node.inputs, strict=True))
        for inner in scalar_op.fgraph.toposort():
            args = [env[i] if i in env else i.data for i in inner.inputs]
            env.update(zip(inner.outputs, Elemwise(inner.op)(*args, return_list=True), strict=True))
        return [env[o] for o in scalar_op.fgraph.outputs]
    return None


def compile_mode() -> Mode:
    """The mode for an interactive app: fast to compile, no C compiler, no JIT.

    PyTensor 3 defaults to Numba (hundreds of ms to seconds per compile plus a JIT on first
    call). A Python VM running NumPy thunks with FAST_RUN's rewrites compiles in tens of ms and
    evaluates close to hand-written NumPy. The rewrites are what keep derivatives numerically
    stable (sigmoid'(-800) is 0, not NaN); FAST_COMPILE would skip them. Fusion would need C or
    Numba, and in-place rewrites buy nothing at these sizes, so both are excluded.

    ``log(1 + u)`` is left as typed rather than turned into ``log1p(u)``: NumPy's log1p is ~1.5×
    slower, and the student's own formula is what should be plotted. The shape-inference
    feature (ShapeOpt) is left out too: every input is a plain vector, and it cost 10–30% of
    compile time.
    """
    return (
        Mode(
            VMLinker(use_cloop=False, c_thunks=False),
            get_mode("FAST_RUN").provided_optimizer,
        )
        .excluding("fusion", "inplace", "local_log1p", "ShapeOpt", "UnShapeOpt")
        # After specialize (2) and specialize_device (48.6), before the final merge (49).
        .register((in2out(_elemwise_to_ufuncs, name="elemwise_to_ufuncs"), 48.8))
    )


def _cube_root(v):
    # PyTensor has no cbrt; a real cube root that also works for negative arguments.
    return pt.sign(v) * pt.abs(v) ** (1.0 / 3.0)


_UNARY_BUILDERS: dict[str, Callable] = {
    "exp": pt.exp,
    "log": pt.log,
    "log10": pt.log10,
    "log2": pt.log2,
    "log1p": pt.log1p,
    "sqrt": pt.sqrt,
    "cbrt": _cube_root,
    "abs": pt.abs,
    "sign": pt.sign,
    "sin": pt.sin,
    "cos": pt.cos,
    "tan": pt.tan,
    "sec": lambda v: 1.0 / pt.cos(v),
    "csc": lambda v: 1.0 / pt.sin(v),
    "cot": lambda v: pt.cos(v) / pt.sin(v),
    "asin": pt.arcsin,
    "acos": pt.arccos,
    "atan": pt.arctan,
    "sinh": pt.sinh,
    "cosh": pt.cosh,
    "tanh": pt.tanh,
    "asinh": pt.arcsinh,
    "acosh": pt.arccosh,
    "atanh": pt.arctanh,
    "sigmoid": pt.sigmoid,
    "softplus": pt.softplus,
    "erf": pt.erf,
    "floor": pt.floor,
    "ceil": pt.ceil,
}

_MANY_BUILDERS: dict[str, Callable] = {
    "atan2": lambda a, b: pt.arctan2(a, b),
    "min": lambda *args: reduce(pt.minimum, args),
    "max": lambda *args: reduce(pt.maximum, args),
}

_BINARY_BUILDERS: dict[str, Callable] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "^": lambda a, b: a**b,
}


def _power(node: Binary, inputs) -> pt.TensorVariable:
    # e^u is exp(u): np.exp is faster and more accurate than np.power(e, u).
    if isinstance(node.left, Const) and node.left.name == "e":
        return pt.exp(build_graph(node.right, inputs))
    return build_graph(node.left, inputs) ** build_graph(node.right, inputs)


def build_graph(node: Node, inputs: dict[str, pt.TensorVariable]) -> pt.TensorVariable:
    """The PyTensor graph of a checked tree, with variables taken from ``inputs``."""
    if isinstance(node, Num):
        return pt.constant(node.value, dtype="float64")
    if isinstance(node, Const):
        return pt.constant(CONSTANTS[node.name], dtype="float64")
    if isinstance(node, Var):
        return inputs[node.name]
    if isinstance(node, Unary):
        return -build_graph(node.operand, inputs)
    if isinstance(node, Binary) and node.op == "^":
        return _power(node, inputs)
    if isinstance(node, Binary):
        return _BINARY_BUILDERS[node.op](build_graph(node.left, inputs), build_graph(node.right, inputs))
    assert isinstance(node, Call)
    args = [build_graph(a, inputs) for a in node.args]
    if node.func in _UNARY_BUILDERS:
        return _UNARY_BUILDERS[node.func](*args)
    return _MANY_BUILDERS[node.func](*args)


def symbolic_gradient(expression: Expression):
    """Inputs, the value graph and its gradient graphs (one per variable), uncompiled.

    Every operation is elementwise, so the gradient of ``f.sum()`` is the pointwise derivative.
    A variable the expression ignores gets zeros rather than an error.
    """
    inputs = {name: pt.dvector(name) for name in expression.variables}
    value = build_graph(expression.tree, inputs)
    grads = pytensor.grad(
        value.sum(), wrt=[inputs[n] for n in expression.variables], disconnected_inputs="ignore"
    )
    return inputs, value, grads


class _Kernel:
    """One compiled value-and-gradient function; shared by every spelling of the same expression."""

    def __init__(self, expression: Expression) -> None:
        with _compile_lock:
            inputs, value, grads = symbolic_gradient(expression)
            self.function = pytensor.function(
                [inputs[n] for n in expression.variables],
                [value, *grads],
                mode=compile_mode(),
                on_unused_input="ignore",
            )
        self.n_variables = len(expression.variables)
        self.formulas: tuple[str, ...] | None = None  # filled on first request, on the compile thread
        self._call_lock = threading.Lock()  # a compiled function's storage is not reentrant

    def evaluate(self, args: tuple) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        if len(args) != self.n_variables:
            names = "x, y" if self.n_variables == 2 else "x"
            raise TypeError(f"this expression takes {self.n_variables} argument(s) ({names}), got {len(args)}")
        arrays = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in args))
        shape = arrays[0].shape
        size = arrays[0].size
        flat = [np.ascontiguousarray(a).reshape(-1) for a in arrays]
        with self._call_lock, np.errstate(all="ignore"):
            outputs = self.function(*flat)
        value, *grads = (_fresh(o, size).reshape(shape) for o in outputs)
        finite = np.isfinite(value)
        if not finite.all():
            for g in grads:
                g[~finite] = np.nan
        return value, tuple(grads)


def _fresh(output, size: int) -> np.ndarray:
    """A writable float64 array of ``size`` values that belongs to the caller.

    PyTensor returns a new array per call (outputs that would alias an input, a constant or
    another output are deep-copied), so only a constant's 0-d or 1-element result needs filling.
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
    """

    def __init__(self, expression: Expression, kernel: _Kernel) -> None:
        self.expression = expression
        self._kernel = kernel

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

    def derivative_formulas(self) -> tuple[str, ...]:
        """What autodiff built, as readable math: f′(x), or (∂f/∂x, ∂f/∂y). Computed once."""
        if self._kernel.formulas is None:
            from derivgui.core.formula import derivative_formulas

            self._kernel.formulas = derivative_formulas(self.expression)
        return self._kernel.formulas

    def __repr__(self) -> str:
        return f"CompiledExpression({self.text!r}, variables={self.variables})"


class _KernelCache:
    """Least-recently-used compiled kernels, keyed by normalized expression text."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, _Kernel] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_build(self, expression: Expression) -> _Kernel:
        key = expression.normalized
        with self._lock:
            kernel = self._items.get(key)
            if kernel is not None:
                self._items.move_to_end(key)
                return kernel
        kernel = _Kernel(expression)
        with self._lock:
            self._items[key] = kernel
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return kernel

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


kernel_cache = _KernelCache(CACHE_SIZE)


def compile_expr(text: str) -> CompiledExpression:
    """Parse, differentiate and compile ``text``; raise ``ExpressionError`` if it is not valid."""
    expression = parse(text)
    try:
        kernel = kernel_cache.get_or_build(expression)
    except ExpressionError:
        raise
    except Exception as exc:  # a PyTensor failure must reach the user as a message, not a traceback
        raise ExpressionError(f"could not compile this expression: {exc}") from exc
    return CompiledExpression(expression, kernel)
