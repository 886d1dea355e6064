"""The expression language, rule by rule: each accepted spelling against an explicit one, each
rejected input with its column and message. Nothing here needs PyTensor or Qt."""

from __future__ import annotations

import pytest

from derivgui import ExpressionError
from derivgui.expr.functions import ALIASES, FUNCTIONS
from derivgui.expr.names import check_parameter_name
from derivgui.expr.parse import (
    MAX_DEPTH,
    MAX_EXPONENT_DEPTH,
    MAX_HEIGHT,
    MAX_LENGTH,
    Binary,
    Call,
    Const,
    Num,
    Unary,
    Var,
    iter_nodes,
    parse,
)


def same(a: str, b: str) -> None:
    assert parse(a).normalized == parse(b).normalized, (a, b)


def error_of(text: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    return info.value


# ---------------------------------------------------------------------------------------------
# Accepted spellings


@pytest.mark.parametrize(
    ("implicit", "explicit"),
    [
        # number times variable / constant / group / function
        ("2x", "2*x"),
        ("2 x", "2*x"),
        ("2pi", "2*pi"),
        ("2e", "2*e"),
        ("3(x+1)", "3*(x+1)"),
        ("2 sin(x)", "2*sin(x)"),
        ("2sin(x)", "2*sin(x)"),
        # variable times variable / group / function
        ("x y", "x*y"),
        ("xy", "x*y"),
        ("x(y)", "x*y"),
        ("y(x+1)", "y*(x+1)"),
        ("x sin(y)", "x*sin(y)"),
        ("pix", "pi*x"),
        ("2pix", "2*pi*x"),
        # group times group / number / variable
        ("(x+1)(x-1)", "(x+1)*(x-1)"),
        ("(x+1)2", "(x+1)*2"),
        ("(x+1)x", "(x+1)*x"),
        # function times function / number
        ("sin(x)cos(y)", "sin(x)*cos(y)"),
        ("sin(x) cos(y)", "sin(x)*cos(y)"),
        ("sin(x)2", "sin(x)*2"),
        # implicit products are products: same precedence, left to right
        ("2x/3y", "((2*x)/3)*y"),
        ("2x^2", "2*(x^2)"),
        ("x y^2", "x*(y^2)"),
        ("2(x+1)^2", "2*((x+1)^2)"),
        ("2x + 3y", "(2*x) + (3*y)"),
    ],
)
def test_implicit_multiplication(implicit, explicit):
    same(implicit, explicit)


@pytest.mark.parametrize(
    ("text", "explicit"),
    [
        ("-x^2", "-(x^2)"),
        ("-x**2", "-(x^2)"),
        ("2^3^2", "2^(3^2)"),
        ("x^y^2", "x^(y^2)"),
        ("x**y**2", "x^(y^2)"),
        ("e^-x", "e^(-x)"),
        ("e^-x^2", "e^(-(x^2))"),
        ("x^-2^2", "x^(-(2^2))"),
        ("x*-x", "x*(-x)"),
        ("x/-x", "x/(-x)"),
        ("x--y", "x-(-y)"),
        ("--x", "-(-x)"),
        ("+x", "x"),
        ("x^+2", "x^2"),
        ("1+2*3", "1+(2*3)"),
        ("1-2-3", "(1-2)-3"),
        ("8/4/2", "(8/4)/2"),
        ("2*3^2", "2*(3^2)"),
        ("-2x", "(-2)*x"),
        ("-sin(x)^2", "-(sin(x)^2)"),
        ("sin(x)^2", "(sin(x))^2"),
        ("x^2y", "(x^2)*y"),
        ("x ** 2", "x^2"),
        ("x**2", "x^2"),
        ("  x  ^  2  ", "x^2"),
        ("\tx^2\r", "x^2"),
    ],
)
def test_precedence_and_associativity(text, explicit):
    same(text, explicit)


def test_precedence_trees():
    # Explicit tree shapes, in case normalized text and parser ever agreed on a wrong reading.
    tree = parse("-x^2").tree
    assert isinstance(tree, Unary) and isinstance(tree.operand, Binary) and tree.operand.op == "^"
    tree = parse("2^3^2").tree
    assert isinstance(tree, Binary) and tree.op == "^" and tree.left == Num(2.0, 0)
    assert isinstance(tree.right, Binary) and tree.right.op == "^"
    tree = parse("x*-x").tree
    assert tree == Binary("*", Var("x", 0), Unary("-", Var("x", 3), 2), 1)


@pytest.mark.parametrize(
    ("text", "explicit"),
    [
        ("√x", "sqrt(x)"),
        ("√(x+1)", "sqrt(x+1)"),
        ("2√x", "2*sqrt(x)"),
        ("2 √ x", "2*sqrt(x)"),
        ("√x + 1", "sqrt(x) + 1"),
        ("√x^2", "sqrt(x^2)"),  # as -x^2 is -(x^2)
        ("√x²", "sqrt(x^2)"),
        ("√x*y", "sqrt(x)*y"),
        ("√2x", "sqrt(2)*x"),
        ("x√y", "x*sqrt(y)"),
        ("√x√y", "sqrt(x)*sqrt(y)"),
        ("√√x", "sqrt(sqrt(x))"),
        ("√-x", "sqrt(-x)"),
        ("-√x", "-sqrt(x)"),
        ("√sin(x)", "sqrt(sin(x))"),
        ("√(x² + y²)", "sqrt(x^2 + y^2)"),
        ("2√π", "2*sqrt(pi)"),
        ("x^√2", "x^sqrt(2)"),
        ("1/(2·√x)", "1/(2*sqrt(x))"),  # as the autodiff formula writes it
    ],
)
def test_radical_sign_is_sqrt(text, explicit):
    same(text, explicit)


def test_radical_tree_and_column():
    expression = parse("2√(x+1)")
    assert expression.tree == Binary("*", Num(2.0, 0), Call("sqrt", (Binary("+", Var("x", 3), Num(1.0, 5), 4),), 1), 1)
    assert expression.normalized == parse("2*sqrt(x+1)").normalized
    assert parse("√y").variables == ("x", "y")


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("√", 1, "ends too early"),
        ("x + √", 5, "ends too early"),
        ("√)", 1, "before ')'"),
        ("(√", 2, "missing ')'"),
        ("√*x", 1, "found '*'"),
    ],
)
def test_radical_sign_errors(text, column, message):
    error = error_of(text)
    assert error.column == column
    assert message in error.message


