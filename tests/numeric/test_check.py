"""Check my derivative: the judge must say what a teacher would say.

Ground truth comes from SymPy (exact derivatives, their equivalent spellings, values to 30
digits with mpmath underneath), so "correct" and "wrong" here are facts, not the judge's own opinion.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from sympy.printing.str import StrPrinter

import derivgui
from derivgui.expr.functions import lookup_function
from derivgui.expr.parse import parse
from derivgui.numeric.check import (
    DerivativeCheck,
    Evaluation,
    compare_derivatives,
    evaluate,
    evaluate_formula,
)

X = sp.Symbol("x", real=True)
G = "6.674e-11"  # the gravitational constant: a derivative of size 1e-9 on [−10, 10]


class _Typed(StrPrinter):
    """SymPy expressions in the app's syntax (e for E, abs for Abs)."""

    def _print_Exp1(self, expr) -> str:  # noqa: N802 (SymPy's name)
        return "e"

    def _print_Abs(self, expr) -> str:  # noqa: N802 (SymPy's name)
        return f"abs({self._print(expr.args[0])})"


def typed(expr) -> str:
    return _Typed().doprint(expr)


def judge(f_text: str, mine_text: str, x: np.ndarray, traced: bool = True, **kwargs) -> DerivativeCheck:
    """What the window does for f(x): autodiff and the student's formula at the samples, judged."""
    f = derivgui.compile_expr(f_text)
    mine = derivgui.compile_expr(mine_text)
    values, (autodiff,) = f.value_and_grad(x)
    if traced:
        auto, yours = evaluate(f, (x,), output=1, values=autodiff), evaluate(mine, (x,))
    else:
        auto, yours = autodiff, evaluate_formula(mine, (x,))
    return compare_derivatives(x, auto, yours, values=values, **kwargs)


both_ways = pytest.mark.parametrize("traced", [True, False], ids=["traced", "arrays"])


# -- 1. the tolerance follows the scale of the derivative ----------------------------------------


@both_ways
@pytest.mark.parametrize("scale", ["1", G, "1e-200", "1e200"])
def test_a_scaled_function_is_judged_as_strictly_as_the_unscaled_one(scale, traced):
    x = np.linspace(-10, 10, 801)
    f = f"{scale}*x^2"
    right = judge(f, f"2*{scale}*x", x, traced)
    assert right.agree and right.verdict().startswith("✓ correct")
    for mine, hint in [("0", "yours is 0 there"), (f"-2*{scale}*x", "the sign is wrong"),
                       (f"{scale}*x", "yours is 0.5 × autodiff's there")]:
        check = judge(f, mine, x, traced)
        verdict = check.verdict()
        assert not check.agree and verdict.startswith("✗ not the derivative"), (mine, verdict)
        assert hint in verdict and "max |difference|" in verdict
        assert len(check.disagree_at) == 800  # everywhere but x = 0, where both are 0


def test_gravitational_constant_verdict_texts():
    x = np.linspace(-10, 10, 801)
    assert judge(f"{G}*x^2", "0", x).verdict() == (
        "✗ not the derivative: yours is 0 there; differs at 800 of 801 points (x ≤ −0.025 and x ≥ 0.025), "
        "e.g. at x = −10: yours 0, autodiff −1.335e−09; max |difference| 1.335e−09 (relative 1)")


@both_ways
def test_double_the_truth_in_the_tails_of_exp_minus_x_squared_is_wrong(traced):
    x = np.linspace(-10, 10, 801)
    check = judge("exp(-x^2)", "-2x*exp(-x^2)*(1 + min(1, floor(abs(x)/5)))", x, traced)
    assert not check.agree
    verdict = check.verdict()
    assert verdict.startswith("✗ not the derivative: yours is 2 × autodiff's there"), verdict
    assert np.all(np.abs(check.disagree_at) >= 5)
    assert check.disagree_at.min() <= -5 and check.disagree_at.max() >= 5
    assert "max |difference| 1.389e−10" in verdict  # the largest difference, at |x| = 5
    if traced:  # measured noise: relative agreement counts in all of the tail, down to underflow
        assert len(check.disagree_at) > 300


