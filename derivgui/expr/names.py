"""What can name a parameter: the one rule, for the compiler's requests and the model's sliders alike."""

from __future__ import annotations

import re
import reprlib

from derivgui.expr.errors import ExpressionError
from derivgui.expr.functions import CONSTANTS, VARIABLES, lookup_function

MAX_PARAMETER_NAME = 32  # characters of a parameter's name
MAX_PARAMETERS = 16  # parameters of an expression (a request's, the model's)
MAX_ORDER = 8  # the highest derivative order asked of one expression (a request's, derivative(n)'s, the jet's)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)  # the names the tokenizer reads
_RULE = f"a parameter is named by a letter or _, then letters, digits or _ (at most {MAX_PARAMETER_NAME} characters)"


def check_parameter_name(name: object) -> str:
    """``name`` if it can name a parameter; ``ExpressionError`` (a ValueError) with the reason if not.

    A parameter is named like an ASCII Python identifier of at most MAX_PARAMETER_NAME characters,
    and not like a variable, a constant or a function.
    """
    if not isinstance(name, str):
        raise ExpressionError(f"{_RULE}; its name must be text, not {type(name).__name__}")
    if len(name) > MAX_PARAMETER_NAME or not _IDENTIFIER.fullmatch(name):
        raise ExpressionError(f"{_RULE}: {reprlib.repr(name)}")  # shortened: a session file may hold any length
    if name in VARIABLES:
        raise ExpressionError(f"'{name}' is a variable; a parameter needs another name")
    if name in CONSTANTS:
        raise ExpressionError(f"'{name}' is a constant; a parameter needs another name")
    if lookup_function(name) is not None:
        raise ExpressionError(f"'{name}' is a function; a parameter needs another name")
    return name