def test_radicals_nest_within_the_depth_limit():
    assert parse("√" * 50 + "x").normalized == "sqrt(" * 50 + "x" + ")" * 50
    assert "nested too deeply" in error_of("√" * (MAX_DEPTH + 1) + "x").message


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.5e-3", 1.5e-3),
        ("1.5E-3", 1.5e-3),
        ("2e3", 2000.0),
        ("2e+3", 2000.0),
        ("1.", 1.0),
        (".5", 0.5),
        ("0.25", 0.25),
        ("007", 7.0),
    ],
)
def test_scientific_notation_is_a_number(text, value):
    tree = parse(text).tree
    assert isinstance(tree, Num)
    assert tree.value == value


def test_e_next_to_numbers():
    same("2e", "2*e")  # no exponent digits: the constant e
    same("2ex", "2*e*x")
    same("1e5x", "100000*x")
    same("2e-x", "2*e - x")  # 'e-' without digits is not an exponent
    same("xe", "x*e")
    assert parse("e").tree == Const("e", 0)
    assert parse("e^x").tree == Binary("^", Const("e", 0), Var("x", 2), 1)


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("ln(x)", "log(x)"),
        ("arcsin(x)", "asin(x)"),
        ("arccos(x)", "acos(x)"),
        ("arctan(x)", "atan(x)"),
        ("arctan2(y, x)", "atan2(y, x)"),
        ("arcsinh(x)", "asinh(x)"),
        ("arccosh(x)", "acosh(x)"),
        ("arctanh(x)", "atanh(x)"),
    ],
)
def test_aliases(alias, canonical):
    same(alias, canonical)
    assert parse(alias).normalized == canonical


def test_every_alias_is_tested():
    assert set(ALIASES) == {"ln", "arcsin", "arccos", "arctan", "arctan2", "arcsinh", "arccosh", "arctanh"}