def test_double_the_truth_as_bare_arrays_is_wrong():
    """The tester's case exactly: autodiff's numbers, doubled where |x| ≥ 5."""
    x = np.linspace(-10, 10, 2001)
    (autodiff,) = derivgui.compile_expr("exp(-x^2)").grad(x)
    mine = np.where(np.abs(x) >= 5, 2 * autodiff, autodiff)
    check = compare_derivatives(x, autodiff, mine)
    assert not check.agree and check.verdict().startswith("✗")
    assert np.all(np.abs(check.disagree_at) >= 5)


def test_exp_plus_x_is_not_the_derivative_of_exp_on_a_wide_range():
    """The derivative grows by 20 orders of magnitude: a floor from its largest value would hide x."""
    check = judge("exp(x)", "exp(x) + x", np.linspace(0, 50, 801))
    assert not check.agree
    assert check.disagree_at.min() < 1 and "e.g. at x =" in check.verdict()


def test_cancellation_in_a_correct_formula_is_not_an_error():
    """σ(1 − σ) keeps few digits of 1 − σ for large x (relative error up to 100 %), but it is right."""
    x = np.linspace(-40, 40, 801)
    for f in ("sigmoid(x)", "1/(1+exp(-x))"):
        for mine in ("sigmoid(x)*(1 - sigmoid(x))", "exp(-x)/(1+exp(-x))^2", "1/(2 + exp(x) + exp(-x))"):
            check = judge(f, mine, x)
            assert check.agree and check.verdict().startswith("✓ correct"), (f, mine, check.verdict())


def test_the_notebooks_sigmoid_check_still_works_from_bare_arrays():
    x = np.linspace(-6, 6, 500)
    f = derivgui.compile_expr("1/(1+exp(-x))")
    good = compare_derivatives(x, f.grad(x)[0], derivgui.compile_expr("sigmoid(x)*(1 - sigmoid(x))")(x))
    bad = compare_derivatives(x, f.grad(x)[0], derivgui.compile_expr("sigmoid(x)*(1 + sigmoid(x))")(x))
    assert good.agree and not bad.agree
    assert "differs at 500 of 500 points (the whole range)" in bad.verdict()


# -- equivalent spellings pass, wrong ones fail (SymPy decides which is which) -----------------

FUNCTIONS = [
    ("sin(x**2)", (-3, 3)),
    ("exp(-x**2)", (-10, 10)),
    ("1/(1 + exp(-x))", (-30, 30)),
    ("tanh(x)", (-20, 20)),
    ("x**3*exp(x)", (-5, 5)),
    ("log(x**2 + 1)", (-5, 5)),
    ("sqrt(x**2 + 1)", (-5, 5)),
    ("atan(x)", (-10, 10)),
    ("x*sin(1/x)", (0.05, 2)),
    ("exp(sin(x))*cos(x)", (-5, 5)),
    ("(x**2 + 1)/(x - 3)", (-2, 2)),
    ("sech(x)", (-10, 10)),
    ("csch(x)", (0.1, 5)),
    ("coth(x)", (0.1, 5)),
    ("asinh(x)", (-5, 5)),
    ("acosh(x)", (1.01, 5)),
    ("atanh(x)", (-0.99, 0.99)),
    ("6.674e-11*x**2*sin(x)", (-10, 10)),
]


HYPERBOLIC_FUNCTIONS = (sp.sinh, sp.cosh, sp.tanh, sp.sech, sp.csch, sp.coth)


def spellings(derivative) -> list[str]:
    """The derivative in the forms a student might reach: as differentiated, simplified, expanded,
    factored, over one denominator, with the hyperbolic functions written with exp."""
    with_exp = derivative.replace(lambda e: isinstance(e, HYPERBOLIC_FUNCTIONS), lambda e: e.rewrite(sp.exp))
    forms = [derivative, sp.simplify(derivative), sp.expand(derivative), sp.factor(derivative),
             sp.together(derivative), sp.cancel(derivative), sp.trigsimp(derivative), with_exp]
    return list(dict.fromkeys(typed(form) for form in forms))


def exact(expr, at: float) -> float:
    """expr at x = at, to 30 digits."""
    value = complex(expr.evalf(30, subs={X: sp.Float(at, 30)}))
    assert abs(value.imag) <= 1e-25 * max(1.0, abs(value.real))
    return value.real


