"""Property tests: any text gives a tree or an ExpressionError, never anything else; well-formed
expressions round-trip and compile; nothing a student types is ever executed."""

from __future__ import annotations

import sys
import uuid
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derivgui import ExpressionError, compile_expr
from derivgui.expr.functions import ALIASES, FUNCTIONS
from derivgui.expr.parse import parse

# ---------------------------------------------------------------------------------------------
# (a) arbitrary text

ALPHABET = (
    "0123456789.eExyzpi+-*/^(),"  # the language
    "[]{};:=!<>|&%@#$~`?'\"\\_"  # Python syntax and other punctuation
    " \t\n\r"
    "abcdfghklmnoqrstuvw"  # enough letters for function names and keywords
    "π−–×·⋅÷²³⁴θé①٣\u2028\x00\x7f\ufeff"  # typographic and hostile unicode
)
VOCABULARY = [
    *FUNCTIONS, *ALIASES, "x", "y", "z", "e", "pi", "π", "1", "2.5", "1.5e-3", "1e999", ".5", "1.",
    "+", "-", "*", "/", "^", "**", "(", ")", ",", " ", "²", "−", "×",
    "__import__", "__class__", "__globals__", "lambda", "for", "in", "if", "else", "import", "os", "system",
    "eval", "exec", "open", "'", '"', "[", "]", ".", ":", "=", ";", "\n", "{", "}", "@", "%", "!",
]  # fmt: skip

random_text = st.one_of(
    st.text(alphabet=ALPHABET, max_size=60),
    st.lists(st.sampled_from(VOCABULARY), max_size=25).map("".join),
    st.text(max_size=30),  # any unicode at all
)


def check_error(err: ExpressionError, text: str) -> None:
    assert isinstance(err, ValueError)
    assert err.message and "\n" not in str(err) and "\r" not in str(err)
    assert err.column is None or 0 <= err.column <= len(text)


@st.composite
def mutated_expressions(draw):
    """A well-formed expression with a few characters inserted, deleted or replaced."""
    text = draw(expressions())[draw(st.integers(0, 1))]
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text)))
        char = draw(st.sampled_from(ALPHABET))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        if action == "insert":
            text = text[:i] + char + text[i:]
        elif action == "delete":
            text = text[:i] + text[i + 1 :]
        else:
            text = text[:i] + char + text[i + 1 :]
    return text


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_text)
def test_any_text_parses_or_raises_expression_error(text):
    parses_or_raises_expression_error(text)


def parses_or_raises_expression_error(text: str) -> None:
    try:
        expr = parse(text)
    except ExpressionError as err:
        check_error(err, text)
        return
    # whatever was accepted is a proper expression with a stable canonical form
    assert expr.variables in (("x",), ("x", "y"))
    assert parse(expr.normalized).normalized == expr.normalized


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=400), st.sampled_from(["(", "-", "sin(", "x^", "x+", "x", "(x)"]))
def test_long_and_deep_inputs_never_crash(n, piece):
    text = piece * n
    try:
        parse(text)
    except ExpressionError as err:
        check_error(err, text)


# ---------------------------------------------------------------------------------------------
# (b) well-formed expressions from the grammar
#
# A tree is rendered twice: fully explicit ("(2.0*x)", "(x^2)") and with the sugar a student
# types (implicit products, **, aliases, unicode, spaces). Both must mean the same tree.

NUMBERS = [("2", "2"), ("3", "3"), ("0.5", ".5"), ("1.5", "1.5"), ("0.0015", "1.5e-3"), ("100", "1E2"), ("7", "7.")]
ALIAS_OF = {canonical: alias for alias, canonical in ALIASES.items()}
SPACES = st.sampled_from(["", "", " ", "  "])

leaves = st.one_of(
    st.sampled_from(NUMBERS).map(lambda n: ("num", *n)),
    st.sampled_from(["x", "y"]).map(lambda v: ("var", v)),
    st.sampled_from(["pi", "e"]).map(lambda c: ("const", c)),
)


