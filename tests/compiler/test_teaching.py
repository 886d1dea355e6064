"""The Qt-free teaching pieces: formulas, error-vs-step data, derivative checks, cancellation, lessons."""

from __future__ import annotations

import numpy as np
import pytest

import derivgui
from derivgui.compiler.engine import derivative_formulas
from derivgui.expr.parse import parse
from derivgui.model.lessons import lesson_by_id, load_lessons
from derivgui.numeric.check import compare_derivatives, evaluate_formula
from derivgui.numeric.geometry import secant_report, shared_leading_digits
from derivgui.numeric.steps import fitted_slope, step_errors


@pytest.mark.parametrize("text, expected", [
    ("sigmoid(x)", ("σ(x)·(1 − σ(x))",)),
    ("1/(1+exp(-x))", ("σ(x)·(1 − σ(x))",)),
    ("tanh(x)", ("1 − tanh(x)²",)),
    ("x^2*y + y", ("2·y·x", "1 + x²")),
    ("sin(sqrt(x^2+y^2))", ("cos(√(x² + y²))·x/√(x² + y²)", "cos(√(x² + y²))·y/√(x² + y²)")),
    ("5", ("0",)),
    ("log(x)", ("1/x",)),
    ("x*sin(1/x)", ("sin(1/x) − cos(1/x)/x",)),
])
def test_derivative_formula(text, expected):
    assert derivative_formulas(parse(text)) == expected


def test_error_vs_step_has_the_textbook_shape():
    f = derivgui.compile_expr("sin(x)")
    errors = step_errors(f.value_and_grad, 1.0)
    assert errors.steps[0] == pytest.approx(1.0) and errors.steps[-1] == pytest.approx(1e-16)
    assert fitted_slope(errors.steps, errors.forward, 1e-5, 1e-1) == pytest.approx(1.0, abs=0.1)
    assert fitted_slope(errors.steps, errors.central, 1e-3, 1e-1) == pytest.approx(2.0, abs=0.1)
    best = errors.best_forward_step()
    assert 1e-10 <= best <= 1e-6, best  # near √ε ≈ 1.5e-8
    assert 1e-7 <= errors.best_central_step() <= 1e-3
    # left of the V: rounding dominates and the error grows as the step shrinks
    assert np.nanmedian(errors.forward[errors.steps < 1e-13]) > 100 * errors.forward[np.argmin(
        np.abs(errors.steps - best))]


def test_error_vs_step_for_the_sigmoid():
    f = derivgui.compile_expr("sigmoid(x)")
    errors = step_errors(f.value_and_grad, 1.0)
    assert 1e-10 <= errors.best_forward_step() <= 1e-6
    assert fitted_slope(errors.steps, errors.forward, 1e-5, 1e-2) == pytest.approx(1.0, abs=0.1)


def test_check_accepts_the_notebooks_sigmoid_derivative():
    f = derivgui.compile_expr("1/(1+exp(-x))")
    mine = derivgui.compile_expr("sigmoid(x)*(1 - sigmoid(x))")
    x = np.linspace(-6, 6, 500)
    check = compare_derivatives(x, f.grad(x)[0], mine(x))
    assert check.agree and check.verdict().startswith("✓")


def test_check_rejects_f_times_one_plus_f_and_says_where():
    f = derivgui.compile_expr("sigmoid(x)")
    wrong = derivgui.compile_expr("sigmoid(x)*(1 + sigmoid(x))")
    x = np.linspace(-6, 6, 500)
    check = compare_derivatives(x, f.grad(x)[0], wrong(x))
    assert not check.agree
    assert check.verdict().startswith("✗")
    assert len(check.disagree_at) > 0 and check.max_abs_diff > 0.5
    assert "x =" in check.verdict()


def test_check_two_variables_notebook_gradient():
    f = derivgui.compile_expr("x^2*y + y")
    xx = yy = np.linspace(0, 10, 100)
    gx, gy = f.grad(xx, yy)
    points = np.stack([xx, yy], axis=1)
    def mine(text):
        return evaluate_formula(derivgui.compile_expr(text), (xx, yy))

    assert compare_derivatives(points, gx, mine("2xy")).agree
    assert compare_derivatives(points, gy, mine("x^2 + 1")).agree
    assert not compare_derivatives(points, gy, mine("x^2")).agree


def test_cancellation_counts_shared_digits():
    c = shared_leading_digits(1.0, 1.0 + 1e-7)
    assert c.shared == 7
    assert c.digits_lost == pytest.approx(7, abs=0.01)
    assert shared_leading_digits(1.0, 2.0).shared == 0
    assert shared_leading_digits(-1.5, 1.5).shared == 0


def test_secant_report_words_for_lost_digits():
    f = derivgui.compile_expr("x^2")
    assert secant_report(f.value_and_grad, 1.0, 1e-17).problem.startswith("a + Δa rounds to a")
    fine = secant_report(f.value_and_grad, 1.0, 0.5)
    assert fine.problem is None and fine.secant_slope == 2.5
    noisy = secant_report(f.value_and_grad, 1.0, 3e-16)
    assert noisy.problem is not None


def test_every_lesson_compiles_and_has_text():
    lessons = load_lessons()
    assert len(lessons) >= 9
    for lesson in lessons:
        f = derivgui.compile_expr(lesson.expression)
        assert len(f.variables) == len(lesson.point) == len(lesson.delta)
        assert "<h2>" in lesson.explanation_html()
        if lesson.exercise:
            assert not lesson.my_derivative and len(lesson.answers) == len(f.variables)


@pytest.mark.parametrize("lesson_id", ["exercise-tanh", "exercise-sin-sqrt"])
def test_exercise_answers_are_correct(lesson_id):
    lesson = lesson_by_id(lesson_id)
    f = derivgui.compile_expr(lesson.expression)
    if len(f.variables) == 1:
        x = np.linspace(*lesson.x_range, 400)
        args, points = (x,), x
    else:
        (x0, x1), (y0, y1) = lesson.surface_range
        xs, ys = np.meshgrid(np.linspace(x0, x1, 40), np.linspace(y0, y1, 40))
        args, points = (xs.ravel(), ys.ravel()), np.stack([xs.ravel(), ys.ravel()], 1)
    grads = f.grad(*args)
    for answer, grad in zip(lesson.answers, grads, strict=True):
        assert compare_derivatives(points, grad, evaluate_formula(derivgui.compile_expr(answer), args)).agree


def test_shipped_resources_are_found():
    from derivgui.resources_path import resource

    assert resource("icons", "derivgui.svg").read_text(encoding="utf-8").startswith("<svg")
    assert "Exec=derivgui" in resource("derivgui.desktop").read_text(encoding="utf-8")
    assert resource("lessons", "lessons.json").is_file()
