"""Checked expression tree → PyTensor graph → autodiff → rewritten graph → ``Program``.

With ``formula`` this is the only module that imports PyTensor. The gradient always comes from
PyTensor's automatic differentiation (``pytensor.grad``), never from finite differences or a
table. PyTensor's rewrites (canonicalize, stabilize, specialize) simplify the graph and keep it
numerically stable; the result is linked into a ``program.Program`` of NumPy calls rather than
a ``pytensor.function``: evaluating needs no PyTensor, so a compile can run in another process
and hand the window a small pickle (see ``compile_process``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from functools import cache, reduce

import numpy as np

# Flags must be set before PyTensor is first imported; an explicit user setting wins.
# - cxx=: no C compiler at run time; rewritten graphs run as NumPy calls (see to_program).
# - traceback__limit=0: PyTensor records the Python stack (through linecache) for every variable
#   it creates, to point at user code in error messages; it cost ~20% of each compile (measured)
#   and our users never see those traces.
_FLAGS = {"cxx": "", "traceback__limit": "0"}
_user_flags = os.environ.get("PYTENSOR_FLAGS", "")
os.environ["PYTENSOR_FLAGS"] = ",".join(
    filter(None, [_user_flags, *(f"{k}={v}" for k, v in _FLAGS.items() if f"{k}=" not in _user_flags)])
)

import pytensor  # noqa: E402
from pytensor import tensor as pt  # noqa: E402
from pytensor.compile.mode import Mode, get_mode  # noqa: E402
from pytensor.graph.basic import Constant  # noqa: E402
from pytensor.graph.fg import FunctionGraph  # noqa: E402
from pytensor.graph.rewriting.basic import GraphRewriter, in2out, node_rewriter  # noqa: E402
from pytensor.link.vm import VMLinker  # noqa: E402
from pytensor.scalar import basic as ps  # noqa: E402
from pytensor.scalar import math as ps_math  # noqa: E402
from pytensor.tensor.basic import Alloc  # noqa: E402
from pytensor.tensor.elemwise import DimShuffle, Elemwise  # noqa: E402
from pytensor.tensor.shape import Shape, Shape_i  # noqa: E402

from derivgui.core.compiled import CACHE_SIZE, CompiledExpression, kernel_cache  # noqa: E402
from derivgui.core.errors import ExpressionError  # noqa: E402
from derivgui.core.functions import CONSTANTS  # noqa: E402
from derivgui.core.parse import Binary, Call, Const, Expression, Node, Num, Unary, Var, parse  # noqa: E402
from derivgui.core.program import Program, Step, resolve  # noqa: E402

__all__ = ["CACHE_SIZE", "CompiledExpression", "compile_expr", "compile_program", "kernel_cache"]

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


# Scalar ops PyTensor gives no NumPy function: the vectorized equivalent, by import path.
_VECTORIZED = {
    ps_math.Softplus: "derivgui.core.program.numpy_softplus",
    ps.Cast: "derivgui.core.program.to_float64",
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
    call). FAST_RUN's rewrites with NumPy calls (a Python VM's thunks, or a ``Program``) compile
    in tens of ms and evaluate close to hand-written NumPy. The rewrites are what keep derivatives numerically
    stable (sigmoid'(-800) is 0, not NaN); FAST_COMPILE would skip them. Fusion would need C or
    Numba, and in-place rewrites buy nothing at these sizes, so both are excluded.

    ``log(1 + u)`` is left as typed rather than turned into ``log1p(u)``: NumPy's log1p is ~1.5×
    slower, and the student's own formula is what should be plotted. The shape-inference
    feature (ShapeOpt) is left out too: every input is a plain vector, and it cost 10–30% of
    compile time, and so did the BLAS rewrites, which have no dot product to work on here.
    """
    return (
        Mode(
            VMLinker(use_cloop=False, c_thunks=False),
            get_mode("FAST_RUN").provided_optimizer,
        )
        .excluding("fusion", "inplace", "local_log1p", "ShapeOpt", "UnShapeOpt", "BlasOpt")
        # After specialize (2) and specialize_device (48.6), before the final merge (49).
        .register((in2out(_elemwise_to_ufuncs, name="elemwise_to_ufuncs"), 48.8))
    )


