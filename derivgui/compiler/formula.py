"""What autodiff built, as readable math: the engine's rewritten gradient graph printed with Unicode.

The printed graph is the one the engine evaluates (``engine.derivative_formulas`` prints the
gradients of ``engine.rewritten_graph`` with ``to_math``; this module reads graphs and never imports
the engine), so PyTensor's rewrites show: the sigmoid's derivative is ``σ(x)·(1 − σ(x))``. The
printer writes it the way a teacher would:

- nested binary sums and products are flattened, like terms added up (``u + u − u/2 − u/2`` → ``u``)
  and identical factors collected into powers (``x·x`` → ``x²``, ``√u·√u·√u`` → ``u^(3/2)``);
- a constant that is a small fraction, π, e, 2/√π or 1/ln(10) to the last bit is written as such;
- comparisons and switches are written as conditions, never as op names: a switch to NaN becomes a
  domain note (``x/x  (for x ≥ 0)``), and a derivative that switches between branches is split
  into cases: ``(1 if x > y else 0 if x < y else 1/2)``;
- a fused subgraph (a Composite) is printed as what it computes.

It reads PyTensor graphs, so like the engine it runs on the compile thread (or compile process).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from fractions import Fraction

import numpy as np
from pytensor.graph.basic import Constant, Variable

# Precedences: how tightly a printed piece binds.
ATOM, POWER, UNARY, PRODUCT, SUM = 5, 4, 3, 2, 1
MINUS = "−"
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_MAX_DENOMINATOR = 12
_MAX_CASE_PAIRS = 2  # a derivative switching on more comparisons keeps its switches inline

# Scalar op names (class names lowercased) → how a call is written.
_FUNCTION_NAMES = {
    "sigmoid": "σ", "exp": "exp", "log": "log", "log1p": "log1p", "log2": "log₂", "log10": "log₁₀",
    "sin": "sin", "cos": "cos", "tan": "tan", "tanh": "tanh", "sinh": "sinh", "cosh": "cosh",
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh", "arccosh": "acosh",
    "arctanh": "atanh", "arctan2": "atan2", "sign": "sign", "erf": "erf", "erfc": "erfc",
    "erfinv": "erfinv", "erfcinv": "erfcinv", "softplus": "softplus", "floor": "floor", "ceil": "ceil",
    "trunc": "trunc", "roundhalftoeven": "round", "roundhalfawayfromzero": "round", "maximum": "max",
    "minimum": "min", "gamma": "Γ", "gammaln": "log Γ", "psi": "ψ", "exp2": "exp₂", "mod": "mod",
    "erfcx": "erfcx", "log1mexp": "log1mexp",
}
# The engine's accurate derivatives (computed without cancelling), written as the textbook has them.
_SPELLED_OUT = {
    "sigmoid_prime": lambda u: [(f"σ({u})", ATOM), (f"1 {MINUS} σ({u})", SUM)],
    "tanh_prime": lambda u: [(f"1 {MINUS} tanh({u})²", SUM)],
}
_COMPARISONS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "eq": "=", "neq": "≠"}
_NEGATED = {"≥": "<", "<": "≥", ">": "≤", "≤": ">", "=": "≠", "≠": "="}
_MIRRORED = {"≥": "≤", "≤": "≥", ">": "<", "<": ">", "=": "=", "≠": "≠"}
_HOLDS = {  # does "a op b" hold when the sign of a − b is s?
    "≥": lambda s: s >= 0, ">": lambda s: s > 0, "≤": lambda s: s <= 0, "<": lambda s: s < 0,
    "=": lambda s: s == 0, "≠": lambda s: s != 0,
}
# The ops a product is made of, with the power each input is raised to.
_PRODUCT_POWERS = {
    "mul": (1,) * 64, "neg": (1,), "true_div": (1, -1), "truediv": (1, -1), "reciprocal": (-1,), "sqr": (2,),
}
_PRODUCT_OPS = {*_PRODUCT_POWERS, "sqrt", *_SPELLED_OUT}
_TRANSPARENT_OPS = {"Cast", "DimShuffle", "SpecifyShape"}
_TRANSPARENT_SCALARS = {"cast", "identity"}


def to_math(variable: Variable) -> str:
    """``variable``'s graph as Unicode math, split into cases where it switches between branches,
    with the domain it is restricted to (where the graph gives NaN) noted after it."""
    domain: list[str] = []
    text = _split(variable, {}, domain)[0]
    if domain:
        text += f"  (for {' and '.join(domain)})"
    return text


def _split(variable: Variable, assume: dict, domain: list) -> tuple[str, int]:
    """``variable`` printed under ``assume``, split into the cases a > b, a < b and a = b of a
    compared pair (a, b) it switches on, while at most ``_MAX_CASE_PAIRS`` pairs are involved; a
    formula switching on more pairs is split piece by piece (each sum or switch on one pair)."""
    printer = _Printer(assume)
    printed = printer.print(variable)
    if not printer.pairs or len(printer.pairs) + len(assume) > _MAX_CASE_PAIRS:
        if printer.pairs:
            printer = _Printer(assume, local_cases=True)
            printed = printer.print(variable)
        domain.extend(d for d in printer.domain if d not in domain)
        return printed
    a, b = printer.pairs[0]
    above, below, tie = (_split(variable, {**assume, (a, b): s}, domain) for s in (1, -1, 0))

    def at_tie(text_prec: tuple[str, int]) -> str:  # where a = b, b can be written a (for variables)
        if a.isidentifier() and b.isidentifier():
            return re.sub(rf"(?<!\w){re.escape(b)}(?!\w)", a, text_prec[0])
        return text_prec[0]

    if above[0] == below[0] and at_tie(above) == at_tie(tie):
        return above
    if at_tie(above) == at_tie(tie):
        return f"({above[0]} if {a} ≥ {b} else {below[0]})", ATOM
    if at_tie(below) == at_tie(tie):
        return f"({above[0]} if {a} > {b} else {below[0]})", ATOM
    if above[0] == below[0]:
        return f"({tie[0]} if {a} = {b} else {above[0]})", ATOM
    return f"({above[0]} if {a} > {b} else {below[0]} if {a} < {b} else {tie[0]})", ATOM


# ---------------------------------------------------------------------------------------------
# Constants


@dataclass(frozen=True)
class _Number:
    """A constant as a teacher writes it: a sign, and the parts above and below the fraction bar
    (an integer first, then a named constant such as π or ln(10); none means 1)."""

    negative: bool
    above: tuple[str, ...]
    below: tuple[str, ...] = ()

    @property
    def named(self) -> bool:
        return any(not part.isdigit() for part in self.above + self.below)

    def fraction(self) -> str:
        top = _juxtapose(self.above) or "1"
        if self.below:
            bottom = _juxtapose(self.below)
            top += f"/{bottom}" if len(self.below) == 1 else f"/({bottom})"
        return top

    def printed(self) -> tuple[str, int]:
        if self.negative:
            return MINUS + self.fraction(), UNARY
        return self.fraction(), (PRODUCT if self.below or len(self.above) > 1 or "×" in self.fraction() else ATOM)


def _juxtapose(parts) -> str:
    """2π, 3√2, but 2·e and 2·ln(2)."""
    out = ""
    for part in parts:
        glue = "" if out.isdigit() and part[0] in "π√" else "·"
        out = f"{out}{glue}{part}" if out else part
    return out


_NAMED_CONSTANTS = (
    ("π", math.pi), ("e", math.e), ("√2", math.sqrt(2.0)), ("√3", math.sqrt(3.0)), ("√π", math.sqrt(math.pi)),
    ("√(2π)", math.sqrt(2.0 * math.pi)), ("ln(2)", math.log(2.0)), ("ln(10)", math.log(10.0)),
    ("π²", math.pi * math.pi),
)


def _rational(value: float) -> Fraction | None:
    """``value`` as p/q with q ≤ 12 when it is that fraction to the last bit: float(p/q), or the
    float sum float(p/q) + k that the power rule makes of an exponent (x^(1/3) → x^(1/3 − 1))."""
    if not math.isfinite(value):
        return None
    if value.is_integer():
        return Fraction(int(value)) if abs(value) < 1e15 else None
    for q in range(2, _MAX_DENOMINATOR + 1):
        for k in (0, -1, 1, -2, 2):
            p = round((value - k) * q)
            if abs(p) < 10**6 and math.gcd(p, q) == 1 and p / q + k == value:
                return Fraction(p, q) + k
    return None


def _named(value: float) -> tuple[int, int, str, int] | None:
    """``value`` > 0 as (p/q)·c or (p/q)/c for a named constant c, exact to the last bit."""
    for name, c in _NAMED_CONSTANTS:
        for power, ratio in ((1, value / c), (-1, value * c)):
            guess = Fraction(ratio).limit_denominator(_MAX_DENOMINATOR)
            p, q = guess.numerator, guess.denominator
            if not 0 < p <= 100:
                continue
            ways = (p * c / q, p / q * c, c * p / q) if power == 1 else (p / (q * c), p / q / c, p / c / q)
            if value in ways:
                return p, q, name, power
    return None


def _decimal(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞"
    short = repr(value)
    digits = short.split("e")[0].replace(".", "").lstrip("0")
    text = short if len(digits) <= 12 else f"{value:.10g}"
    if "e" in text:  # 1e-20 would read as 1·e − 20
        mantissa, exponent = text.split("e")
        text = f"{mantissa}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    return text.replace("-", MINUS)


def _constant(value: float) -> _Number:
    """How a constant is written, split at its fraction bar."""
    negative, magnitude = value < 0, abs(value)
    rational = _rational(magnitude)
    if rational is not None:
        p, q = rational.numerator, rational.denominator
        return _Number(negative, (str(p),) if p != 1 else (), (str(q),) if q != 1 else ())
    named = _named(magnitude)
    if named is not None:
        p, q, name, power = named
        above = ((str(p),) if p != 1 else ()) + ((name,) if power == 1 else ())
        below = ((str(q),) if q != 1 else ()) + ((name,) if power == -1 else ())
        return _Number(negative, above, below)
    return _Number(negative, (_decimal(magnitude),))


def _exponent_text(exponent: Fraction | float) -> str:
    """``²`` or ``^(2/3)``, ``^(−2/3)``, ``^π``."""
    if isinstance(exponent, Fraction) and exponent.denominator == 1:
        return str(exponent.numerator).translate(_SUPERSCRIPT)
    if isinstance(exponent, Fraction):
        return f"^({str(exponent).replace('-', MINUS)})"
    sign = -1 if exponent < 0 else 1
    for name, c in _NAMED_CONSTANTS:  # the power rule's c − 1 for a named c: x^(π − 1), x^(−π − 1)
        for k in (-1, 1, -2, 2):
            if c + k == abs(exponent):  # exponent = sign·(c + k)
                lead = MINUS if sign < 0 else ""
                return f"^({lead}{name} {'+' if sign * k > 0 else MINUS} {abs(k)})"
    return "^" + _wrap(_constant(exponent).printed(), ATOM)


def _scalar(var: Variable) -> float | None:
    """The value of a constant that holds one number (or the same number everywhere)."""
    if not isinstance(var, Constant):
        return None
    data = np.asarray(var.data)
    if data.size == 0 or data.dtype.kind not in "biuf":
        return None
    flat = data.reshape(-1).astype(float)
    if data.size > 1 and not (np.all(flat == flat[0]) or np.all(np.isnan(flat))):
        return None
    return float(flat[0])


def _wrap(text_prec: tuple[str, int], min_prec: int) -> str:
    text, prec = text_prec
    return f"({text})" if prec < min_prec else text


# ---------------------------------------------------------------------------------------------
# Pieces of the printed formula


@dataclass(frozen=True)
class _Condition:
    text: str
    negation: str
    pairs: tuple[tuple[str, str], ...] = ()  # the (a, b) each comparison in it compares
    test: tuple[str, str, str] | None = None  # (a, symbol, b) for one comparison

    def negated(self) -> _Condition:
        test = None if self.test is None else (self.test[0], _NEGATED[self.test[1]], self.test[2])
        return _Condition(self.negation, self.text, self.pairs, test)


@dataclass
class _Factor:
    text: str  # the base, printed
    prec: int
    exponents: list  # of Fraction | float, all of one sign


@dataclass
class _Product:
    """coefficient · factors, with conditions that make it 0 where they do not hold."""

    coefficient: float = 1.0
    factors: dict = field(default_factory=dict)  # (base text, exponent > 0) → _Factor
    conditions: list = field(default_factory=list)

    def key(self) -> tuple:
        factors = sorted((k, tuple(f.exponents)) for k, f in self.factors.items())
        return tuple(factors), tuple(sorted(self.conditions))  # x·y and y·x are like terms


class _Printer:
    """Prints one formula, under ``assume``: the sign of a − b for some compared pairs (a, b), which
    decides the comparisons on them. Composite ops (fused subgraphs) are printed through their
    inner graph, with the inner inputs bound to the outer node's inputs while it is printed."""

    def __init__(self, assume: dict | None = None, local_cases: bool = False) -> None:
        self.assume = assume or {}
        self.local_cases = local_cases
        self.domain: list[str] = []  # conditions outside which the formula is NaN
        self.pairs: list[tuple[str, str]] = []  # compared pairs the formula switches on
        self._bound: dict[Variable, Variable] = {}
        self._memo: dict[Variable, tuple[str, int]] = {}
        self._values: dict[Variable, float | None] = {}

    def text(self, var: Variable) -> str:
        return self.print(var)[0]

    # -- graph access ---------------------------------------------------------------------------

    def _resolve(self, var: Variable, through_switches: bool = True) -> Variable:
        """Follow composite inputs to what they are bound to, see through casts, fills and
        broadcasts, and take the branch of a switch whose condition ``assume`` decides."""
        while True:
            if var in self._bound:
                var = self._bound[var]
                continue
            node = var.owner
            if node is None or isinstance(var, Constant):
                return var
            name = _scalar_name(node)
            if type(node.op).__name__ in _TRANSPARENT_OPS or name in _TRANSPARENT_SCALARS:
                var = node.inputs[0]
            elif type(node.op).__name__ == "Alloc":  # a constant filled to the input's shape
                var = node.inputs[0]
            elif name == "second":  # fill(shape_of, value)
                var = node.inputs[1]
            elif name == "switch" and through_switches and self.truth(node.inputs[0]) is not None:
                var = node.inputs[1] if self.truth(node.inputs[0]) else node.inputs[2]
            else:
                return var

    def _name(self, var: Variable) -> str | None:
        """The scalar op name of what ``var`` computes (after ``_resolve``)."""
        node = self._resolve(var).owner
        return None if node is None else _scalar_name(node)

    def value(self, var: Variable) -> float | None:
        """``var``'s value when it is a constant under ``assume`` (switches and conditions decided)."""
        var = self._resolve(var)
        if self._bound:
            return self._value(var)
        if var not in self._values:
            self._values[var] = self._value(var)
        return self._values[var]

    def _value(self, var: Variable) -> float | None:
        constant = _scalar(var)
        if constant is not None or var.owner is None:
            return constant
        truth = self.truth(var)
        if truth is not None:
            return float(truth)
        name = _scalar_name(var.owner)
        if name not in ("add", "sub", "neg", "mul", "true_div", "truediv", "sqr"):
            return None
        if name == "sub" and self._tied(*var.owner.inputs):
            return 0.0  # a − b where a = b is assumed
        maybe_values = [self.value(a) for a in var.owner.inputs]
        if name == "mul" and 0.0 in maybe_values:
            return 0.0
        values = [v for v in maybe_values if v is not None]
        if len(values) < len(maybe_values):
            return None
        with np.errstate(all="ignore"):
            v = np.float64(values[0])
            if name == "add":
                return float(sum(values[1:], v))
            if name == "sub":
                return float(v - values[1])
            if name == "neg":
                return float(-v)
            if name == "sqr":
                return float(v * v)
            if name == "mul":
                return float(math.prod(values[1:], start=v))
            return float(v / values[1])

    # -- dispatch -------------------------------------------------------------------------------

    def print(self, var: Variable) -> tuple[str, int]:
        var = self._resolve(var)
        if self._bound:
            return self._print(var)
        if var not in self._memo:
            self._memo[var] = self._print(var)
        return self._memo[var]

    def _print(self, var: Variable) -> tuple[str, int]:
        value = self.value(var)
        if value is not None:
            return _constant(value).printed()
        node = var.owner
        if node is None:
            return (var.name or "u"), ATOM
        name = _scalar_name(node)
        if name is None:
            return "…", ATOM  # not an elementwise op: nothing a derivative here holds
        if name == "composite":
            return self._composite(var)
        condition = self.condition(var)
        if condition is not None:
            self._case(condition)
            return f"(1 if {condition.text} else 0)", ATOM
        args = node.inputs
        if self.local_cases and not self._bound and name in ("add", "sub", "switch"):
            probe = _Printer(self.assume)
            probe.print(var)
            if len(probe.pairs) == 1:
                return _split(var, self.assume, self.domain)
        if name in ("add", "sub") or (name == "neg" and self._is_sum(args[0])):
            return self._sum(var)
        if name in _PRODUCT_OPS or (name == "pow" and self._constant_exponent(args[1]) is not None):
            return self._product(var)
        if name == "pow":
            return f"{_wrap(self.print(args[0]), ATOM)}^{_wrap(self.print(args[1]), ATOM)}", POWER
        if name == "switch":
            extreme = self._extreme(var)
            if extreme is not None:
                return f"{extreme[0]}({', '.join(self._flat_args(var, extreme[0]))})", ATOM
            return self._switch(args)
        if name == "abs":
            return f"|{self.text(args[0])}|", ATOM
        if name in ("maximum", "minimum"):
            return f"{_FUNCTION_NAMES[name]}({', '.join(self._flat_args(var, _FUNCTION_NAMES[name]))})", ATOM
        if name in ("isnan", "isinf"):
            return f"({self.text(args[0])} is {'NaN' if name == 'isnan' else '±∞'})", ATOM
        if name == "expm1":
            return f"exp({self.text(args[0])}) {MINUS} 1", SUM
        label = _FUNCTION_NAMES.get(name, name if name.isalnum() else "f")
        return f"{label}({', '.join(self.text(a) for a in args)})", ATOM

    def _composite(self, var: Variable) -> tuple[str, int]:
        node = var.owner
        inner = _scalar_op(node).fgraph
        saved = {i: self._bound[i] for i in inner.inputs if i in self._bound}
        self._bound.update(zip(inner.inputs, node.inputs, strict=True))
        try:
            return self._print(self._resolve(inner.outputs[node.outputs.index(var)]))
        finally:
            for i in inner.inputs:
                self._bound.pop(i, None)
            self._bound.update(saved)

    def _flat_args(self, var: Variable, label: str) -> list[str]:
        """max(max(x, y), z) → x, y, z."""
        out = []
        for arg in self._extreme_args(var):
            extreme = self._extreme(arg)
            if extreme is not None and extreme[0] == label:
                out.extend(self._flat_args(self._resolve(arg), label))
            else:
                out.append(self.text(arg))
        return out

    def _extreme_args(self, var: Variable) -> tuple:
        name = self._name(var)
        if name in ("maximum", "minimum"):
            return tuple(self._resolve(var).owner.inputs)
        extreme = self._extreme(var)
        return () if extreme is None else extreme[1:]

    def _extreme(self, var: Variable) -> tuple[str, Variable, Variable] | None:
        """("max", u, v) for PyTensor's maximum(u, v) and for the engine's tie-averaging max,
        ``u if u > v else (v if u < v else u + (v − u)/2)``; likewise for min."""
        var = self._resolve(var)
        name = None if var.owner is None else _scalar_name(var.owner)
        if name in ("maximum", "minimum"):
            return (_FUNCTION_NAMES[name], *var.owner.inputs)
        if name != "switch":
            return None
        first, chosen, rest = var.owner.inputs
        rest = self._resolve(rest, through_switches=False)
        if self._name(first) not in ("gt", "lt") or rest.owner is None or _scalar_name(rest.owner) != "switch":
            return None
        second, other, tie = rest.owner.inputs
        if self._name(second) not in ("gt", "lt") or self._name(second) == self._name(first):
            return None
        left, right = (self.text(i) for i in self._resolve(first).owner.inputs)
        if [self.text(i) for i in self._resolve(second).owner.inputs] != [left, right]:
            return None
        if (self.text(chosen), self.text(other)) != (left, right):
            return None
        tie_var = self._resolve(tie)
        tie_parts = [tie_var] + (list(tie_var.owner.inputs) if self._name(tie_var) == "add" else [])
        if not any(self.text(t) in (left, right) for t in tie_parts):
            return None
        u, v = self._resolve(first).owner.inputs
        return ("max" if self._name(first) == "gt" else "min"), u, v

    # -- conditions -----------------------------------------------------------------------------

    def condition(self, var: Variable) -> _Condition | None:
        """``var`` as a condition when it is a comparison, a logical op or 1 − a condition."""
        var = self._resolve(var)
        node = var.owner
        if node is None:
            return None
        name = _scalar_name(node)
        args = node.inputs
        if name in _COMPARISONS:
            return self._comparison(args[0], _COMPARISONS[name], args[1])
        if name in ("and", "or"):
            parts = [self.condition(a) or self._nonzero(a) for a in args]
            word, other = (" and ", " or ") if name == "and" else (" or ", " and ")
            pairs = tuple(p for part in parts for p in part.pairs)
            return _Condition(word.join(p.text for p in parts), other.join(p.negation for p in parts), pairs)
        if name == "invert" and var.dtype == "bool":
            inner = self.condition(args[0])
            return None if inner is None else inner.negated()
        if name == "sub" and _scalar(self._resolve(args[0])) == 1.0:
            inner = self.condition(args[1])
            return None if inner is None else inner.negated()
        return None

    def _nonzero(self, var: Variable) -> _Condition:
        text = self.text(var)
        return _Condition(f"{text} ≠ 0", f"{text} = 0")

    def _comparison(self, left: Variable, symbol: str, right: Variable) -> _Condition:
        left_text, right_text = self.text(left), self.text(right)
        if symbol == "=":  # max(a, b) = a is a ≥ b, min(a, b) = a is a ≤ b
            for side, other_text in ((left, right_text), (right, left_text)):
                extreme = self._extreme(side)
                if extreme is not None:
                    a, b = (self.text(i) for i in extreme[1:])
                    order = "≥" if extreme[0] == "max" else "≤"
                    if other_text == a:
                        left_text, symbol, right_text = a, order, b
                    elif other_text == b:
                        left_text, symbol, right_text = b, order, a
        if self.value(left) is not None and self.value(right) is None:  # 0 < x reads x > 0
            left_text, symbol, right_text = right_text, _MIRRORED[symbol], left_text
        return _Condition(f"{left_text} {symbol} {right_text}", f"{left_text} {_NEGATED[symbol]} {right_text}",
                          ((left_text, right_text),), (left_text, symbol, right_text))

    def truth(self, var: Variable) -> bool | None:
        """Whether condition ``var`` holds under ``assume``; None when it does not decide it."""
        if not self.assume:
            return None
        var = self._resolve(var, through_switches=False)
        constant = _scalar(var)
        if constant is not None:
            return constant != 0
        node = var.owner
        name = None if node is None else _scalar_name(node)
        args = node.inputs if node is not None else []
        if name in _COMPARISONS:
            test = self._comparison(args[0], _COMPARISONS[name], args[1]).test
            assert test is not None  # a comparison's condition always has one
            a, symbol, b = test
            sign = self.assume.get((a, b), None if (b, a) not in self.assume else -self.assume[(b, a)])
            return None if sign is None else _HOLDS[symbol](sign)
        if name in ("and", "or"):
            parts = [self.truth(a) for a in args]
            if name == "and":
                return False if False in parts else (None if None in parts else True)
            return True if True in parts else (None if None in parts else False)
        if (name == "invert" and var.dtype == "bool") or (name == "sub" and _scalar(self._resolve(args[0])) == 1.0):
            if name == "sub" and self.condition(args[1]) is None:
                return None
            inner = self.truth(args[-1])
            return None if inner is None else not inner
        return None

    def _tied(self, a: Variable, b: Variable) -> bool:
        if 0 not in self.assume.values():
            return False
        pair = (self.text(a), self.text(b))
        return self.assume.get(pair, self.assume.get(pair[::-1])) == 0

    def _case(self, condition: _Condition) -> None:
        for pair in condition.pairs:
            if pair not in self.pairs and pair[::-1] not in self.pairs:
                self.pairs.append(pair)

    def _switch(self, args) -> tuple[str, int]:
        cond, then, other = args
        condition = self.condition(cond) or self._nonzero(cond)
        then_value, other_value = self.value(then), self.value(other)
        if other_value is not None and math.isnan(other_value):
            self._note(condition.text)
            return self.print(then)
        if then_value is not None and math.isnan(then_value):
            self._note(condition.negation)
            return self.print(other)
        self._case(condition)
        return f"({self.text(then)} if {condition.text} else {self.text(other)})", ATOM

    def _note(self, text: str) -> None:
        if text not in self.domain:
            self.domain.append(text)

    # -- sums -----------------------------------------------------------------------------------

    def _is_sum(self, var: Variable) -> bool:
        name = self._name(var)
        return name in ("add", "sub") or (name == "neg" and self._is_sum(self._resolve(var).owner.inputs[0]))

    def _terms(self, var: Variable, sign: int, out: list) -> None:
        """Flatten a sum into (sign, term); a switch's branch stays one term, so that like terms
        (u + u − u/2 − u/2) can be added up."""
        var = self._resolve(var, through_switches=False)
        name = None if var.owner is None else _scalar_name(var.owner)
        if name in ("add", "sub", "neg") and self.condition(var) is None and self.value(var) is None:
            args = var.owner.inputs
            for arg, arg_sign in zip(args, {"add": (1,) * len(args), "sub": (1, -1), "neg": (-1,)}[name],
                                     strict=True):
                self._terms(arg, sign * arg_sign, out)
            return
        out.append((sign, var))

    def _groups(self, var: Variable) -> list[_Product]:
        """A sum's terms with like terms added up, in order of appearance; no zeros."""
        terms: list[tuple[int, Variable]] = []
        self._terms(var, 1, terms)
        groups: dict[tuple, _Product] = {}
        for sign, term in terms:
            product = self._parts(term)
            product.coefficient *= sign
            key = product.key()
            if key in groups:
                groups[key].coefficient += product.coefficient
            else:
                groups[key] = product
        return [product for product in groups.values() if product.coefficient != 0]

    def _sum(self, var: Variable) -> tuple[str, int]:
        printed = []
        for product in self._groups(var):
            text, prec = self._product_text(product)
            sign = 1
            if text.startswith(MINUS) and prec == UNARY:
                sign, text = -1, text[1:]
            printed.append((sign, text, prec))
        if not printed:
            return "0", ATOM
        if len(printed) == 1:
            sign, text, prec = printed[0]
            return (MINUS + text, UNARY) if sign < 0 else (text, prec)
        # −1 + x² reads as x² − 1
        first_positive = next((i for i, (s, _, _) in enumerate(printed) if s > 0), None)
        if first_positive:
            printed.insert(0, printed.pop(first_positive))
        out = ""
        for index, (sign, text, prec) in enumerate(printed):
            text = f"({text})" if prec <= SUM else text
            if index == 0:
                out = (MINUS if sign < 0 else "") + text
            else:
                out += f" {'+' if sign > 0 else MINUS} {text}"
        return out, SUM

    # -- products -------------------------------------------------------------------------------

    def _constant_exponent(self, var: Variable) -> Fraction | float | None:
        value = self.value(var)
        if value is None:
            return None
        rational = _rational(value)
        return rational if rational is not None else value

    def _parts(self, var: Variable) -> _Product:
        """``var`` as coefficient · factors (a single factor when it is no product)."""
        product = _Product()
        var = self._resolve(var)
        name = self._name(var)
        if name in ("add", "sub") and self.value(var) is None and self.condition(var) is None:
            groups = self._groups(var)  # a sum that is one term after all: u − u/2 is u/2
            if len(groups) <= 1:
                return replace(groups[0]) if groups else _Product(0.0)
        if self.value(var) is not None or name in _PRODUCT_OPS or name == "pow" or self.condition(var) is not None:
            self._collect(var, Fraction(1), product)
        else:
            self._factor_text(self.print(var), Fraction(1), product)
        return product

    def _collect(self, var: Variable, power: Fraction, product: _Product) -> None:
        """Walk a product raised to the integer ``power``: constants multiply into the coefficient,
        conditions are set aside, every other factor goes into ``product.factors``."""
        var = self._resolve(var)
        value = self.value(var)
        if value is not None:
            product.coefficient *= value if power == 1 else value ** int(power)
            return
        condition = self.condition(var)
        if condition is not None and power == 1:
            self._case(condition)
            product.conditions.append(condition.text)
            return
        node = var.owner
        name = None if node is None or condition is not None else _scalar_name(node)
        args = node.inputs if node is not None else []
        if name in _PRODUCT_POWERS:  # x·y, −x, x/y, 1/x, x²: each input with its power
            if name == "neg":
                product.coefficient *= (-1.0) ** int(power)
            for arg, times in zip(args, _PRODUCT_POWERS[name], strict=False):
                self._collect(arg, power * times, product)
            return
        if name in _SPELLED_OUT:
            for text_prec in _SPELLED_OUT[name](self.text(args[0])):
                self._factor_text(text_prec, power, product)
            return
        if name == "composite" and len(_scalar_op(node).fgraph.outputs) == 1:
            inner = _scalar_op(node).fgraph
            if not any(i in self._bound for i in inner.inputs):
                self._bound.update(zip(inner.inputs, args, strict=True))
                try:
                    self._collect(inner.outputs[0], power, product)
                finally:
                    for i in inner.inputs:
                        self._bound.pop(i, None)
                return
        if name == "pow":
            exponent = self._constant_exponent(args[1])
            if isinstance(exponent, Fraction) and exponent.denominator == 1:
                self._collect(args[0], power * exponent, product)  # (x²·x)² is x⁶
                return
            if exponent is not None:  # √(x·y) is not √x·√y where x, y < 0: the base stays whole
                self._factor_text(self.print(args[0]), power * exponent, product)
                return
        if name == "sqrt":
            self._factor_text(self.print(args[0]), power / 2, product)
            return
        if name in ("add", "sub") and (power == 1 or not condition):
            groups = self._groups(var)  # a sum that is one term after all: x − x/2 is x/2
            if len(groups) == 1 and (power == 1 or not groups[0].conditions):
                (term,) = groups
                product.coefficient *= term.coefficient ** int(power)
                product.conditions.extend(term.conditions)
                for factor in term.factors.values():
                    for exponent in factor.exponents:
                        self._factor_text((factor.text, factor.prec), exponent * power, product)
                return
        self._factor_text(self.print(var), power, product)

    @staticmethod
    def _factor_text(base: tuple[str, int], exponent: Fraction | float, product: _Product) -> None:
        """Multiply by base^exponent; equal bases (by their printed text) with exponents of one sign
        are collected (x⁻¹·x is not 1 at 0, so those stay apart)."""
        key = (base[0], exponent > 0)
        if key in product.factors:
            product.factors[key].exponents.append(exponent)
        else:
            product.factors[key] = _Factor(base[0], base[1], [exponent])

    def _product(self, var: Variable) -> tuple[str, int]:
        return self._product_text(self._parts(var))

    @staticmethod
    def _product_text(product: _Product) -> tuple[str, int]:
        numerator: list[tuple[str, int]] = []
        denominator: list[tuple[str, int]] = []
        negative_power = False  # x^(−2/3) above the line: then the constant goes in front, (1/3)·
        for factor in product.factors.values():
            for exponent, base in _powers(factor):
                # 1/x², 1/√x and 1/u^(3/2) go below the line; x^(−2/3) stays a power
                if exponent < 0 and isinstance(exponent, Fraction) and exponent.denominator <= 2:
                    denominator.append(_power_text(base, -exponent))
                else:
                    negative_power |= exponent < 0
                    numerator.append(_power_text(base, exponent))
        coefficient = product.coefficient
        if coefficient == 0 or not math.isfinite(coefficient):
            text, prec = _constant(coefficient).printed()
        else:
            text, prec = _join(_constant(coefficient), numerator, denominator, negative_power)
        if product.conditions:
            return f"({text} if {' and '.join(product.conditions)} else 0)", ATOM
        return text, prec