def same_function(text: str, expr, points) -> bool:
    """Whether the typed text is expr (numerically, to 20 digits, at the points)."""
    typed_expr = sp.sympify(text, locals={"x": X, "e": sp.E})
    return all(abs(exact(typed_expr, v) - exact(expr, v)) <= 1e-20 * (1 + abs(exact(expr, v))) for v in points)


@pytest.mark.parametrize("f_text, interval", FUNCTIONS, ids=[f for f, _ in FUNCTIONS])
def test_every_spelling_of_the_true_derivative_passes_and_wrong_ones_fail(f_text, interval):
    f_expr = sp.sympify(f_text, locals={"x": X})
    derivative = sp.diff(f_expr, X)
    x = np.linspace(*interval, 601)
    # ground truth first: autodiff is the derivative (30 digits at a few points)
    (autodiff,) = derivgui.compile_expr(f_text).grad(x[::100])
    # (1e-10: autodiff of coth = cosh/sinh cancels in sinh² − cosh², 1e-12 relative already at x = 5)
    np.testing.assert_allclose(autodiff, [exact(derivative, v) for v in x[::100]], rtol=1e-10, atol=1e-300)
    for form in spellings(derivative):
        assert same_function(form, derivative, x[::75])
        check = judge(f_text, form, x)
        assert check.verdict().startswith("✓ correct"), (form, check.verdict())
    for wrong in (2 * derivative, -derivative, derivative + 1, derivative * (1 + X / 1000)):
        check = judge(f_text, typed(wrong), x)
        assert check.verdict().startswith("✗ not the derivative"), (typed(wrong), check.verdict())


def test_equivalent_forms_of_the_gaussian_derivative():
    x = np.linspace(-10, 10, 801)
    for mine in ("-2x exp(-x^2)", "-2*x/exp(x^2)", "-x*2*e^(-x^2)", "-2*x*exp(-x*x)", "(-2x)*exp(-x^2)"):
        assert judge("exp(-x^2)", mine, x).verdict().startswith("✓ correct"), mine


# -- 2. points left out: kinks the window detects, and where f′ does not exist ----------------


def test_a_kink_the_window_skips_is_named():
    x = np.linspace(-6, 6, 401)
    check = judge("abs(x)", "x/abs(x)", x, skip=x == 0, skip_reasons=["f has a kink there"])
    assert check.agree
    assert check.verdict() == ("✓ correct: your derivative agrees with autodiff at 400 points "
                               "(max |difference| 0); ignored x = 0: f has a kink there")


def test_a_kink_that_is_not_skipped_does_not_make_a_correct_answer_wrong():
    x = np.linspace(-6, 6, 401)
    check = judge("abs(x)", "x/abs(x)", x)
    assert check.agree
    assert check.verdict().endswith("your formula is undefined at x = 0 (autodiff gives 0 there)")


@pytest.mark.parametrize("reasons", [["f has a kink there"], "f has a kink there",
                                     ["f has a kink there"] * 2, None])
def test_skip_reasons_one_per_skipped_point_one_for_all_or_one_per_point(reasons):
    x = np.array([-1.0, 0.0, 1.0])
    skip = x == 0
    if reasons is not None and len(reasons) == 2:
        skip = np.array([True, False, True])
    if reasons is None:
        reasons = ["", "f has a kink there", ""]
        skip = np.array([False, True, False])
    check = compare_derivatives(x, np.sign(x), np.sign(x), skip=skip, skip_reasons=reasons)
    assert check.agree
    assert check.ignored[0][0] == "f has a kink there" and len(check.ignored[0][1]) == skip.sum()


def test_several_skip_reasons_are_named_each_with_its_points():
    x = np.linspace(-3, 3, 7)
    skip = np.isin(x, [-2.0, 0.0, 2.0])
    check = compare_derivatives(x, 2 * x, 2 * x, skip=skip,
                                skip_reasons=["f jumps there", "f has a kink there", "f jumps there"])
    assert check.verdict().endswith("ignored 2 points: x = −2 and 2: f jumps there; ignored x = 0: f has a kink there")
    with pytest.raises(ValueError, match="2 skip reasons for 3 skipped points"):
        compare_derivatives(x, 2 * x, 2 * x, skip=skip, skip_reasons=["a", "b"])


