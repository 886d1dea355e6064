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
from dataclasses import replace
from functools import cache, reduce
from typing import Any

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
from pytensor.graph.rewriting.basic import (  # noqa: E402
    GraphRewriter,
    MergeOptimizer,
    SequentialGraphRewriter,
    in2out,
    node_rewriter,
)
from pytensor.link.vm import VMLinker  # noqa: E402
from pytensor.scalar import basic as ps  # noqa: E402
from pytensor.scalar import math as ps_math  # noqa: E402
from pytensor.tensor.basic import Alloc  # noqa: E402
from pytensor.tensor.elemwise import DimShuffle, Elemwise  # noqa: E402
from pytensor.tensor.rewriting.basic import topo_constant_folding  # noqa: E402
from pytensor.tensor.shape import Shape, Shape_i  # noqa: E402

from derivgui.compiler import jet  # noqa: E402
from derivgui.compiler.formula import to_math  # noqa: E402
from derivgui.compiler.request import CompileRequest, as_request, check, parse_request  # noqa: E402
from derivgui.expr import domain  # noqa: E402
from derivgui.expr.errors import ExpressionError  # noqa: E402
from derivgui.expr.functions import CONSTANTS  # noqa: E402
from derivgui.expr.parse import Binary, Call, Const, Expression, Node, Num, Unary, Var  # noqa: E402
from derivgui.numeric.compiled import CACHE_SIZE, CompiledExpression, Kernel, Programs, kernel_cache  # noqa: E402
from derivgui.numeric.program import Program, Step, resolve  # noqa: E402

__all__ = [
    "CACHE_SIZE", "CompileRequest", "CompiledExpression", "compile_expr", "compile_program", "compile_request",
    "derivative_formulas", "kernel_cache", "kernel_for",
]

# PyTensor's graph compilation is not thread-safe: every compile in the process goes through here.
_compile_lock = threading.RLock()


# PyTensor's Python Elemwise.perform cannot evaluate a node with more than 32 operands (NumPy's old
# ufunc limit): it falls back to C, which we disable, and fails with "'Scratchpad' object has no
# attribute 'ufunc'". The canonicalizers build such nodes for sums and products of 33+ terms; then
# constant_folding and local_add_remove_zeros log a 30-line "Rewrite failure" trace, and the unfolded
# node can make a graph uncompilable (x^2·x^2·…, 33 factors). Such nodes are evaluated pairwise.
_ELEMWISE_PERFORM = Elemwise.perform
_PAIRWISE = {ps.Add: np.add, ps.Mul: np.multiply, ps.AND: np.logical_and, ps.OR: np.logical_or,
             ps.ScalarMaximum: np.maximum, ps.ScalarMinimum: np.minimum}


def _perform_wide(self, node, inputs, output_storage):
    pairwise = _PAIRWISE.get(type(self.scalar_op))
    if pairwise is None or len(node.inputs) + len(node.outputs) <= 32:
        return _ELEMWISE_PERFORM(self, node, inputs, output_storage)
    dtype = node.outputs[0].dtype
    with np.errstate(all="ignore"):
        result = reduce(pairwise, (np.asarray(i, dtype=dtype) for i in inputs))
    output_storage[0][0] = np.array(result, dtype=dtype)


Elemwise.perform = _perform_wide


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
    ps_math.Softplus: "derivgui.numeric.program.numpy_softplus",
    # scipy's expit, which PyTensor names, is ~2× slower than ours (see program.numpy_sigmoid).
    ps_math.Sigmoid: "derivgui.numeric.program.numpy_sigmoid",
    ps.Cast: "derivgui.numeric.program.to_float64",
}


@node_rewriter([Elemwise])
def _elemwise_to_ufuncs(fgraph, node):
    """Split n-ary Add/Mul into binary ones, unpack Composites and give Softplus and Cast a
    NumPy function, so every node runs as one vectorized call."""
    scalar_op = node.op.scalar_op
    vectorized = _VECTORIZED.get(type(scalar_op))
    if vectorized and len(node.inputs) == 1 and node.outputs[0].dtype == "float64" \
            and (node.op.nfunc_spec or (None,))[0] != vectorized:
        return [Elemwise(scalar_op, nfunc_spec=(vectorized, 1, 1))(*node.inputs)]
    if _runs_as_ufunc(node):
        return None
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