def _scalar_op(node):
    return getattr(node.op, "scalar_op", node.op)


def _scalar_name(node) -> str | None:
    """The lowercased class name of an elementwise node's scalar op; for an op from outside
    PyTensor, the name of the NumPy-style function it runs (``sigmoid_prime``)."""
    scalar = getattr(node.op, "scalar_op", None)
    if scalar is None and type(node.op).__module__.startswith("pytensor.scalar"):
        scalar = node.op
    if scalar is None:
        return None
    if type(scalar).__module__.startswith("pytensor."):
        return type(scalar).__name__.lower()
    spec = getattr(scalar, "nfunc_spec", None)
    name = spec[0] if spec else getattr(scalar, "name", None) or type(scalar).__name__
    return name.rpartition(".")[2].lower()


def _powers(factor: _Factor) -> list[tuple[Fraction | float, tuple[str, int]]]:
    """(exponent, base) pairs for a collected factor: √u·√u·√u is u^(3/2), but √u·√u stays (√u)²
    (it is NaN where u < 0, and u is not)."""
    base = (factor.text, factor.prec)
    total = sum(factor.exponents, Fraction(0))
    fractional = [e for e in factor.exponents if not (isinstance(e, Fraction) and e.denominator == 1)]
    if not fractional or not isinstance(total, Fraction) or total.denominator != 1:
        return [(total, base)]
    if all(isinstance(e, Fraction) and e.denominator == 2 for e in fractional):
        return [(total * 2, (f"√{_wrap(base, ATOM)}", POWER))]
    return [(e, base) for e in factor.exponents]