def test_where_f_is_finite_but_autodiff_is_not_the_point_is_named_not_failed():
    x = np.linspace(-6, 6, 401)
    kink = judge("sqrt(x^2)", "sign(x)", x)
    assert kink.agree and kink.verdict().endswith("ignored x = 0: f′ is undefined there")
    vertical = judge("sqrt(x)", "1/(2sqrt(x))", np.linspace(-1, 6, 701))
    assert vertical.agree and vertical.verdict().endswith("ignored x = 0: f′ is infinite there")
    # with f's values unknown, an infinite slope is still named (the kernel gives inf only where f is finite)
    x = np.linspace(0, 4, 5)
    bare = compare_derivatives(x, np.r_[np.inf, 0.5 / np.sqrt(x[1:])], 0.5 / np.sqrt(np.r_[1.0, x[1:]]))
    assert bare.agree and "ignored x = 0: f′ is infinite there" in bare.verdict()


def test_points_outside_fs_domain_are_left_out_silently():
    check = judge("log(x)", "1/x", np.linspace(-2, 2, 401))
    assert check.agree and check.compared == 200
    assert check.verdict() == ("✓ correct: your derivative agrees with autodiff at 200 points "
                               "(max |difference| 0)")


def test_a_formula_undefined_where_the_derivative_exists_is_wrong():
    check = judge("x^2", "2*sqrt(x)^2", np.linspace(-3, 3, 601))
    assert not check.agree
    assert check.verdict() == ("✗ not the derivative: your formula is undefined at 300 points (x ≤ −0.01) "
                               "where the derivative exists")


def test_equal_infinities_agree():
    x = np.array([0.0, 1.0, 4.0])
    autodiff = np.array([np.inf, 0.5, 0.25])
    check = compare_derivatives(x, autodiff, autodiff.copy())
    assert check.agree and check.agreeing == 3 and not check.ignored


# -- 3. overflow on one side is not a wrong answer ----------------------------------------------


@pytest.mark.parametrize("f_text", ["sigmoid(x)", "1/(1+exp(-x))"])
def test_the_sigmoids_derivative_that_overflows_is_correct_where_it_can_be_computed(f_text):
    x = np.linspace(-800, 800, 1601)
    check = judge(f_text, "exp(-x)/(1+exp(-x))^2", x)
    verdict = check.verdict("your f′")
    assert check.agree
    assert verdict == ("✓ correct where it can be computed: your f′ agrees with autodiff at 1155 points "
                       "(max |difference| 2.776e−17); your formula overflows at 446 points (x ≤ −355): "
                       "rewrite it to avoid exp of large numbers and large powers")
    assert "inf" not in verdict
    assert check.overflow_at.max() == -355 and len(check.disagree_at) == 0


def test_overflow_from_bare_arrays_is_inf_or_beyond_1e300():
    x = np.linspace(-5, 5, 11)
    autodiff = np.exp(x)
    mine = autodiff.copy()
    mine[:2] = [np.inf, 1e305]
    check = compare_derivatives(x, autodiff, mine)
    assert check.agree
    assert check.verdict().endswith("your formula overflows at 2 points (x = −5 and −4): "
                                    "rewrite it so that no intermediate value exceeds 1e308")
    # and the other way round: autodiff's overflow is not the student's fault
    check = compare_derivatives(x, mine, autodiff)
    assert check.agree and "autodiff overflows there" in check.verdict()


def test_a_formula_that_overflows_almost_everywhere_cannot_be_judged():
    x = np.linspace(-1000, 1000, 201)
    check = judge("x^2", "2x*cosh(x^2)/(cosh(x^2) + 1)*(1 + 1/cosh(x^2))", x)
    assert not check.agree and check.cannot_tell
    verdict = check.verdict("your f′")
    assert verdict.startswith("✗ can't check your f′: it overflows at 196 points")
    assert "rewrite it to avoid cosh of large numbers" in verdict