@cache
def graph_rewriter() -> GraphRewriter:
    """``compile_mode``'s rewrites, assembled once (PyTensor assembles them per access, ~4 ms)."""
    return compile_mode().optimizer


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


def rewritten_graph(expression: Expression) -> FunctionGraph:
    """The value and gradient graphs of ``expression``, after PyTensor's rewrites."""
    with _compile_lock:
        inputs, value, grads = symbolic_gradient(expression)
        # Freshly built, so nothing outside needs protecting: no clone, no Supervisor.
        fgraph = FunctionGraph([inputs[n] for n in expression.variables], [value, *grads], clone=False)
        graph_rewriter()(fgraph)
    return fgraph


def _step_call(node) -> tuple[str, tuple, bool]:
    """The function, static parameters and ufunc-ness of one rewritten node."""
    op = node.op
    if isinstance(op, Elemwise):
        if not _runs_as_ufunc(node) or op.nfunc_spec[2] != 1:
            raise NotImplementedError(f"no NumPy function for {op}")
        name = op.nfunc_spec[0]
        name = name if "." in name else f"numpy.{name}"
        return name, (), isinstance(resolve(name), np.ufunc)
    if isinstance(op, DimShuffle):
        return "derivgui.core.program.dimshuffle", (tuple(op.new_order),), False
    if isinstance(op, Shape):
        return "derivgui.core.program.shape", (), False
    if isinstance(op, Shape_i):
        return "derivgui.core.program.shape_i", (op.i,), False
    if isinstance(op, Alloc):
        return "derivgui.core.program.alloc", (), False
    raise NotImplementedError(f"no NumPy function for {op}")


def to_program(fgraph: FunctionGraph) -> Program:
    """Link a rewritten graph into a ``Program``: one step per node, in dependency order."""
    registers = {variable: index for index, variable in enumerate(fgraph.inputs)}
    constants: list[tuple[int, np.ndarray]] = []

    def register_of(variable) -> int:
        if variable not in registers:
            if not isinstance(variable, Constant):
                raise NotImplementedError(f"{variable} is neither an input, a constant nor computed")
            registers[variable] = len(registers)
            constants.append((registers[variable], np.asarray(variable.data)))
        return registers[variable]

    steps = []
    for node in fgraph.toposort():
        if len(node.outputs) != 1:
            raise NotImplementedError(f"{node.op} has {len(node.outputs)} outputs")
        args = tuple(register_of(v) for v in node.inputs)
        function, params, ufunc = _step_call(node)
        out = registers[node.outputs[0]] = len(registers)
        steps.append(Step(function, args, out, params, ufunc and node.outputs[0].dtype == "float64"))
    outputs = tuple(register_of(v) for v in fgraph.outputs)
    return Program(len(fgraph.inputs), tuple(constants), tuple(steps), outputs, len(registers))


def compile_program(expression: Expression) -> Program:
    """Differentiate, rewrite and link ``expression``; any PyTensor failure is an ExpressionError."""
    try:
        return to_program(rewritten_graph(expression))
    except ExpressionError:
        raise
    except Exception as exc:  # a PyTensor failure must reach the user as a message, not a traceback
        raise ExpressionError(f"could not compile this expression: {exc}") from exc


def compile_expr(text: str) -> CompiledExpression:
    """Parse, differentiate and compile ``text``; raise ``ExpressionError`` if it is not valid."""
    expression = parse(text)
    kernel = kernel_cache.get_or_build(expression, compile_program)
    return CompiledExpression(expression, kernel)