class _AccurateDerivative(ps.UnaryScalarOp):
    """A derivative that PyTensor writes in a form that cancels, computed the accurate way.

    Evaluated by the NumPy function its ``nfunc_spec`` names (see ``program``); never
    differentiated again here.
    """

    def __init__(self, function: str) -> None:
        super().__init__(ps.upgrade_to_float, name=function.rpartition(".")[2])
        self.nfunc_spec = (function, 1, 1)

    def impl(self, x):
        return resolve(self.nfunc_spec[0])(np.asarray(x, dtype=np.float64))

    def __eq__(self, other):
        return type(self) is type(other) and self.nfunc_spec == other.nfunc_spec

    def __hash__(self):
        return hash((type(self), self.nfunc_spec))


_sigmoid_prime = Elemwise(_AccurateDerivative("derivgui.numeric.program.sigmoid_prime"))
_tanh_prime = Elemwise(_AccurateDerivative("derivgui.numeric.program.tanh_prime"))


def _scalar_of(variable, op_type) -> object | None:
    """The input of ``variable`` when it is an Elemwise of ``op_type``, else None."""
    owner = variable.owner
    if owner is not None and isinstance(owner.op, Elemwise) and isinstance(owner.op.scalar_op, op_type):
        return owner.inputs[0]
    return None


def _is_one(variable) -> bool:
    return isinstance(variable, Constant) and bool(np.all(np.asarray(variable.data) == 1.0))


def _one_minus(variable, op_type):
    """u when ``variable`` is 1 − op(u)."""
    owner = variable.owner
    if owner is None or not isinstance(owner.op, Elemwise) or not isinstance(owner.op.scalar_op, ps.Sub):
        return None
    one, other = owner.inputs
    return _scalar_of(other, op_type) if _is_one(one) else None


@node_rewriter([Elemwise])
def _stable_derivatives(fgraph, node):
    """σ(u)·(1 − σ(u)) and σ(u)·σ(−u) → σ′(u); 1 − tanh(u)² → tanh′(u), computed without cancelling.

    For large u, 1 − σ(u) and 1 − tanh(u)² subtract nearly equal numbers: σ′(30) kept 3 correct
    digits and σ′(40) was 0 (true 4.2e-18). PyTensor's own 1 − σ(u) → σ(−u) rewrite does not fire
    when σ(u) is also f itself.
    """
    scalar_op = node.op.scalar_op
    if isinstance(scalar_op, ps.Sub):
        one, other = node.inputs
        u = _scalar_of(other, ps.Sqr) if _is_one(one) else None
        inner = _scalar_of(u, ps.Tanh) if u is not None else None
        return [_tanh_prime(inner)] if inner is not None else None
    if not isinstance(scalar_op, ps.Mul):
        return None
    factors = list(node.inputs)
    for i, factor in enumerate(factors):
        u = _scalar_of(factor, ps_math.Sigmoid)
        if u is None:
            continue
        for j, other in enumerate(factors):
            negated = _scalar_of(other, ps_math.Sigmoid)
            if j != i and (_one_minus(other, ps_math.Sigmoid) is u or
                           (negated is not None and _scalar_of(negated, ps.Neg) is u)):
                rest = [f for k, f in enumerate(factors) if k not in (i, j)]
                out = _sigmoid_prime(u)
                return [reduce(lambda a, b: a * b, rest, out)] if rest else [out]
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
        .register((in2out(_stable_derivatives, name="stable_derivatives"), 48.7))
        .register((in2out(_elemwise_to_ufuncs, name="elemwise_to_ufuncs"), 48.8))
    )


@cache
def graph_rewriter() -> GraphRewriter:
    """``compile_mode``'s rewrites, assembled once (PyTensor assembles them per access, ~4 ms)."""
    return compile_mode().optimizer