def test_an_overflow_beside_a_wrong_answer_is_mentioned_too():
    x = np.linspace(-800, 800, 1601)
    check = judge("sigmoid(x)", "2*exp(-x)/(1+exp(-x))^2", x)
    verdict = check.verdict()
    assert verdict.startswith("✗ not the derivative: yours is 2 × autodiff's there")
    assert "your formula also overflows at" in verdict


def test_the_trace_names_what_overflowed():
    x = np.linspace(-1000, 1000, 11)
    traced = evaluate(derivgui.compile_expr("cosh(x)/(1 + cosh(x))"), (x,))
    assert isinstance(traced, Evaluation) and traced.overflowing == ("cosh",)  # not sinh, from the gradient
    assert traced.overflow.tolist() == [True, True, False, False, False, False, False, False, False, True, True]
    # 1/0 and log(0) are not overflow
    zero = evaluate(derivgui.compile_expr("1/x + log(abs(x))"), (np.array([0.0, 1.0]),))
    assert not zero.overflow.any() and zero.overflowing == ()


def test_a_compiled_formula_without_a_program_is_judged_by_its_numbers():
    class Plain:
        variables = ("x",)

        def __call__(self, x):
            return 2 * x

    x = np.linspace(-1, 1, 21)
    traced = evaluate(Plain(), (x,))
    assert traced.noise is None and traced.overflow is None
    assert compare_derivatives(x, 2 * x, traced).agree


# -- 4. two partials: the wrong one is named ----------------------------------------------------


@pytest.fixture
def panel(qtbot):
    from derivgui.ui.panels.check_panel import CheckPanel

    widget = CheckPanel()
    qtbot.addWidget(widget)
    return widget


def grid(f_text: str, n: int = 41):
    f = derivgui.compile_expr(f_text)
    xs, ys = np.meshgrid(np.linspace(-3, 3, n), np.linspace(-3, 3, n), indexing="ij")
    args = (xs.ravel(), ys.ravel())
    values, grads = f.value_and_grad(*args)
    return f, np.stack(args, axis=1), args, values, grads


def type_partials(panel, *texts: str) -> None:
    for channel, text in zip(("check-x", "check-y"), texts, strict=False):
        panel.on_compiled(channel, derivgui.compile_expr(text) if text else None, None)


def test_the_wrong_partial_is_named_and_the_right_one_ticked(panel):
    panel.set_two_variables(True)
    f, points, args, values, grads = grid("x^2*y + y")
    type_partials(panel, "2xy", "x^2")
    results = panel.check(points, args, grads, values=values, function=f)
    text = panel.verdict.text()
    assert results[0].agree and not results[1].agree
    assert text.startswith("✗ ∂f/∂y is wrong: yours is autodiff's − 1 there: a derivative has no added constant; ")
    assert text.endswith("; ∂f/∂x ✓")
    type_partials(panel, "2y", "x^2 + 1")
    panel.check(points, args, grads, values=values, function=f)
    assert panel.verdict.text().startswith("✗ ∂f/∂x is wrong: ")
    assert panel.verdict.text().endswith("; ∂f/∂y ✓")
    type_partials(panel, "2y", "x^2")
    panel.check(points, args, grads, values=values, function=f)
    text = panel.verdict.text()
    assert text.startswith("✗ both partials are wrong — ∂f/∂x is wrong: ") and "; ∂f/∂y is wrong: " in text
    type_partials(panel, "2*x*y", "1 + x^2")
    panel.check(points, args, grads, values=values, function=f)
    assert panel.verdict.text() == "✓ correct: both partials agree with autodiff at 1681 points (max |difference| 0)"


def test_one_partial_typed_says_how_it_stands_and_asks_for_the_other(panel):
    panel.set_two_variables(True)
    f, points, args, values, grads = grid("x^2*y + y")
    type_partials(panel, "2xy", "")
    panel.check(points, args, grads, values=values, function=f)
    assert panel.verdict.text() == "… ∂f/∂x ✓; now type ∂f/∂y too"
    type_partials(panel, "2x", "")
    panel.check(points, args, grads, values=values, function=f)
    assert panel.verdict.text().startswith("✗ ∂f/∂x is wrong: ")
    assert panel.verdict.text().endswith("; then type ∂f/∂y too")