@pytest.mark.parametrize(
    ("text", "explicit"),
    [
        ("3−x", "3-x"),  # U+2212 minus
        ("3–x", "3-x"),  # en dash
        ("2×x", "2*x"),
        ("2·x", "2*x"),
        ("2⋅x", "2*x"),
        ("x÷2", "x/2"),
        ("π", "pi"),
        ("2π", "2*pi"),
        ("πx", "pi*x"),
        ("x²", "x^2"),
        ("x³", "x^3"),
        ("x²y", "x^2*y"),
        ("(x+1)²", "(x+1)^2"),
        ("x²³", "x^23"),  # a run of superscripts is one exponent
        ("−x²", "-(x^2)"),
    ],
)
def test_unicode_spellings(text, explicit):
    same(text, explicit)


# The whitelist, with the arity each function must accept.
ONE_ARG = sorted(name for name, spec in FUNCTIONS.items() if spec.min_args == spec.max_args == 1)


def test_whitelist_is_the_documented_one():
    expected = {
        "exp", "log", "log10", "log2", "log1p", "sqrt", "cbrt", "abs", "sign", "sin", "cos", "tan", "sec", "csc",
        "cot", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "sech", "csch",
        "coth", "sigmoid", "softplus", "erf", "floor", "ceil", "min", "max",
    }  # fmt: skip
    assert set(FUNCTIONS) == expected


@pytest.mark.parametrize("name", ONE_ARG)
def test_one_argument_functions(name):
    expr = parse(f"{name}(x)")
    assert expr.tree == Call(name, (Var("x", len(name) + 1),), 0)
    assert expr.normalized == f"{name}(x)"
    err = error_of(f"{name}(x, y)")
    assert err.column == 0 and err.message == f"{name} takes 1 argument, got 2"
    err = error_of(f"{name}()")
    assert err.column == 0 and err.message == f"{name} takes 1 argument, got 0"


def test_many_argument_functions():
    assert parse("atan2(y, x)").normalized == "atan2(y, x)"
    assert parse("min(x, y)").normalized == "min(x, y)"
    assert parse("max(x, y, 1)").normalized == "max(x, y, 1.0)"
    assert parse("min(x, y, 1, 2, 3)").normalized == "min(x, y, 1.0, 2.0, 3.0)"
    assert error_of("atan2(x, y, 1)").message == "atan2 takes 2 arguments, got 3"
    assert error_of("max(x)").message == "max takes 2 to 16 arguments, got 1"


@pytest.mark.parametrize(
    ("text", "variables"),
    [
        ("x", ("x",)),
        ("5", ("x",)),
        ("pi*e", ("x",)),
        ("sin(x)", ("x",)),
        ("y", ("x", "y")),
        ("2y + 1", ("x", "y")),
        ("x y", ("x", "y")),
        ("x^2*y + y", ("x", "y")),
        ("atan2(y, 1)", ("x", "y")),
    ],
)
def test_variables(text, variables):
    assert parse(text).variables == variables


def test_expression_keeps_the_text():
    expr = parse("  2x  ")
    assert expr.text == "  2x  "
    assert expr.normalized == "(2.0*x)"


def test_normalized_round_trips():
    for text in ["-x^2", "2^3^2", "e^-x", "x*-x", "1.5e-3", "2 sin(x)cos(y)", "max(x, y, -1)", "x²", "π - 1"]:
        normalized = parse(text).normalized
        assert parse(normalized).normalized == normalized


