"""What one compile is asked to produce: a ``CompileRequest`` (Qt-free, PyTensor-free, hashable).

A request names the expression's text and its capabilities: the parameters (scalar inputs besides
x and y, differentiable like them), the derivative orders wanted along the variables, the Hessian,
and whether the programs that judge a point (``verdict``) come with it. The compile process
carries it to its child, the program cache and the kernel cache key their entries by it, and the
main program's outputs are named after it (``output_names``)::

    value                      f
    d1/x, d1/y, d1/k, ...      ∂f/∂x, ∂f/∂y, ∂f/∂k: the gradient, variables then parameters (order 1)
    d2/x ... d8/x              f″ ... f⁽⁸⁾, for f of one variable (orders 2 to 8)
    d2/xx, d2/xy, d2/yy        the Hessian of f(x, y)

The window always sends the default request, ``CompileRequest(text)``: value and gradient, and the
verdict programs, as before requests existed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from derivgui.expr.errors import ExpressionError
from derivgui.expr.names import MAX_ORDER, MAX_PARAMETERS, check_parameter_name
from derivgui.expr.parse import Expression, parse

HESSIAN = ("d2/xx", "d2/xy", "d2/yy")


@dataclass(frozen=True)
class CompileRequest:
    """One compile: ``text`` and what to compile it for.

    ``parameters``: names of scalar inputs besides x and y (``compile_expr("k*sin(w x)",
    parameters=("k", "w"))``); a name listed but absent from the text is allowed. ``orders``: the
    derivative orders along the variables, each in 1..8; above 1 only for f of one variable (for
    f(x, y) ask for the ``hessian``). The parameters' first derivatives come with order 1.
    ``verdicts``: the programs ``derivative_at`` and ``holes`` need.

    Arguments are checked when the request is made (``ExpressionError``, a ValueError); what needs
    the parsed text (two variables with an order above 1, a Hessian of one variable) is checked by
    ``parse_request``.
    """

    text: str
    parameters: tuple[str, ...] = ()
    orders: tuple[int, ...] = (1,)
    hessian: bool = False
    verdicts: bool = True
    _key: str = field(default="", init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        parameters = _as_tuple(self.parameters, "parameters")
        orders = _as_tuple(self.orders, "orders")
        for name in parameters:
            check_parameter_name(name)
        if len(set(parameters)) != len(parameters):
            raise ExpressionError(f"a parameter is named twice in {parameters}")
        if len(parameters) > MAX_PARAMETERS:
            raise ExpressionError(f"at most {MAX_PARAMETERS} parameters, got {len(parameters)}")
        for order in orders:
            if isinstance(order, bool) or not isinstance(order, int) or not 1 <= order <= MAX_ORDER:
                raise ExpressionError(f"derivative orders are whole numbers from 1 to {MAX_ORDER}, got {order!r}")
        for flag in ("hessian", "verdicts"):
            if not isinstance(getattr(self, flag), bool):
                raise ExpressionError(f"{flag} is True or False, got {getattr(self, flag)!r}")
        object.__setattr__(self, "parameters", parameters)
        object.__setattr__(self, "orders", tuple(sorted(set(orders))))
        object.__setattr__(self, "_key", _capabilities_key(self))

    @property
    def key(self) -> str:
        """The capabilities as text, for cache keys: "" for the default request."""
        return self._key

    @property
    def is_default(self) -> bool:
        return not self._key

    def cache_key(self, expression: Expression) -> str:
        """The kernel cache's key: the normalized text, and the capabilities unless they are the default."""
        return expression.normalized if self.is_default else f"{expression.normalized}\0{self._key}"

    def output_names(self, variables: tuple[str, ...]) -> tuple[str, ...]:
        """The main program's outputs, in order (see the module's docstring)."""
        names = ["value"]
        if 1 in self.orders:
            names += [f"d1/{name}" for name in (*variables, *self.parameters)]
        names += [f"d{order}/{variables[0]}" for order in self.orders if order > 1]
        if self.hessian:
            names += HESSIAN
        return tuple(names)

    def capabilities(self) -> dict[str, object]:
        """Everything but the text, as JSON data."""
        return {"parameters": list(self.parameters), "orders": list(self.orders), "hessian": self.hessian,
                "verdicts": self.verdicts}


def _as_tuple(value: object, what: str) -> tuple:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ExpressionError(f"{what} must be a tuple, got {value!r}")
    return tuple(value)


def _capabilities_key(request: CompileRequest) -> str:
    if request.parameters == () and request.orders == (1,) and not request.hessian and request.verdicts:
        return ""
    return (f"parameters={','.join(request.parameters)};orders={','.join(map(str, request.orders))};"
            f"hessian={int(request.hessian)};verdicts={int(request.verdicts)}")


def as_request(request: CompileRequest | str) -> CompileRequest:
    return request if isinstance(request, CompileRequest) else CompileRequest(request)


def parse_request(request: CompileRequest | str) -> Expression:
    """The checked expression of a request's text (``parse`` with its parameters as operands).

    ``Expression.variables`` stays x, or x and y; the parameters are ``Var`` nodes of their own
    names. Raises ``ExpressionError`` for the text's faults (a free name that is neither a variable
    nor a parameter keeps its usual message) and for capabilities the variables do not allow.
    """
    request = as_request(request)
    expression = parse(request.text, parameters=request.parameters)
    check(request, expression)
    return expression


def check(request: CompileRequest, expression: Expression) -> None:
    """What the request asks must make sense for the expression's variables."""
    if len(expression.variables) > 1 and any(order > 1 for order in request.orders):
        raise ExpressionError(
            f"derivatives of order {max(request.orders)} are for f(x); f(x, y) has its gradient (order 1) "
            "and its Hessian (hessian=True)")
    if request.hessian and len(expression.variables) != 2:
        raise ExpressionError("the Hessian is for f(x, y); for f(x) ask for order 2 (f.derivative(2))")