def _extend(children):
    one = st.sampled_from(sorted(n for n, s in FUNCTIONS.items() if s.max_args == 1))
    binary = st.tuples(st.just("bin"), st.sampled_from("+-*/^"), children, children)
    return st.one_of(
        st.tuples(st.just("neg"), children),
        binary,
        binary,
        binary,
        st.tuples(st.just("call"), one, st.tuples(children)),
        st.tuples(st.just("call"), one, st.tuples(children)),
        st.tuples(st.just("call"), st.just("atan2"), st.tuples(children, children)),
        st.tuples(st.just("call"), st.sampled_from(["min", "max"]), st.lists(children, min_size=2, max_size=3)),
    )


trees = st.recursive(leaves, _extend, max_leaves=10)


def explicit(t) -> str:
    kind = t[0]
    if kind == "num":
        return t[1]
    if kind in ("var", "const"):
        return t[1]
    if kind == "neg":
        return f"(-{explicit(t[1])})"
    if kind == "bin":
        return f"({explicit(t[2])}{t[1]}{explicit(t[3])})"
    return f"{t[1]}({', '.join(explicit(a) for a in t[2])})"


def is_leaf(t) -> bool:
    return t[0] in ("num", "var", "const")


@st.composite
def sugared(draw, t) -> str:
    kind = t[0]
    if kind == "num":
        return t[2]
    if kind == "var":
        return t[1]
    if kind == "const":
        return draw(st.sampled_from(["pi", "π"])) if t[1] == "pi" else "e"
    if kind == "neg":
        inner = draw(sugared(t[1]))
        minus = draw(st.sampled_from(["-", "−"]))
        return f"{minus}{inner}" if is_leaf(t[1]) else f"{minus}({inner})"
    if kind == "call":
        name = t[1]
        if name in ALIAS_OF and draw(st.booleans()):
            name = ALIAS_OF[name]
        sep = "," + draw(SPACES)
        return f"{name}({draw(SPACES)}{sep.join(draw(sugared(a)) for a in t[2])}{draw(SPACES)})"
    _, op, left_t, right_t = t
    left, right = draw(sugared(left_t)), draw(sugared(right_t))
    left = left if is_leaf(left_t) else f"({left})"
    right = right if is_leaf(right_t) else f"({right})"
    space = draw(SPACES)
    if op == "*":
        choices = ["*", "×", "·"]
        if not (left_t[0] == "num" and right_t[0] == "num"):
            choices.append(" ")  # implicit product: "2 x", "x y", "(x+1) (x-1)", "x 2"
            if not is_leaf(right_t) or (left_t[0] == "num" and right_t[0] != "num"):
                choices.append("")  # "2x", "2pi", "(x)(y)", "x(y)"
        op = draw(st.sampled_from(choices))
        if op in ("", " "):
            return f"{left}{op}{right}"
    elif op == "^":
        if right_t[0] == "num" and right_t[1] in ("2", "3") and draw(st.booleans()):
            return f"{left}{'²' if right_t[1] == '2' else '³'}"
        op = draw(st.sampled_from(["^", "**"]))
    elif op == "-":
        op = draw(st.sampled_from(["-", "−"]))
    elif op == "/":
        op = draw(st.sampled_from(["/", "÷"]))
    return f"{left}{space}{op}{space}{right}"


@st.composite
def expressions(draw):
    t = draw(trees)
    return explicit(t), draw(sugared(t))


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_expressions())
def test_nearly_well_formed_text_parses_or_raises_expression_error(text):
    parses_or_raises_expression_error(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions())
def test_well_formed_expressions_parse_and_round_trip(pair):
    plain, sweet = pair
    expr = parse(plain)
    assert parse(expr.normalized).normalized == expr.normalized
    assert parse(expr.normalized).variables == expr.variables
    sugar = parse(sweet)
    assert sugar.normalized == expr.normalized, (plain, sweet)
    assert sugar.variables == expr.variables == (("x", "y") if "y" in plain else ("x",))


# ---------------------------------------------------------------------------------------------
# (c) well-formed expressions compile and evaluate, silently