def test_nesting_up_to_the_limit_is_accepted():
    assert parse("(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH).normalized == "x"
    assert parse("sin(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH).variables == ("x",)
    assert parse("-" * MAX_DEPTH + "x").tree is not None
    assert parse("x" * MAX_HEIGHT).normalized.count("x") == MAX_HEIGHT  # a chain as deep as allowed
    assert "too complex" in error_of("x" * (MAX_HEIGHT + 1)).message


# ---------------------------------------------------------------------------------------------
# Rejected input: exact column (0-based) and a message fragment


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("__import__('os')", 0, "unknown function '__import__'"),
        ("x.real", 1, "attribute access ('.real') is not allowed"),
        ("x.__class__", 1, "attribute access"),
        ("foo(x)", 0, "unknown function 'foo'"),
        ("sin(", 4, "missing ')'"),
        ("(x+1", 4, "missing ')'"),
        ("sin(x", 5, "missing ')'"),
        ("z+1", 0, "x and y are the only variables; found 'z'"),
        ("x + t", 4, "x and y are the only variables; found 't'"),
        ("x[0]", 1, "subscripts are not allowed"),
        ("lambda x: x", 0, "unknown name 'lambda'"),
        ("[x for x in y]", 0, "subscripts are not allowed"),
        ("'a'", 0, "strings are not allowed"),
        ('"a"', 0, "strings are not allowed"),
        ("x = 1", 2, "'=' is not allowed"),
        ("x == 1", 2, "'=' is not allowed"),
        ("x; y", 1, "only one expression is allowed"),
        ("x\ny", 1, "only one expression is allowed"),
        ("sin(x, y)", 0, "sin takes 1 argument, got 2"),
        ("atan2(x)", 0, "atan2 takes 2 arguments, got 1"),
        ("min(x)", 0, "min takes 2 to 16 arguments, got 1"),
        ("2 3", 2, "missing operator before 3"),
        ("x)", 1, "unmatched ')'"),
        ("()", 0, "empty parentheses"),
        ("sin", 0, "'sin' is a function: write sin(...)"),
        ("sin x", 0, "'sin' is a function"),
        ("sinx", 0, "write sin(x) with parentheses"),
        ("x,y", 1, "',' is only allowed between a function's arguments"),
        ("x-", 2, "the expression ends too early"),
        ("x^", 2, "the expression ends too early"),
        ("*x", 0, "expected a number, variable or '(' but found '*'"),
        ("x//2", 2, "expected a number, variable or '('"),
        ("x % 2", 2, "'%' is not an operator here"),
        ("x @ y", 2, "'@' is not an operator here"),
        ("x!", 1, "'!' is not allowed"),
        ("|x|", 0, "write abs(x)"),
        ("{x}", 0, "use ( ) for grouping"),
        ("x < 1", 2, "comparisons are not allowed"),
        ("x: 1", 1, "':' is not allowed"),
        ("1e999", 0, "too large"),
        ("é", 0, "unexpected character 'é'"),
        ("x\x00", 1, "unexpected character"),
        ("①", 0, "is not an operator here"),
        ("x⁴", 1, "is not an operator here"),
        ("True", 0, "unknown name 'True'"),
        ("os.system('ls')", 2, "attribute access ('.system') is not allowed"),
        ("xz", 0, "unknown name 'xz'"),
        ("sine(x)", 0, "unknown function 'sine'"),
        ("exp", 0, "'exp' is a function"),
    ],
)
def test_errors(text, column, fragment):
    err = error_of(text)
    assert err.column == column, (text, err.column, err.message)
    assert fragment in err.message
    assert isinstance(err, ValueError)


@pytest.mark.parametrize("text", ["", " ", "   ", "\t", " \t\r "])
def test_empty_input(text):
    err = error_of(text)
    assert err.column is None
    assert "type an expression" in err.message


def test_too_long():
    assert MAX_LENGTH == 2000
    assert parse("x" + " " * 1999).variables == ("x",)  # 2000 characters are fine
    err = error_of("x" + " " * 2000)
    assert err.column == 2000
    assert "too long" in err.message and "2001" in err.message


def test_nested_too_deeply():
    err = error_of("(" * 101 + "x" + ")" * 101)
    assert err.column == 100
    assert "nested too deeply" in err.message
    err = error_of("sin(" * 101 + "x" + ")" * 101)
    assert err.column == 100 * 4 + 3  # the '(' of the 101st call
    assert "nested too deeply" in err.message
    err = error_of("-" * 101 + "x")
    assert err.column == 100 and "nested too deeply" in err.message


def test_stacked_exponents():
    assert parse("x^" * MAX_EXPONENT_DEPTH + "x").variables == ("x",)
    assert parse("x^(" * MAX_EXPONENT_DEPTH + "x" + ")" * MAX_EXPONENT_DEPTH).variables == ("x",)
    err = error_of("x^" * (MAX_EXPONENT_DEPTH + 1) + "x")
    assert err.column == 2 * MAX_EXPONENT_DEPTH + 1  # the 21st '^'
    assert "exponents are stacked too deeply" in err.message
    assert parse("((x^x)^x)^x" * 3).variables == ("x",)  # powers of powers are not stacked exponents


def test_too_complex():
    # A long flat chain is not nested, but its tree is deep: refused before any recursion breaks.
    err = error_of("+".join(["x"] * 1000))
    assert "too complex" in err.message
    assert err.column is not None
    err = error_of("x" * 2000)
    assert "too complex" in err.message


