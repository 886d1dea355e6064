"""Student text → checked expression tree.

A hand-written tokenizer and recursive-descent parser instead of Python's ``ast``: the language
is not Python (``^`` is power, ``2x`` is a product) and every fault must come back as an
``ExpressionError`` with the column it is at. Nothing in here evaluates anything.
"""

from __future__ import annotations

import difflib
import math
import re
import reprlib
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass

from derivgui.expr.errors import ExpressionError
from derivgui.expr.functions import ALIASES, CONSTANTS, FUNCTIONS, VARIABLES, lookup_function
from derivgui.expr.names import check_parameter_name

MAX_LENGTH = 2000
MAX_DEPTH = 100  # levels of nesting: parentheses (grouping or a call), signs and exponents
# Operations inside one another in the tree (a long sum is a deep left-leaning chain). Keeps every
# recursive walk of the tree, here and in PyTensor, far from Python's recursion limit.
MAX_HEIGHT = 250
# Exponents inside exponents (x^x^x^...). The derivative graph of such a tower takes PyTensor's
# rewrites a time that grows about as the cube of its height: 10 levels take under a second,
# 50 about half a minute. No student formula needs more than a few.
MAX_EXPONENT_DEPTH = 20

# ---------------------------------------------------------------------------------------------
# The tree


@dataclass(frozen=True)
class Num:
    value: float
    column: int


@dataclass(frozen=True)
class Var:
    name: str  # "x" or "y", or a parameter's name
    column: int


@dataclass(frozen=True)
class Const:
    name: str  # "pi" or "e"
    column: int


@dataclass(frozen=True)
class Unary:
    op: str  # "-" (a unary "+" is dropped by the parser)
    operand: Node
    column: int


@dataclass(frozen=True)
class Binary:
    op: str  # one of + - * / ^
    left: Node
    right: Node
    column: int


@dataclass(frozen=True)
class Call:
    func: str  # canonical name from functions.FUNCTIONS
    args: tuple[Node, ...]
    column: int


Node = Num | Var | Const | Unary | Binary | Call


@dataclass(frozen=True)
class Expression:
    """A checked expression: the user's text, its tree and the variables it is a function of."""

    text: str
    tree: Node
    variables: tuple[str, ...]

    @property
    def normalized(self) -> str:
        """A canonical spelling (spacing, aliases and implicit products resolved): the cache key."""
        return to_text(self.tree)


def to_text(node: Node) -> str:
    """Fully parenthesised canonical text of a tree; parsing it gives the same tree back."""
    if isinstance(node, Num):
        return repr(node.value)
    if isinstance(node, (Var, Const)):
        return node.name
    if isinstance(node, Unary):
        return f"(-{to_text(node.operand)})"
    if isinstance(node, Binary):
        return f"({to_text(node.left)}{node.op}{to_text(node.right)})"
    return f"{node.func}({', '.join(to_text(a) for a in node.args)})"


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()


def iter_nodes(node: Node):
    """Every node of the tree, parents before children (without recursion)."""
    stack = [node]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


def _check_height(tree: Node) -> None:
    stack = [(tree, 1)]
    while stack:
        node, height = stack.pop()
        if height > MAX_HEIGHT:
            raise ExpressionError(
                f"the expression is too complex (over {MAX_HEIGHT} operations inside one another)", node.column
            )
        stack.extend((child, height + 1) for child in children(node))


# ---------------------------------------------------------------------------------------------
# Tokens


@dataclass(frozen=True)
class Token:
    kind: str  # "num", "name", "op", "end", or "error" (raised when the parser reaches it)
    text: str
    column: int
    value: float = 0.0
    error: ExpressionError | None = None