@cache
def light_rewriter() -> GraphRewriter:
    """The rewrites of the Taylor coefficients' graphs (``jet``): shared subexpressions merged,
    constants folded, every node made one NumPy call; no algebra.

    Their accuracy is built in (``jet`` uses σ′ and tanh′ as the engine's rewrites would), and
    PyTensor's canonicalizer is slow on their long sums of products and makes them longer: for
    the 8th derivative of √(1 + x²)·atan(x)/log(2 + x²), 14.8 s and 1108 steps, against 35 ms and
    320 steps here (measured).
    """
    return SequentialGraphRewriter(
        MergeOptimizer(), topo_constant_folding, in2out(_elemwise_to_ufuncs, name="elemwise_to_ufuncs"),
        MergeOptimizer())


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
    "sech": lambda v: 1.0 / pt.cosh(v),
    "csch": lambda v: 1.0 / pt.sinh(v),
    "coth": lambda v: 1.0 / pt.tanh(v),  # its derivative then gets the accurate tanh′ (cosh/sinh cancels)
    "sigmoid": pt.sigmoid,
    "softplus": pt.softplus,
    "erf": pt.erf,
}

_BINARY_BUILDERS: dict[str, Callable] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "^": lambda a, b: a**b,
}

# Functions whose graph switches between smooth branches: where their argument crosses the switch
# point (a tie, for max and min) f may have a kink or a jump. See ``GraphBuilder``.
SWITCHING = ("abs", "sign", "floor", "ceil", "max", "min")


def _tie_averaging_max(u, v):
    """max(u, v) whose derivative at a tie is the mean of the two sides' (PyTensor's adds both).

    Where the derivative exists at a tie, it is that mean: max(x, 1)·min(x, 1) = x has slope 1 at
    1, not 2. ``u + (v − u)/2`` is exactly u at a tie, so the value is never rounded.
    """
    return pt.switch(pt.gt(u, v), u, pt.switch(pt.lt(u, v), v, u + 0.5 * (v - u)))


def _tie_averaging_min(u, v):
    return pt.switch(pt.lt(u, v), u, pt.switch(pt.gt(u, v), v, u + 0.5 * (v - u)))


_is_exp = jet.is_exp
_sigmoid_argument = jet.sigmoid_argument


class GraphBuilder:
    """Checked tree → PyTensor graph, recording the switching functions it meets.

    ``switches`` lists, in the order built, each switching node's kind and the argument whose
    sign says which branch is active (for max and min, the difference of the two arguments;
    for floor and ceil the argument itself). With ``branches=True`` each switching node is
    replaced by the branch a selector input picks: ``abs(u)`` by ``s·u``, ``max(u, v)`` by u
    where s > 0 and v elsewhere, ``sign``/``floor``/``ceil`` by s itself. Differentiating that
    graph gives each one-sided derivative by autodiff (see ``verdict``).
    """

    def __init__(self, inputs: dict[str, pt.TensorVariable], branches: bool = False) -> None:
        self.inputs = inputs
        self.branches = branches
        self.switches: list[tuple[str, pt.TensorVariable]] = []
        self.selectors: list[pt.TensorVariable] = []

    def build(self, node: Node) -> pt.TensorVariable:
        if isinstance(node, Num):
            return pt.constant(node.value, dtype="float64")
        if isinstance(node, Const):
            return pt.constant(CONSTANTS[node.name], dtype="float64")
        if isinstance(node, Var):
            return self.inputs[node.name]
        if isinstance(node, Unary):
            return -self.build(node.operand)
        if isinstance(node, Binary):
            if node.op == "^" and _is_exp(node) is not None:
                return pt.exp(self.build(node.right))  # np.exp is faster and more accurate than e**u
            if node.op == "/" and (u := _sigmoid_argument(node)) is not None:
                return pt.sigmoid(self.build(u))
            return _BINARY_BUILDERS[node.op](self.build(node.left), self.build(node.right))
        assert isinstance(node, Call)
        args = [self.build(a) for a in node.args]
        if node.func == "atan2":
            return pt.arctan2(*args)
        if node.func in ("max", "min"):
            return reduce(lambda u, v: self._switch(node.func, u, v), args)
        if node.func in SWITCHING:
            return self._switch(node.func, args[0])
        return _UNARY_BUILDERS[node.func](*args)

    def _switch(self, kind: str, u, v=None):
        self.switches.append((kind, u if v is None else u - v))
        if self.branches:
            selector = pt.dvector(f"s{len(self.selectors)}")
            self.selectors.append(selector)
            if kind == "abs":
                return selector * u
            if kind == "max":  # the selector is the sign of u − v on the chosen side
                return pt.switch(pt.gt(selector, 0), u, v)
            if kind == "min":
                return pt.switch(pt.gt(selector, 0), v, u)
            return selector  # sign, floor, ceil: constant on each side
        if kind == "max":
            return _tie_averaging_max(u, v)
        if kind == "min":
            return _tie_averaging_min(u, v)
        return {"abs": pt.abs, "sign": pt.sign, "floor": pt.floor, "ceil": pt.ceil}[kind](u)