X = np.array([-2.5, -0.3, 0.0, 0.7, 3.0])
Y = np.array([[1.5], [-0.5]])  # broadcasts with X to (2, 5)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(leaves, _extend, max_leaves=5).map(explicit))
def test_well_formed_expressions_compile_and_evaluate(text):
    try:
        f = compile_expr(text)
    except ExpressionError as err:
        check_error(err, text)
        return
    args = (X, Y) if f.variables == ("x", "y") else (X,)
    shape = (2, 5) if len(args) == 2 else (5,)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        value, grads = f.value_and_grad(*args)
        value_again = f(*args)
    assert isinstance(value, np.ndarray) and value.dtype == np.float64 and value.shape == shape
    assert len(grads) == len(args)
    for g in grads:
        assert isinstance(g, np.ndarray) and g.dtype == np.float64 and g.shape == shape
        assert np.isnan(g[~np.isfinite(value)]).all()  # no derivative where f is not finite
    np.testing.assert_array_equal(value, value_again)


# ---------------------------------------------------------------------------------------------
# (d) nothing is ever executed

HOSTILE = [
    "__import__('os').system('touch {marker}')",
    "__import__(\"os\").system(\"touch {marker}\")",
    "exec(\"__import__('os').system('touch {marker}')\")",
    "eval(\"__import__('os').system('touch {marker}')\")",
    "open('{marker}', 'w').write('x')",
    "x + __import__('subprocess').call(['touch', '{marker}'])",
    "sin(__import__('os').system('touch {marker}'))",
    "x if __import__('os').system('touch {marker}') else y",
    "[__import__('os').system('touch {marker}') for x in [1]]",
    "(lambda: __import__('os').system('touch {marker}'))()",
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__.__init__.__globals__['os'].system('touch {marker}')",
    "f\"{{__import__('os').system('touch {marker}')}}\"",
    "x; import os; os.system('touch {marker}')",
    "x\nimport os\nos.system('touch {marker}')",
    "breakpoint()",
    "globals()",
    "compile('1', 'f', 'eval')",
    "min(x, __import__('os').system('touch {marker}'))",
]

_audit = {"active": False, "events": []}
_WATCHED = ("exec", "compile", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "subprocess.Popen", "open",
            "import", "builtins.input", "ctypes")  # fmt: skip


def _hook(event, args):
    if _audit["active"] and event.startswith(_WATCHED):
        _audit["events"].append(event)


@pytest.fixture(scope="module")
def audit():
    sys.addaudithook(_hook)  # hooks cannot be removed; this one only records while active
    return _audit


@pytest.mark.parametrize("template", HOSTILE)
def test_hostile_text_is_never_executed(template, audit, tmp_path):
    marker = tmp_path / f"pwned_{uuid.uuid4().hex}"
    text = template.format(marker=marker)
    audit["events"].clear()
    audit["active"] = True
    try:
        with pytest.raises(ExpressionError) as info:
            parse(text)
    finally:
        audit["active"] = False
    assert audit["events"] == [], audit["events"]
    check_error(info.value, text)
    with pytest.raises(ExpressionError):
        compile_expr(text)
    assert not marker.exists()
    assert not any(Path(tmp_path).iterdir())


def test_parser_never_calls_eval_exec_or_compile(monkeypatch):
    import builtins

    def forbidden(*args, **kwargs):
        raise AssertionError("the parser must not evaluate anything")

    for name in ("eval", "exec", "compile", "__import__"):
        monkeypatch.setattr(builtins, name, forbidden)
    try:
        ok = [parse(t).normalized for t in ["2x + sin(x)^2", "e^-x", "atan2(y, x)", "x²", "max(x, y, 1)"]]
        errors = []
        for t in HOSTILE:
            try:
                parse(t.format(marker="/tmp/never"))
            except ExpressionError as err:
                errors.append(err.message)
    finally:
        monkeypatch.undo()
    assert len(ok) == 5 and len(errors) == len(HOSTILE)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=20).map("".join))
def test_random_token_soup_triggers_no_audit_events(audit, text):
    audit["events"].clear()
    audit["active"] = True
    try:
        parse(text)
    except ExpressionError:
        pass
    finally:
        audit["active"] = False
    assert audit["events"] == []