def test_partials_with_a_kink_line_skipped_for_one_partial_only(panel):
    panel.set_two_variables(True)
    f, points, args, values, grads = grid("abs(x)*y")
    type_partials(panel, "sign(x)*y", "abs(x)")
    kink = args[0] == 0
    panel.check(points, args, grads, values=values, function=f, skip=[kink, None],
                skip_reasons=[["f has a kink there"] * int(kink.sum()), ()])
    text = panel.verdict.text()
    assert text == ("✓ correct: both partials agree with autodiff at 1640 points (max |difference| 0); "
                    "∂f/∂x: ignored 41 points on the line x = 0: f has a kink there")


def test_a_single_variable_verdict_in_the_panel(panel):
    f = derivgui.compile_expr("exp(-x^2)")
    x = np.linspace(-10, 10, 801)
    values, grads = f.value_and_grad(x)
    type_partials(panel, "-2*x*exp(-x^2)*(1 + min(1, floor(abs(x)/5)))")
    panel.check(x, (x,), grads, values=values, function=f)
    assert panel.verdict.text().startswith("✗ not the derivative: yours is 2 × autodiff's there")
    type_partials(panel, "-2x/exp(x^2)")
    panel.check(x, (x,), grads, values=values, function=f)
    assert panel.verdict.text().startswith("✓ correct: your f′ agrees with autodiff at 801 points")
    # the window's old call, without the new keywords, still works
    panel.check(x, (x,), grads)
    assert panel.verdict.text().startswith("✓ correct")


# -- 5. sech, csch, coth and the arc- spellings ---------------------------------------------------

HYPERBOLIC = [
    ("sech(x)", sp.sech(X), [-3.0, -0.5, 0.0, 0.5, 2.0]),
    ("csch(x)", sp.csch(X), [-3.0, -0.5, 0.5, 2.0]),
    ("coth(x)", sp.coth(X), [-3.0, -0.5, 0.5, 2.0]),
    ("arcsinh(x)", sp.asinh(X), [-3.0, -0.5, 0.0, 0.5, 2.0]),
    ("arccosh(x)", sp.acosh(X), [1.25, 2.0, 7.5]),
    ("arctanh(x)", sp.atanh(X), [-0.9, -0.5, 0.0, 0.5, 0.9]),
    ("sech(x)^2", sp.sech(X) ** 2, [-3.0, 0.0, 0.5]),
    ("coth(2x) + csch(x^2)", sp.coth(2 * X) + sp.csch(X ** 2), [-1.5, 0.5, 2.0]),
    ("arcsinh(x)/arccosh(x+2)", sp.asinh(X) / sp.acosh(X + 2), [0.0, 0.5, 3.0]),
]


@pytest.mark.parametrize("text, expr, points", HYPERBOLIC, ids=[t for t, _, _ in HYPERBOLIC])
def test_hyperbolic_functions_and_arc_aliases_parse_compile_and_differentiate(text, expr, points):
    parse(text)
    for name in ("sech", "csch", "coth", "arcsinh", "arccosh", "arctanh"):
        assert lookup_function(name) is not None
    f = derivgui.compile_expr(text)
    x = np.array(points)
    values, (grad,) = f.value_and_grad(x)
    np.testing.assert_allclose(values, [exact(expr, v) for v in points], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(grad, [exact(sp.diff(expr, X), v) for v in points], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("f_text, mine, interval", [
    ("sech(x)", "-sech(x)*tanh(x)", (-10, 10)),
    ("sech(x)", "-sinh(x)/cosh(x)^2", (-10, 10)),
    ("csch(x)", "-csch(x)*coth(x)", (0.1, 5)),
    ("coth(x)", "-csch(x)^2", (0.1, 5)),
    ("coth(x)", "1 - coth(x)^2", (0.1, 5)),
    ("arcsinh(x)", "1/sqrt(x^2+1)", (-5, 5)),
    ("arccosh(x)", "1/sqrt(x^2-1)", (1.01, 5)),
    ("arctanh(x)", "1/(1-x^2)", (-0.99, 0.99)),
])
def test_textbook_derivatives_of_the_hyperbolic_functions_pass(f_text, mine, interval):
    assert judge(f_text, mine, np.linspace(*interval, 401)).verdict().startswith("✓ correct")
