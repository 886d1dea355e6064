"""The whitelist of functions and constants a student may use.

It is plain data so the parser can check names and argument counts without importing PyTensor;
the engine maps each canonical name to a PyTensor builder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

VARIABLES: tuple[str, ...] = ("x", "y")
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}


@dataclass(frozen=True)
class FunctionSpec:
    name: str  # canonical name used by the engine
    min_args: int
    max_args: int | None  # None: any number from min_args up
    summary: str

    def arity_text(self) -> str:
        if self.max_args == self.min_args:
            n = self.min_args
            return f"{n} argument" + ("" if n == 1 else "s")
        if self.max_args is None:
            return f"at least {self.min_args} arguments"
        return f"{self.min_args} to {self.max_args} arguments"


def _one(name: str, summary: str) -> FunctionSpec:
    return FunctionSpec(name, 1, 1, summary)


_SPECS: list[FunctionSpec] = [
    _one("exp", "e to the power x"),
    _one("log", "natural logarithm"),
    _one("log10", "base-10 logarithm"),
    _one("log2", "base-2 logarithm"),
    _one("log1p", "log(1 + x), accurate for small x"),
    _one("sqrt", "square root"),
    _one("cbrt", "cube root (real, also for negative x)"),
    _one("abs", "absolute value"),
    _one("sign", "sign: -1, 0 or 1"),
    _one("sin", "sine"),
    _one("cos", "cosine"),
    _one("tan", "tangent"),
    _one("sec", "secant, 1/cos"),
    _one("csc", "cosecant, 1/sin"),
    _one("cot", "cotangent, cos/sin"),
    _one("asin", "inverse sine"),
    _one("acos", "inverse cosine"),
    _one("atan", "inverse tangent"),
    FunctionSpec("atan2", 2, 2, "atan2(y, x): angle of the point (x, y)"),
    _one("sinh", "hyperbolic sine"),
    _one("cosh", "hyperbolic cosine"),
    _one("tanh", "hyperbolic tangent"),
    _one("asinh", "inverse hyperbolic sine"),
    _one("acosh", "inverse hyperbolic cosine"),
    _one("atanh", "inverse hyperbolic tangent"),
    _one("sech", "hyperbolic secant, 1/cosh"),
    _one("csch", "hyperbolic cosecant, 1/sinh"),
    _one("coth", "hyperbolic cotangent, cosh/sinh"),
    _one("sigmoid", "logistic function 1/(1 + e^-x)"),
    _one("softplus", "log(1 + e^x)"),
    _one("erf", "error function"),
    _one("floor", "largest integer <= x"),
    _one("ceil", "smallest integer >= x"),
    # At most 16: each argument adds a switch to differentiate and to judge, and 32 already took
    # over 5 s to compile here (the compile budget); no student formula needs more.
    FunctionSpec("min", 2, 16, "smallest of the arguments (2 to 16)"),
    FunctionSpec("max", 2, 16, "largest of the arguments (2 to 16)"),
]

FUNCTIONS: dict[str, FunctionSpec] = {spec.name: spec for spec in _SPECS}

# Other spellings students bring from maths books, NumPy or other tools.
ALIASES: dict[str, str] = {
    "ln": "log",
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
    "arctan2": "atan2",
    "arcsinh": "asinh",
    "arccosh": "acosh",
    "arctanh": "atanh",
}


def lookup_function(name: str) -> FunctionSpec | None:
    """The spec for a function name or alias, or None when it is not on the whitelist."""
    return FUNCTIONS.get(ALIASES.get(name, name))