def build_graph(node: Node, inputs: dict[str, pt.TensorVariable]) -> pt.TensorVariable:
    """The PyTensor graph of a checked tree, with variables taken from ``inputs``."""
    return GraphBuilder(inputs).build(node)


def domain_guard(tree: Node, inputs: dict[str, pt.TensorVariable]) -> pt.TensorVariable | None:
    """True where the expression as typed is defined (see ``domain``); None when it always is."""
    checks = []
    builder = GraphBuilder(inputs)
    for condition in domain.conditions(tree):
        if condition.kind == "power":
            assert isinstance(condition.node, Binary)
            checks.append(_power_exists(builder, condition.node))
            continue
        if condition.kind == "not_origin":
            assert isinstance(condition.node, Call)
            y, x = (builder.build(a) for a in condition.node.args)
            checks.append(pt.or_(pt.neq(y, 0), pt.neq(x, 0)))
            continue
        checks.append(_ARGUMENT_CHECKS[condition.kind](builder.build(condition.node)))
    return reduce(pt.and_, checks) if checks else None


_ARGUMENT_CHECKS: dict[str, Callable] = {
    "nonzero": lambda u: pt.neq(u, 0),
    "positive": lambda u: pt.gt(u, 0),
    "nonneg": lambda u: pt.ge(u, 0),
    "above_minus_one": lambda u: pt.gt(u, -1),
    "unit": lambda u: pt.le(pt.abs(u), 1),
    "open_unit": lambda u: pt.lt(pt.abs(u), 1),
    "at_least_one": lambda u: pt.ge(u, 1),
}


def _power_exists(builder: GraphBuilder, node: Binary):
    """Where the real power base^exponent is defined: 0 to a negative power and a negative base
    to a non-integer power are not."""
    base = builder.build(node.left)
    exponent_value = domain.constant_value(node.right)
    if exponent_value is not None:
        if exponent_value.is_integer():
            return pt.neq(base, 0)  # a negative integer exponent: only 0 is excluded
        return pt.ge(base, 0) if exponent_value > 0 else pt.gt(base, 0)
    exponent = builder.build(node.right)
    return pt.or_(pt.or_(pt.gt(base, 0), pt.and_(pt.eq(base, 0), pt.gt(exponent, 0))),
                  pt.and_(pt.lt(base, 0), pt.eq(exponent, pt.floor(exponent))))


def _inputs(expression: Expression, request: CompileRequest | None = None) -> dict[str, pt.TensorVariable]:
    """One vector per variable, then per parameter: a parameter's value is spread over the points,
    so its derivative is pointwise too (∂f/∂k at each x), like a variable's."""
    parameters = request.parameters if request is not None else ()
    return {name: pt.dvector(name) for name in (*expression.variables, *parameters)}


def symbolic_gradient(expression: Expression, request: CompileRequest | None = None):
    """Inputs, the value graph and its gradient graphs (one per variable, then per parameter),
    uncompiled.

    Every operation is elementwise, so the gradient of ``f.sum()`` is the pointwise derivative.
    A variable the expression ignores gets zeros rather than an error.
    """
    inputs = _inputs(expression, request)
    value = build_graph(expression.tree, inputs)
    grads = pytensor.grad(value.sum(), wrt=list(inputs.values()), disconnected_inputs="ignore")
    return inputs, value, grads