_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_DIGITS = "0123456789"  # not str.isdigit(), which is also true of '²', '①', '٣'...
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Typographic spellings a student may paste from a textbook or a web page.
_UNICODE_OPS = {"−": "-", "–": "-", "×": "*", "·": "*", "⋅": "*", "÷": "/"}
# √x is sqrt(x): the square root of the operand that follows (a number, name, call or group, with its power).
RADICAL = "√"
_SUPERSCRIPTS = {"²": "2", "³": "3"}
_PUNCT_MESSAGES = {
    "'": "strings are not allowed",
    '"': "strings are not allowed",
    "[": "subscripts are not allowed; use ( ) for grouping",
    "]": "subscripts are not allowed; use ( ) for grouping",
    "{": "use ( ) for grouping, not { }",
    "}": "use ( ) for grouping, not { }",
    ";": "only one expression is allowed",
    "\n": "only one expression is allowed (one line)",
    "=": "'=' is not allowed: type only the right-hand side, e.g. x^2 rather than f(x) = x^2",
    "<": "comparisons are not allowed",
    ">": "comparisons are not allowed",
    "!": "'!' is not allowed (no factorials or comparisons)",
    ":": "':' is not allowed",
    "|": "'|' is not allowed; write abs(x) for |x|",
}


def tokenize(text: str) -> list[Token]:
    """Tokens up to the end, or up to the first bad character as an "error" token.

    The error is deferred so that faults are reported in reading order: in ``__import__('os')``
    the unknown function at column 0 is named, not the quote at column 11.
    """
    tokens: list[Token] = []
    try:
        _tokenize_into(text, tokens)
    except ExpressionError as exc:
        tokens.append(Token("error", "", exc.column or 0, error=exc))
    return tokens


def _tokenize_into(text: str, tokens: list[Token]) -> None:
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t\r":
            i += 1
            continue
        if ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            m = _NUMBER.match(text, i)
            assert m is not None
            value = float(m.group(0))
            if not math.isfinite(value):
                raise ExpressionError(f"the number {m.group(0)} is too large", i)
            tokens.append(Token("num", m.group(0), i, value))
            i = m.end()
            continue
        if ch.isalpha() or ch == "_":
            if ch == "π":
                tokens.append(Token("name", "pi", i))
                i += 1
                continue
            m = _NAME.match(text, i)
            if m is None:  # a non-ASCII letter
                raise ExpressionError(f"unexpected character {ch!r}", i)
            tokens.append(Token("name", m.group(0), i))
            i = m.end()
            continue
        if ch == "*" and text.startswith("**", i):
            tokens.append(Token("op", "^", i))
            i += 2
            continue
        if ch in "+-*/^(),√":
            tokens.append(Token("op", ch, i))
            i += 1
            continue
        if ch in _UNICODE_OPS:
            tokens.append(Token("op", _UNICODE_OPS[ch], i))
            i += 1
            continue
        if ch in _SUPERSCRIPTS:  # a run of them is one exponent: x²³ is x^23
            j = i
            while j < n and text[j] in _SUPERSCRIPTS:
                j += 1
            digits = "".join(_SUPERSCRIPTS[c] for c in text[i:j])
            tokens.append(Token("op", "^", i))
            tokens.append(Token("num", digits, i, float(digits)))
            i = j
            continue
        if ch == "." and i + 1 < n and (text[i + 1].isalpha() or text[i + 1] == "_"):
            m = _NAME.match(text, i + 1)
            attr = m.group(0) if m else text[i + 1]
            raise ExpressionError(f"attribute access ('.{attr}') is not allowed", i)
        if ch in _PUNCT_MESSAGES:
            raise ExpressionError(_PUNCT_MESSAGES[ch], i)
        if ch.isprintable():
            raise ExpressionError(f"'{ch}' is not an operator here; use + - * / ^", i)
        raise ExpressionError(f"unexpected character {ch!r}", i)
    tokens.append(Token("end", "", n))


def _atoms(parameters: frozenset[str]) -> tuple[str, ...]:
    """The names a run-together name may be made of, longest first."""
    return tuple(sorted((*VARIABLES, *CONSTANTS, *parameters), key=len, reverse=True))


_ATOMS = _atoms(frozenset())


def _split_implicit_product(name: str, atoms: tuple[str, ...] = _ATOMS) -> list[str] | None:
    """``xy`` → ["x", "y"], ``pix`` → ["pi", "x"], ``kx`` → ["k", "x"] with a parameter k; None when
    the name is not such a product."""
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
    """Resolve run-together names like ``xy``, ``2pix`` or ``bx`` (a parameter b) into separate
    variables, constants and parameters."""
    atoms = _atoms(parameters)
    out: list[Token] = []
    for tok in tokens:
        if tok.kind == "name" and not _is_known(tok.text, parameters):
            parts = _split_implicit_product(tok.text, atoms)
            if parts is not None and len(parts) > 1:
                col = tok.column
                for part in parts:
                    out.append(Token("name", part, col))
                    col += len(part)
                continue
        out.append(tok)
    return out


