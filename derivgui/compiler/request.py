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

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from derivgui.expr.errors import ExpressionError
from derivgui.expr.functions import CONSTANTS, VARIABLES, lookup_function
from derivgui.expr.parse import (
    MAX_LENGTH,
    Expression,
    Token,
    Var,
    _check_height,
    _Parser,
    iter_nodes,
    parse,
    tokenize,
)

MAX_ORDER = 8
MAX_PARAMETERS = 16
HESSIAN = ("d2/xx", "d2/xy", "d2/yy")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}")


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


def check_parameter_name(name: object) -> None:
    """A parameter is named like a Python identifier, and not like a variable, a constant or a function."""
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise ExpressionError(f"a parameter is named by a letter, then letters, digits or _ (at most 32): {name!r}")
    if name in VARIABLES:
        raise ExpressionError(f"'{name}' is a variable; a parameter needs another name")
    if name in CONSTANTS:
        raise ExpressionError(f"'{name}' is a constant; a parameter needs another name")
    if lookup_function(name) is not None:
        raise ExpressionError(f"'{name}' is a function; a parameter needs another name")


def as_request(request: CompileRequest | str) -> CompileRequest:
    return request if isinstance(request, CompileRequest) else CompileRequest(request)


# -- parsing with parameters --------------------------------------------------------------------


class _ParameterParser(_Parser):
    """The expression parser, with the parameters' names as operands besides x, y, pi and e."""

    def __init__(self, text: str, tokens: list[Token], parameters: frozenset[str]) -> None:
        super().__init__(text, tokens)
        self.parameters = parameters

    def primary(self):
        tok = self.tok
        if tok.kind == "name" and tok.text in self.parameters:
            self.advance()
            return Var(tok.text, tok.column)  # k(x + 1) is k·(x + 1), as x(x + 1) is
        return super().primary()


def _split(name: str, atoms: list[str]) -> list[str] | None:
    """``kx`` → ["k", "x"] (longest atom first, as the parser splits ``xy`` and ``pix``)."""
    parts: list[str] = []
    i = 0
    while i < len(name):
        for atom in atoms:
            if name.startswith(atom, i):
                parts.append(atom)
                i += len(atom)
                break
        else:
            return None
    return parts


def _expand_names(tokens: list[Token], parameters: frozenset[str]) -> list[Token]:
    """Run-together names split into variables, constants and parameters: ``ax^2 + bx`` is a·x² + b·x."""
    atoms = sorted((*VARIABLES, *CONSTANTS, *parameters), key=len, reverse=True)
    out: list[Token] = []
    for tok in tokens:
        known = tok.text in parameters or tok.text in VARIABLES or tok.text in CONSTANTS \
            or lookup_function(tok.text) is not None
        if tok.kind == "name" and not known:
            parts = _split(tok.text, atoms)
            if parts is not None and len(parts) > 1:
                column = tok.column
                for part in parts:
                    out.append(Token("name", part, column))
                    column += len(part)
                continue
        out.append(tok)
    return out


def parse_request(request: CompileRequest | str) -> Expression:
    """The checked expression of a request's text (``parse`` with its parameters as operands).

    ``Expression.variables`` stays x, or x and y; the parameters are ``Var`` nodes of their own
    names. Raises ``ExpressionError`` for the text's faults (a free name that is neither a variable
    nor a parameter keeps its usual message) and for capabilities the variables do not allow.
    """
    request = as_request(request)
    if not request.parameters:
        expression = parse(request.text)
    else:
        expression = _parse_with(request.text, frozenset(request.parameters))
    check(request, expression)
    return expression


def _parse_with(text: str, parameters: frozenset[str]) -> Expression:
    # As parse.parse, with the parameters known.
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is too long ({len(text)} characters; at most {MAX_LENGTH})", MAX_LENGTH)
    if not text.strip():
        raise ExpressionError("type an expression, for example x^2")
    tokens = _expand_names(tokenize(text), parameters)
    tree = _ParameterParser(text, tokens, parameters).parse()
    _check_height(tree)
    used = {node.name for node in iter_nodes(tree) if isinstance(node, Var)}
    variables = ("x", "y") if "y" in used else ("x",)
    return Expression(text, tree, variables)


def check(request: CompileRequest, expression: Expression) -> None:
    """What the request asks must make sense for the expression's variables."""
    if len(expression.variables) > 1 and any(order > 1 for order in request.orders):
        raise ExpressionError(
            f"derivatives of order {max(request.orders)} are for f(x); f(x, y) has its gradient (order 1) "
            "and its Hessian (hessian=True)")
    if request.hessian and len(expression.variables) != 2:
        raise ExpressionError("the Hessian is for f(x, y); for f(x) ask for order 2 (f.derivative(2))")
