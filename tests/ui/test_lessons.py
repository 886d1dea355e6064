"""Lessons, check-my-derivative, the formula display, the Δ→0 animation and the error plot."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QDoubleSpinBox, QLabel, QLineEdit, QToolButton

from derivgui.model.lessons import lesson_by_id, load_lessons
from tests.ui.conftest import type_expression


def label(window, name: str) -> str:
    return window.findChild(QLabel, name).text()


def wait_for_check(qtbot, window, prefix: str, timeout: int = 20000) -> str:
    qtbot.waitUntil(lambda: label(window, "derivativeCheckLabel").startswith(prefix), timeout=timeout)
    return label(window, "derivativeCheckLabel")


def type_check(qtbot, window, name: str, text: str) -> None:
    edit = window.findChild(QLineEdit, name)
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key_Backspace)
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key_Return)


def load(qtbot, window, lesson_id: str):
    lesson = lesson_by_id(lesson_id)
    window.findChild(type(window.menuBar().actions()[0]), f"lesson-{lesson_id}").trigger()
    qtbot.waitUntil(lambda: window.compiled is not None and window.compiled.text == lesson.expression,
                    timeout=20000)
    return lesson


@pytest.mark.parametrize("lesson", load_lessons(), ids=lambda lesson: lesson.id)
def test_every_example_loads_what_it_promises(qtbot, window, lesson):
    load(qtbot, window, lesson.id)
    assert window.editor.text() == lesson.expression
    expected_view = window.page3d if lesson.two_variables else window.plot2d
    assert window.views.currentWidget() is expected_view
    assert window.findChild(QDoubleSpinBox, "pointSpin").value() == lesson.point[0]
    assert window.findChild(QDoubleSpinBox, "deltaSpin").value() == lesson.delta[0]
    if lesson.two_variables:
        assert window.findChild(QDoubleSpinBox, "pointYSpin").value() == lesson.point[1]
        assert (window.state.surface_x_range, window.state.surface_y_range) == lesson.surface_range
    else:
        x0, x1 = window.plot2d.visible_x_range()
        assert (x0, x1) == pytest.approx(lesson.x_range)
    for name, shown in lesson.overlays.items():
        assert window.state.overlay(name) is shown
    assert window.lessons_dock.text.toPlainText().strip()
    check_texts = window.check.texts()[: len(lesson.point)]
    if lesson.exercise:
        assert check_texts == ("",) * len(lesson.point)
        assert not label(window, "derivativeCheckLabel").startswith("✓")
    elif lesson.my_derivative:
        assert check_texts == lesson.my_derivative
        wait_for_check(qtbot, window, "✓")


def test_sigmoid_wrong_derivative_fails_and_is_marked(qtbot, window):
    load(qtbot, window, "sigmoid-chain-rule")
    wait_for_check(qtbot, window, "✓")
    type_check(qtbot, window, "myDerivativeEdit", "sigmoid(x)*(1+sigmoid(x))")
    verdict = wait_for_check(qtbot, window, "✗")
    assert "x =" in verdict and "max |difference|" in verdict
    xs, _ys = window.plot2d.mismatch.getData()
    assert len(xs) > 0, "the places where they disagree are marked"


def test_tanh_exercise_says_correct_only_when_it_matches(qtbot, window):
    load(qtbot, window, "exercise-tanh")
    type_check(qtbot, window, "myDerivativeEdit", "1 - tanh(x)")
    wait_for_check(qtbot, window, "✗")
    type_check(qtbot, window, "myDerivativeEdit", "1 - tanh(x)^2")
    assert "correct" in wait_for_check(qtbot, window, "✓")


def test_check_shows_a_syntax_error_with_its_column(qtbot, window):
    type_check(qtbot, window, "myDerivativeEdit", "sin(x")
    verdict = wait_for_check(qtbot, window, "✗")
    assert "column 6" in verdict and "missing ')'" in verdict


def test_two_variable_exercise_needs_both_partials(qtbot, window):
    lesson = load(qtbot, window, "exercise-sin-sqrt")
    assert window.findChild(QLineEdit, "myDerivativeYEdit").isVisible()
    type_check(qtbot, window, "myDerivativeEdit", lesson.answers[0])
    assert "∂f/∂y" in wait_for_check(qtbot, window, "…")
    type_check(qtbot, window, "myDerivativeYEdit", "cos(sqrt(x^2+y^2))*x/sqrt(x^2+y^2)")  # the x one again
    wait_for_check(qtbot, window, "✗")
    type_check(qtbot, window, "myDerivativeYEdit", lesson.answers[1])
    assert "both partials" in wait_for_check(qtbot, window, "✓")


def test_notebook_gradient_check_in_the_window(qtbot, window):
    load(qtbot, window, "gradient-x2y-plus-y")
    wait_for_check(qtbot, window, "✓")
    type_check(qtbot, window, "myDerivativeYEdit", "x^2")
    wait_for_check(qtbot, window, "✗")


@pytest.mark.parametrize("text, expected", [
    ("sigmoid(x)", "f′(x) = σ(x)·(1 − σ(x))"),
    ("tanh(x)", "f′(x) = 1 − tanh(x)²"),
    ("x^2*y + y", "∂f/∂x = 2·y·x     ∂f/∂y = 1 + x²"),
    ("sin(sqrt(x^2+y^2))", "∂f/∂x = cos(√(x² + y²))·x/√(x² + y²)"),
])
def test_formula_display(qtbot, window, text, expected):
    type_expression(qtbot, window, text)
    qtbot.waitUntil(lambda: expected in label(window, "derivativeFormulaLabel"), timeout=10000)


def test_play_sweeps_delta_towards_zero(qtbot, window):
    type_expression(qtbot, window, "x^2")
    window.findChild(QDoubleSpinBox, "speedSpin").setValue(10.0)
    window.findChild(QDoubleSpinBox, "deltaSpin").setValue(0.5)
    window.findChild(QToolButton, "playButton").click()
    assert window.sweep.is_running()
    qtbot.waitUntil(lambda: not window.sweep.is_running(), timeout=10000)
    assert window.findChild(QDoubleSpinBox, "deltaSpin").value() == pytest.approx(1e-15)
    assert "rounding" in label(window, "slopeProblemLabel") or "cancelled" in label(window, "slopeProblemLabel")


def test_space_toggles_the_animation(qtbot, window):
    window.findChild(QDoubleSpinBox, "deltaSpin").setValue(0.5)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.plot2d.setFocus()
    qtbot.keyClick(window.plot2d, Qt.Key_Space)
    assert window.sweep.is_running()
    qtbot.keyClick(window.plot2d, Qt.Key_Space)
    assert not window.sweep.is_running()
    # typing a space in the editor types a space
    line = window.editor.line
    line.setFocus()
    qtbot.keyClicks(line, " ")
    assert not window.sweep.is_running()
    assert line.text().endswith(" ")


def test_error_plot_has_the_v_and_marks_the_step(qtbot, window):
    type_expression(qtbot, window, "sin(x)")
    window.findChild(QDoubleSpinBox, "pointSpin").setValue(0.7)
    window.findChild(QDoubleSpinBox, "deltaSpin").setValue(1e-4)
    qtbot.waitUntil(lambda: window.error_plot.errors is not None
                    and window.error_plot.errors.tangent_slope == pytest.approx(np.cos(0.7)), timeout=5000)
    errors = window.error_plot.errors
    assert errors.steps[-1] == pytest.approx(1e-16)
    assert window.error_plot.current.value() == pytest.approx(-4)
    assert "best forward step" in window.error_plot.best_label.toPlainText()
    xs, ys = window.error_plot.forward.getData()
    assert np.isfinite(ys).sum() > 100


def test_cancellation_inspector_highlights_shared_digits(qtbot, window):
    type_expression(qtbot, window, "x^2")
    window.findChild(QDoubleSpinBox, "pointSpin").setValue(1.0)
    window.findChild(QDoubleSpinBox, "deltaSpin").setValue(1e-7)
    text = label(window, "cancellationLabel")
    assert "7 leading digits shared" in text
    assert "background:#ffd5d5" in text


# -- exercises hide the answer -------------------------------------------------------------------


def formula_arrived(window) -> bool:
    return "=" in window.formula.formula  # the formulas come from the compile process after the plot


def test_an_exercise_hides_the_answer_until_the_check_says_correct(qtbot, window):
    from derivgui.ui.panels.formula_label import HIDDEN_ANSWER

    load(qtbot, window, "exercise-tanh")
    qtbot.waitUntil(lambda: formula_arrived(window), timeout=20000)
    formula = window.findChild(QLabel, "derivativeFormulaLabel")
    assert formula.text() == HIDDEN_ANSWER
    assert "hidden: type your answer below, or click to reveal" in formula.text()
    assert "tanh" not in formula.toolTip() and "f′(x) =" not in formula.toolTip()
    assert not window.plot2d.df_curve.isVisible()
    assert not window.toggle_actions["derivative"].isEnabled()
    assert window.plot2d.f_curve.isVisible()
    type_check(qtbot, window, "myDerivativeEdit", "1 - tanh(x)")
    wait_for_check(qtbot, window, "✗")
    assert formula.text() == HIDDEN_ANSWER and not window.plot2d.df_curve.isVisible()
    type_check(qtbot, window, "myDerivativeEdit", "1 - tanh(x)^2")
    wait_for_check(qtbot, window, "✓")
    qtbot.waitUntil(lambda: formula.text().startswith("autodiff:  f′(x) ="), timeout=5000)
    assert window.plot2d.df_curve.isVisible()
    assert window.toggle_actions["derivative"].isEnabled()


def test_a_click_on_the_hidden_formula_reveals_it(qtbot, window):
    load(qtbot, window, "exercise-tanh")
    qtbot.waitUntil(lambda: formula_arrived(window), timeout=20000)
    formula = window.findChild(QLabel, "derivativeFormulaLabel")
    qtbot.mouseClick(formula, Qt.LeftButton)
    assert formula.text().startswith("autodiff:  f′(x) =")
    assert window.plot2d.df_curve.isVisible()
    assert formula.full_text_dialog() is None  # the click revealed it; the next one shows the whole text


def test_examples_show_the_answer_and_leaving_an_exercise_shows_it(qtbot, window):
    load(qtbot, window, "sigmoid-chain-rule")
    qtbot.waitUntil(lambda: "f′(x) = σ(x)" in label(window, "derivativeFormulaLabel"), timeout=20000)
    assert window.plot2d.df_curve.isVisible()
    load(qtbot, window, "exercise-tanh")
    assert "hidden" in label(window, "derivativeFormulaLabel")
    type_expression(qtbot, window, "x^3")
    qtbot.waitUntil(lambda: "f′(x) = " in label(window, "derivativeFormulaLabel"), timeout=20000)
    assert window.plot2d.df_curve.isVisible()


def test_the_two_variable_exercise_hides_the_partials(qtbot, window):
    lesson = load(qtbot, window, "exercise-sin-sqrt")
    assert "hidden" in label(window, "derivativeFormulaLabel")
    for plot in (window.page3d.slice_x, window.page3d.slice_y):
        assert not plot.df_curve.isVisible()
        assert plot.f_curve.isVisible()
    type_check(qtbot, window, "myDerivativeEdit", lesson.answers[0])
    type_check(qtbot, window, "myDerivativeYEdit", lesson.answers[1])
    wait_for_check(qtbot, window, "✓")
    assert "∂f/∂x =" in label(window, "derivativeFormulaLabel") or "…" in label(window, "derivativeFormulaLabel")
    assert window.page3d.slice_x.df_curve.isVisible()


def test_x_sin_one_over_x_fits_f_and_draws_the_envelope(qtbot, window):
    load(qtbot, window, "oscillation-x-sin")
    y0, y1 = window.plot2d.visible_y_range()
    assert -1 < y0 < -0.45 and 0.45 < y1 < 1, "y fits f (within ±x), not f′ (±17)"
    lines = window.controller._lesson_items
    assert len(lines) == 2
    for line, slope in zip(lines, (1, -1), strict=True):
        xs, ys = line.getData()
        np.testing.assert_allclose(ys, slope * xs)
        assert line.opts["pen"].style() == Qt.DashLine
    assert any(label.text.startswith("y = ±x") for _sample, label in window.plot2d.legend.items)
    type_expression(qtbot, window, "sin(x)")
    assert window.controller._lesson_items == []
    assert all(line.scene() is None for line in lines)


# -- play --------------------------------------------------------------------------------------


def focus_window(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)


def test_focus_starts_outside_the_editor_and_space_plays(qtbot, window):
    from PyQt5.QtWidgets import QApplication

    focus_window(qtbot, window)
    focused = QApplication.focusWidget()
    assert focused is not None and not isinstance(focused, QLineEdit)
    text = window.editor.text()
    qtbot.keyClick(focused, Qt.Key_Space)
    assert window.sweep.is_running()
    assert window.findChild(QToolButton, "playButton").isChecked()
    assert window.editor.text() == text
    qtbot.keyClick(focused, Qt.Key_Space)
    assert not window.sweep.is_running()
    # from a button too: Space plays, it does not press the button
    window.toggle_actions["f"].trigger()
    button = window.play_button
    button.setFocus()
    qtbot.keyClick(button, Qt.Key_Space)
    assert window.sweep.is_running()
    window.sweep.stop()


def test_f5_plays_from_the_editor_and_escape_leaves_it(qtbot, window):
    from PyQt5.QtWidgets import QApplication

    focus_window(qtbot, window)
    line = window.editor.line
    line.setFocus()
    qtbot.keyClick(line, Qt.Key_F5)
    assert window.sweep.is_running()
    qtbot.keyClick(line, Qt.Key_F5)
    assert not window.sweep.is_running()
    assert "F5" in window.play_action.shortcut().toString()
    qtbot.keyClick(line, Qt.Key_Escape)
    assert QApplication.focusWidget() is window.plot2d
    qtbot.keyClick(window.plot2d, Qt.Key_Space)
    assert window.sweep.is_running()
    window.sweep.stop()


def test_play_at_the_end_starts_over_and_the_button_shows_its_state(qtbot, window):
    type_expression(qtbot, window, "x^2")
    window.findChild(QDoubleSpinBox, "speedSpin").setValue(10.0)
    window.findChild(QDoubleSpinBox, "deltaSpin").setValue(0.5)
    button = window.findChild(QToolButton, "playButton")
    button.click()
    assert button.isChecked() and "pause" in button.text() and window.play_action.isChecked()
    qtbot.waitUntil(lambda: not window.sweep.is_running(), timeout=10000)
    assert not button.isChecked() and button.text().startswith("▶") and not window.play_action.isChecked()
    assert window.findChild(QDoubleSpinBox, "deltaSpin").value() == pytest.approx(1e-15)
    button.click()  # at the end: it starts over from Δa = 0.5
    assert window.sweep.is_running() and button.isChecked()
    assert window.findChild(QDoubleSpinBox, "deltaSpin").value() >= 0.1
    button.click()
    assert not window.sweep.is_running() and not button.isChecked()
    # with Δa at the end by hand, Play starts over too
    window.findChild(QDoubleSpinBox, "deltaSpin").setValue(1e-15)
    window.play_action.trigger()
    assert window.sweep.is_running() and button.isChecked()
    window.play_action.trigger()
    assert not window.sweep.is_running() and not button.isChecked()


def test_the_sweep_starts_over_from_where_it_started():
    from derivgui.ui.panels.sweep import DeltaSweep

    sweep = DeltaSweep()
    steps = []
    sweep.step.connect(steps.append)
    assert sweep.start(-1e-15) and sweep.is_running()
    assert steps == [-1.0]  # nothing before: from the default, with Δ's sign
    sweep.stop()
    assert sweep.start(0.25)
    sweep.stop()
    assert sweep.start(1e-15)
    assert steps[-1] == 0.25
    sweep.stop()