def _tie_choice(u, v, a, b):
    """What the derivative of max(u, v) is made of: a where u > v, b where u < v, their mean at a tie."""
    return pt.switch(pt.gt(u, v), a, pt.switch(pt.lt(u, v), b, 0.5 * (a + b)))


@cache
def _backend() -> jet.Backend:
    """PyTensor's functions for the Taylor coefficients (the same builders as the value graph's)."""
    return jet.Backend(
        exp=pt.exp, log=pt.log, log1p=pt.log1p, log10=pt.log10, log2=pt.log2, sqrt=pt.sqrt, cbrt=_cube_root,
        sin=pt.sin, cos=pt.cos, tan=pt.tan, arcsin=pt.arcsin, arccos=pt.arccos, arctan=pt.arctan,
        arctan2=pt.arctan2, sinh=pt.sinh, cosh=pt.cosh, tanh=pt.tanh, arcsinh=pt.arcsinh, arccosh=pt.arccosh,
        arctanh=pt.arctanh, sigmoid=pt.sigmoid, softplus=pt.softplus, erf=pt.erf, abs=pt.abs, sign=pt.sign,
        floor=pt.floor, ceil=pt.ceil, power=pt.pow, maximum=_tie_averaging_max, minimum=_tie_averaging_min,
        choose=_tie_choice, sigmoid_prime=_sigmoid_prime, tanh_prime=_tanh_prime,
    )


def _float64(value: float) -> pt.TensorVariable:
    """A number of the expression as a float64 constant. PyTensor would make 0.5 or 2.0 float32 (exact
    there), and a function of constants alone, log10(0.5), would then be computed in float32."""
    return pt.constant(value, dtype="float64")


def _as_output(value) -> pt.TensorVariable:
    """A graph output: a derivative known to be a number (0 beyond a polynomial's degree) as a constant."""
    if isinstance(value, (int, float)):
        return pt.constant(float(value), dtype="float64")
    return value


def output_graphs(expression: Expression, request: CompileRequest) -> tuple[list, dict[str, Any], set[str]]:
    """The input vectors, the unrewritten graph of each output the request names, and the names of
    those that are Taylor coefficients (for ``light_rewriter``).

    The gradient (order 1, also along the parameters) and the Hessian come from ``pytensor.grad``;
    orders 2 to 8 along x from Taylor arithmetic on the same tree (``jet``), whose graphs stay small
    where repeated ``grad`` swells. f is NaN wherever the expression as typed is undefined.
    """
    inputs = _inputs(expression, request)
    variables = [inputs[n] for n in expression.variables]
    value = build_graph(expression.tree, inputs)
    outputs: dict[str, Any] = {}
    if 1 in request.orders or request.hessian:
        names = [*expression.variables, *(request.parameters if 1 in request.orders else ())]
        grads = pytensor.grad(value.sum(), wrt=[inputs[n] for n in names], disconnected_inputs="ignore")
        outputs.update((f"d1/{name}", g) for name, g in zip(names, grads, strict=True))
    if request.hessian:
        x, y = variables
        xx, xy = pytensor.grad(outputs["d1/x"].sum(), wrt=[x, y], disconnected_inputs="ignore")
        (yy,) = pytensor.grad(outputs["d1/y"].sum(), wrt=[y], disconnected_inputs="ignore")
        outputs.update({"d2/xx": xx, "d2/xy": xy, "d2/yy": yy})
    higher = [order for order in request.orders if order > 1]
    if higher:
        along = expression.variables[0]
        derivatives = jet.derivatives_along(_backend(), expression.tree, inputs, along, max(higher), _float64)
        outputs.update((f"d{order}/{along}", _as_output(derivatives[order])) for order in higher)
    guard = domain_guard(expression.tree, inputs)
    outputs["value"] = pt.switch(guard, value, np.nan) if guard is not None else value
    return list(inputs.values()), outputs, {f"d{order}/{expression.variables[0]}" for order in higher}