def _power_text(base: tuple[str, int], exponent: Fraction | float) -> tuple[str, int]:
    if exponent == 1:
        return base
    if exponent == Fraction(1, 2):
        return f"√{_wrap(base, ATOM)}", POWER
    return _wrap(base, ATOM) + _exponent_text(exponent), POWER


def _join(number: _Number, numerator: list, denominator: list, prefix: bool) -> tuple[str, int]:
    """coefficient · numerator / denominator, the way a teacher writes it: 1/(2·√x), 3·x²/(1 + x⁶),
    1/(x·ln(10)), (2/√π)·exp(−x²), (1/3)·x^(−2/3)."""
    if not numerator and not denominator:
        return number.printed()
    if len(numerator) == 1 and not denominator and number == _constant(1.0):
        return numerator[0]
    top = [_wrap(f, POWER) for f in numerator]
    bottom = [_wrap(f, POWER) for f in denominator]
    if number.below and not denominator and numerator and (prefix or number.named):
        top.insert(0, f"({number.fraction()})")
    else:
        if number.above:
            top.insert(0, _juxtapose(number.above))
        digits = [part for part in number.below if part.isdigit()]
        bottom = digits + bottom + [part for part in number.below if not part.isdigit()]
    text = "·".join(top) or "1"
    if bottom:
        text += f"/{bottom[0]}" if len(bottom) == 1 else f"/({'·'.join(bottom)})"
    prec = PRODUCT if bottom or len(top) > 1 else (numerator[0][1] if top[0] == numerator[0][0] else ATOM)
    if number.negative:
        return MINUS + text, UNARY
    return text, prec