def test_not_text():
    err = error_of(None)  # type: ignore[arg-type]
    assert "must be text" in err.message


@pytest.mark.parametrize(
    "text",
    ["__import__('os')", "x.real", "foo(x)", "", "x" * 2001, "(" * 101, "x\ny", "x\x00", "é", "sin(x, y)", "\u2028"],
)
def test_str_of_an_error_is_one_line(text):
    err = error_of(text)
    assert "\n" not in str(err) and "\r" not in str(err)
    assert str(err).startswith(err.message)
    if err.column is not None:
        assert str(err).endswith(f"(column {err.column + 1})")


# ---------------------------------------------------------------------------------------------
# Parameters: free scalar inputs besides x and y


@pytest.mark.parametrize(
    ("text", "parameters", "explicit"),
    [
        ("ax^2 + bx + c", ("a", "b", "c"), "a*x^2 + b*x + c"),  # run-together names split as xy is
        ("kx", ("k",), "k*x"),
        ("2pikx", ("k",), "2*pi*k*x"),
        ("k(x + 1)", ("k",), "k*(x + 1)"),  # a product, as x(x + 1) is
        ("omega x + omegax", ("omega",), "omega*x + omega*x"),
        ("abx", ("a", "ab"), "ab*x"),  # the longest name first, as pix is pi·x
        ("k_1 sin(w y)", ("k_1", "w"), "k_1*sin(w*y)"),
    ],
)
def test_parameters_are_operands(text, parameters, explicit):
    expression = parse(text, parameters=parameters)
    assert expression.normalized == parse(explicit, parameters=parameters).normalized
    names = {node.name for node in iter_nodes(expression.tree) if isinstance(node, Var)}
    assert names - {"x", "y"} <= set(parameters)


def test_parameters_keep_the_variables_and_columns():
    expression = parse("a*x + by", parameters=["a", "b", "unused"])
    assert expression.variables == ("x", "y") and expression.text == "a*x + by"
    assert parse("k", parameters=("k",)).variables == ("x",)
    assert parse("bx", parameters=("b",)).tree == Binary("*", Var("b", 0), Var("x", 1), 1)


def test_without_parameters_their_names_are_unknown():
    assert "x and y are the only variables; found 'k'" in error_of("k*x").message
    assert "unknown name 'kx'" in error_of("kx").message
    err = error_of_with("k*q*x", ("k",))
    assert "found 'q'" in err.message and err.column == 2
    err = error_of_with("k(x)", ())
    assert "unknown function 'k'" in err.message


@pytest.mark.parametrize(
    ("parameters", "fragment"),
    [
        (("x",), "'x' is a variable"), (("pi",), "'pi' is a constant"), (("ln",), "'ln' is a function"),
        (("2k",), "named by a letter"), (("k" * 33,), "at most 32"), ((3,), "named by a letter"),
        ("kw", "must be a tuple"), (None, "must be a tuple"),
    ],
)
def test_bad_parameters(parameters, fragment):
    assert fragment in error_of_with("x", parameters).message


def error_of_with(text: str, parameters) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        parse(text, parameters=parameters)
    return info.value


@pytest.mark.parametrize("name", ["k", "omega_2", "_t", "A", "x1", "yy", "k" * 32])
def test_good_parameter_names(name):
    assert check_parameter_name(name) == name


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("x", "'x' is a variable"), ("y", "'y' is a variable"), ("pi", "'pi' is a constant"),
        ("e", "'e' is a constant"), ("sin", "'sin' is a function"), ("arcsin", "'arcsin' is a function"),
        ("1a", "named by a letter"), ("a b", "named by a letter"), ("", "named by a letter"),
        ("é", "named by a letter"), ("k" * 33, "named by a letter"), (3, "named by a letter.*must be text"),
        (None, "must be text, not NoneType"), ("\ud800", "named by a letter"), ("a\x00", "named by a letter"),
        ("a-b", "named by a letter"),
    ],
)
def test_bad_parameter_names(name, fragment):
    with pytest.raises(ExpressionError, match=fragment) as info:
        check_parameter_name(name)
    assert isinstance(info.value, ValueError) and "\n" not in str(info.value)


def test_a_long_bad_name_is_shortened_in_the_message():
    with pytest.raises(ExpressionError) as info:
        check_parameter_name("k" * 100_000 + "!")
    assert len(str(info.value)) < 200