def rewritten_graph(expression: Expression, request: CompileRequest | None = None) -> FunctionGraph:
    """The graphs of the outputs ``request`` names (by default f and its gradient), after
    PyTensor's rewrites, in the order of ``request.output_names``.

    Outputs: f (NaN wherever the expression as typed is undefined, whatever the rewrites
    simplified), then one gradient per variable (then per parameter), then what else it asks.
    """
    request = request if request is not None else CompileRequest(expression.text)
    names = request.output_names(expression.variables)
    with _compile_lock, np.errstate(all="ignore"):  # constant folding of 1/0, log(-1): NaN/inf, no warning
        inputs, outputs, taylor = output_graphs(expression, request)
        # Freshly built, so nothing outside needs protecting: no clone, no Supervisor.
        autodiff = [n for n in names if n not in taylor]
        fgraph = FunctionGraph(inputs, [outputs[n] for n in autodiff], clone=False)
        graph_rewriter()(fgraph)
        if taylor:
            rewritten = dict(zip(autodiff, fgraph.outputs, strict=True))
            coefficients = [n for n in names if n in taylor]
            light = FunctionGraph(inputs, [outputs[n] for n in coefficients], clone=False)
            light_rewriter()(light)
            rewritten.update(zip(coefficients, light.outputs, strict=True))
            fgraph = FunctionGraph(inputs, [rewritten[n] for n in names], clone=False)
            MergeOptimizer().rewrite(fgraph)  # what both parts compute (sin x, the guard…) once
    return fgraph


def _divisor_program(expression: Expression, request: CompileRequest) -> Program | None:
    """For f(x), a program of what the typed expression divides by (also bases raised to a
    negative integer power): where one is 0 in the middle of f's domain, f may have a hole.
    Inputs: x, then the parameters."""
    nodes = []
    for condition in domain.conditions(expression.tree):
        if condition.kind == "nonzero":
            nodes.append(condition.node)
        elif condition.kind == "power" and isinstance(condition.node, Binary):
            exponent = domain.constant_value(condition.node.right)
            if exponent is not None and exponent.is_integer():
                nodes.append(condition.node.left)
    if not nodes or len(expression.variables) != 1:
        return None
    with _compile_lock, np.errstate(all="ignore"):
        inputs = _inputs(expression, request)
        builder = GraphBuilder(inputs)
        fgraph = FunctionGraph(list(inputs.values()), [builder.build(node) for node in nodes], clone=False)
        graph_rewriter()(fgraph)
    return to_program(fgraph, tuple(inputs), tuple(f"divisor/{k}" for k in range(len(nodes))))


def _branch_programs(expression: Expression,
                     request: CompileRequest) -> tuple[tuple[str, ...], Program, Program] | None:
    """The switching nodes' kinds, a program of their arguments and the branch program (inputs:
    the variables, the parameters, then one selector per switch; outputs: the branch's value and
    gradient along the variables)."""
    with _compile_lock, np.errstate(all="ignore"):
        inputs = _inputs(expression, request)
        natural = GraphBuilder(inputs)
        natural.build(expression.tree)
        if not natural.switches:
            return None
        arguments = FunctionGraph(list(inputs.values()), [argument for _kind, argument in natural.switches],
                                  clone=False)
        graph_rewriter()(arguments)
        branch_inputs = _inputs(expression, request)
        branching = GraphBuilder(branch_inputs, branches=True)
        value = branching.build(expression.tree)
        branch_variables = [branch_inputs[n] for n in expression.variables]
        grads = pytensor.grad(value.sum(), wrt=branch_variables, disconnected_inputs="ignore")
        branch = FunctionGraph([*branch_inputs.values(), *branching.selectors], [value, *grads], clone=False)
        graph_rewriter()(branch)
    kinds = tuple(kind for kind, _argument in natural.switches)
    selectors = tuple(f"s{k}" for k in range(len(kinds)))
    return (kinds, to_program(arguments, tuple(inputs), tuple(f"switch/{k}" for k in range(len(kinds)))),
            to_program(branch, (*branch_inputs, *selectors), ("value", *(f"d1/{v}" for v in expression.variables))))


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
        return "derivgui.numeric.program.dimshuffle", (tuple(op.new_order),), False
    if isinstance(op, Shape):
        return "derivgui.numeric.program.shape", (), False
    if isinstance(op, Shape_i):
        return "derivgui.numeric.program.shape_i", (op.i,), False
    if isinstance(op, Alloc):
        return "derivgui.numeric.program.alloc", (), False
    raise NotImplementedError(f"no NumPy function for {op}")