def _is_known(name: str, parameters: frozenset[str]) -> bool:
    return name in VARIABLES or name in parameters or name in CONSTANTS or lookup_function(name) is not None


_ALL_NAMES = sorted({*VARIABLES, *CONSTANTS, *FUNCTIONS, *ALIASES})


def _unknown_name_error(tok: Token, is_call: bool) -> ExpressionError:
    name = tok.text
    if is_call:
        message = f"unknown function '{name}'"
    elif len(name) == 1:
        message = f"x and y are the only variables; found '{name}'"
    else:
        message = f"unknown name '{name}'"
        for fname in sorted(FUNCTIONS, key=len, reverse=True):
            rest = name[len(fname):]
            if name.startswith(fname) and rest and _split_implicit_product(rest):
                return ExpressionError(f"{message}; write {fname}({rest}) with parentheses", tok.column)
    if not name.startswith("_"):
        close = difflib.get_close_matches(name, _ALL_NAMES, n=1, cutoff=0.8)
        if close:
            message += f"; did you mean '{close[0]}'?"
    return ExpressionError(message, tok.column)


# ---------------------------------------------------------------------------------------------
# Parser


class _Parser:
    def __init__(self, text: str, tokens: list[Token], parameters: frozenset[str]) -> None:
        self.text = text
        self.tokens = tokens
        self.parameters = parameters
        self.pos = 0
        self.depth = 0
        self.exponent_depth = 0
        self.open_parens: list[int] = []

    @property
    def tok(self) -> Token:
        tok = self.tokens[self.pos]
        if tok.error is not None:
            raise tok.error
        return tok

    def advance(self) -> Token:
        tok = self.tok
        self.pos += 1
        return tok

    def at_op(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in ops

    @contextmanager
    def level(self, column: int):
        """One more level of nesting (a '(', a sign or an exponent); it bounds the recursion."""
        if self.depth >= MAX_DEPTH:
            raise ExpressionError(f"the expression is nested too deeply (over {MAX_DEPTH} levels)", column)
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    def parse(self) -> Node:
        node = self.sum()
        tok = self.tok
        if tok.kind != "end":
            if tok.text == ")":
                raise ExpressionError("unmatched ')'", tok.column)
            if tok.text == ",":
                raise ExpressionError("',' is only allowed between a function's arguments", tok.column)
            raise ExpressionError(f"unexpected '{tok.text}'", tok.column)
        return node

    def sum(self) -> Node:
        node = self.product()
        while self.at_op("+", "-"):
            op = self.advance()
            node = Binary(op.text, node, self.product(), op.column)
        return node

    def starts_operand(self) -> bool:
        tok = self.tok
        return tok.kind in ("num", "name") or (tok.kind == "op" and tok.text in ("(", RADICAL))

    def product(self) -> Node:
        node = self.unary()
        while True:
            if self.at_op("*", "/"):
                op = self.advance()
                node = Binary(op.text, node, self.unary(), op.column)
            elif self.starts_operand():
                tok = self.tok
                if tok.kind == "num" and self.tokens[self.pos - 1].kind == "num":
                    raise ExpressionError(f"missing operator before {tok.text}", tok.column)
                node = Binary("*", node, self.radical(), tok.column)
            else:
                return node

    def unary(self) -> Node:
        if self.at_op("-", "+"):
            op = self.advance()
            with self.level(op.column):
                operand = self.unary()
            return operand if op.text == "+" else Unary("-", operand, op.column)
        return self.radical()

    def radical(self) -> Node:
        """``√`` then its operand: ``√x^2`` is √(x²) as ``-x^2`` is −(x²); ``√-x`` is √(−x); ``√2x`` is √2·x."""
        if self.at_op(RADICAL):
            op = self.advance()
            with self.level(op.column):
                operand = self.unary()
            return Call("sqrt", (operand,), op.column)
        return self.power()

    def power(self) -> Node:
        base = self.primary()
        if self.at_op("^"):
            op = self.advance()
            if self.exponent_depth >= MAX_EXPONENT_DEPTH:
                raise ExpressionError(
                    f"exponents are stacked too deeply (over {MAX_EXPONENT_DEPTH} levels of ^)", op.column
                )
            self.exponent_depth += 1
            try:
                with self.level(op.column):
                    exponent = self.unary()
            finally:
                self.exponent_depth -= 1
            return Binary("^", base, exponent, op.column)
        return base

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind == "num":
            self.advance()
            return Num(tok.value, tok.column)
        if tok.kind == "name":
            self.advance()
            is_call = self.at_op("(")
            if tok.text in VARIABLES or tok.text in self.parameters:
                return Var(tok.text, tok.column)  # x(x + 1) and k(x + 1) are products
            if tok.text in CONSTANTS:
                return Const(tok.text, tok.column)
            spec = lookup_function(tok.text)
            if spec is None:
                raise _unknown_name_error(tok, is_call)
            if not is_call:
                raise ExpressionError(f"'{tok.text}' is a function: write {tok.text}(...)", tok.column)
            with self.level(self.tok.column):
                args = self.arguments()
            count = len(args)
            if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
                raise ExpressionError(
                    f"{tok.text} takes {spec.arity_text()}, got {count}", tok.column
                )
            return Call(spec.name, tuple(args), tok.column)
        if tok.kind == "op" and tok.text == "(":
            self.advance()
            self.open_parens.append(tok.column)
            if self.at_op(")"):
                raise ExpressionError("empty parentheses", tok.column)
            with self.level(tok.column):
                node = self.sum()
            self.close_paren()
            return node
        raise self.operand_expected()

    def arguments(self) -> list[Node]:
        open_tok = self.advance()  # "("
        self.open_parens.append(open_tok.column)
        args: list[Node] = []
        if self.at_op(")"):
            self.close_paren()
            return args
        args.append(self.sum())
        while self.at_op(","):
            self.advance()
            args.append(self.sum())
        self.close_paren()
        return args

    def close_paren(self) -> None:
        if not self.at_op(")"):
            tok = self.tok
            if tok.kind == "end":
                raise ExpressionError("missing ')'", tok.column)
            raise ExpressionError(f"expected ')' but found '{tok.text}'", tok.column)
        self.advance()
        self.open_parens.pop()

    def operand_expected(self) -> ExpressionError:
        tok = self.tok
        if tok.kind == "end":
            if self.open_parens:
                return ExpressionError("missing ')'", tok.column)
            return ExpressionError("the expression ends too early", tok.column)
        if tok.text == ")":
            return ExpressionError("expected a number, variable or '(' before ')'", tok.column)
        return ExpressionError(f"expected a number, variable or '(' but found '{tok.text}'", tok.column)


def parse(text: str, parameters: Iterable[str] = ()) -> Expression:
    """Check ``text`` and return its tree; raise ``ExpressionError`` (with a column) otherwise.

    ``parameters``: names of free scalar inputs besides x and y (each one ``check_parameter_name``
    allows). They are operands as the variables are, ``Var`` nodes of their own names, and split
    out of run-together names as well: with parameters a, b and c, ``ax^2 + bx + c`` is
    a·x² + b·x + c. A name listed but absent from the text is allowed. ``Expression.variables``
    stays x, or x and y; a name that is neither a variable nor a parameter keeps its usual message.
    """
    names = _parameter_set(parameters)
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is too long ({len(text)} characters; at most {MAX_LENGTH})", MAX_LENGTH)
    if not text.strip():
        raise ExpressionError("type an expression, for example x^2")
    tokens = _expand_names(tokenize(text), names)
    tree = _Parser(text, tokens, names).parse()
    _check_height(tree)
    used = {node.name for node in iter_nodes(tree) if isinstance(node, Var)}
    variables = ("x", "y") if "y" in used else ("x",)
    return Expression(text, tree, variables)


def _parameter_set(parameters: Iterable[str]) -> frozenset[str]:
    if isinstance(parameters, str) or not isinstance(parameters, Iterable):
        raise ExpressionError(f"parameters must be a tuple of names, got {reprlib.repr(parameters)}")
    names = tuple(parameters)
    for name in names:
        check_parameter_name(name)
    return frozenset(names)