def to_program(fgraph: FunctionGraph, input_names: tuple[str, ...] = (),
               output_names: tuple[str, ...] = ()) -> Program:
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
    return Program(len(fgraph.inputs), tuple(constants), tuple(steps), outputs, len(registers),
                   tuple(input_names), tuple(output_names))


def compile_program(expression: Expression, request: CompileRequest | None = None) -> Programs:
    """Differentiate, rewrite and link ``expression`` for ``request`` (by default: f, its gradient
    and the verdict programs); any PyTensor failure is an ExpressionError."""
    request = request if request is not None else CompileRequest(expression.text)
    check(request, expression)
    try:
        main = to_program(rewritten_graph(expression, request), (*expression.variables, *request.parameters),
                          request.output_names(expression.variables))
        if not request.verdicts:
            return Programs(main, verdicts=False)
        divisors = _divisor_program(expression, request)
        branches = _branch_programs(expression, request)
        if branches is None:
            return Programs(main, divisors=divisors)
        kinds, arguments, branch = branches
        return Programs(main, kinds, arguments, branch, divisors)
    except ExpressionError:
        raise
    except Exception as exc:  # a PyTensor failure must reach the user as a message, not a traceback
        raise ExpressionError(f"could not compile this expression: {exc}") from exc


def derivative_formulas(expression: Expression, request: CompileRequest | None = None) -> tuple[str, ...]:
    """One readable formula per variable (f′(x), or ∂f/∂x and ∂f/∂y): the gradient outputs of the
    rewritten graph, printed by ``formula.to_math``, so the formula shown is the one the curves come from.
    With a request, its parameters are inputs (printed by name); its other capabilities do not matter."""
    gradient = CompileRequest(expression.text, request.parameters if request is not None else ())
    fgraph = rewritten_graph(expression, gradient)  # under the compile lock; printing reads the graph only
    gradients = fgraph.outputs[1 : 1 + len(expression.variables)]
    return tuple(to_math(g) for g in gradients)


def kernel_for(expression: Expression, request: CompileRequest) -> Kernel:
    """The kernel of ``request`` for its parsed ``expression``, from the kernel cache or compiled now."""
    return kernel_cache.get_or_build(expression, lambda e: compile_program(e, request), request.cache_key(expression))


def compile_request(request: CompileRequest | str) -> CompiledExpression:
    """``compile_expr`` for a request made beforehand."""
    request = as_request(request)
    expression = parse_request(request)
    kernel = kernel_for(expression, request)

    def more(**capabilities) -> Kernel:  # what f.derivative(n) and f.hessian compile on first use
        wanted = replace(request, **capabilities)
        check(wanted, expression)
        return kernel_for(expression, wanted)

    formulas = derivative_formulas if not request.parameters else lambda e: derivative_formulas(e, request)
    return CompiledExpression(expression, kernel, formula_source=formulas, compiler=more)


def compile_expr(text: str, parameters: tuple[str, ...] = (), orders: tuple[int, ...] = (1,),
                 hessian: bool = False, verdicts: bool = True) -> CompiledExpression:
    """Parse, differentiate and compile ``text``; raise ``ExpressionError`` if it is not valid.

    ``parameters`` names scalar inputs besides x and y, passed as keywords to every call
    (``compile_expr("k*sin(w x)", parameters=("k", "w"))(x, k=2, w=3)``); ``orders`` the
    derivative orders to compile now (1 is the gradient; 2..8 for f(x), see ``f.derivative``);
    ``hessian`` the Hessian of f(x, y) now; ``verdicts`` the programs ``derivative_at`` needs.
    ``f.derivative(n)`` and ``f.hessian`` compile what was not asked for here on first use.
    """
    return compile_request(CompileRequest(text, parameters, orders, hessian, verdicts))
