"""The main window driven as a student would: type, drag, read."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt5.QtCore import Qt, QThread
from PyQt5.QtWidgets import QDoubleSpinBox, QLabel, QLineEdit

from tests.ui.conftest import type_expression


def label(window, name: str) -> str:
    return window.findChild(QLabel, name).text()


def spin(window, name: str) -> QDoubleSpinBox:
    return window.findChild(QDoubleSpinBox, name)


def test_contract_widgets_exist(window):
    assert isinstance(window.findChild(QLineEdit, "expressionEdit"), QLineEdit)
    for name in ("pointSpin", "deltaSpin"):
        assert isinstance(spin(window, name), QDoubleSpinBox)
    for name in ("secantSlopeLabel", "tangentSlopeLabel", "slopeErrorLabel"):
        assert window.findChild(QLabel, name) is not None
    import pyqtgraph as pg

    assert isinstance(window.findChild(pg.PlotWidget, "plot2d"), pg.PlotWidget)


def test_default_is_the_notebooks_sigmoid(window):
    assert window.editor.text() == "1/(1+exp(-x))"
    assert spin(window, "pointSpin").value() == 1.0
    assert spin(window, "deltaSpin").value() == 1.0
    s = 1 / (1 + np.exp(-1.0))
    assert float(label(window, "tangentSlopeLabel")) == pytest.approx(s * (1 - s), rel=1e-10)


def test_secant_approaches_tangent_for_x_squared(qtbot, window):
    type_expression(qtbot, window, "x^2")
    spin(window, "pointSpin").setValue(1.0)
    spin(window, "deltaSpin").setValue(0.5)
    assert float(label(window, "tangentSlopeLabel")) == pytest.approx(2.0, rel=1e-12)
    assert float(label(window, "secantSlopeLabel")) == pytest.approx(2.5, rel=1e-12)
    assert float(label(window, "slopeErrorLabel")) == pytest.approx(0.5, rel=1e-3)
    spin(window, "deltaSpin").setValue(1e-6)
    assert abs(float(label(window, "secantSlopeLabel")) - 2.0) < 1e-5
    spin(window, "deltaSpin").setValue(-0.5)
    assert float(label(window, "secantSlopeLabel")) == pytest.approx(1.5, rel=1e-12)


def test_readouts_show_at_least_ten_significant_digits(qtbot, window):
    type_expression(qtbot, window, "sin(x)")
    spin(window, "pointSpin").setValue(1.0)
    spin(window, "deltaSpin").setValue(1e-3)
    digits = label(window, "secantSlopeLabel").lstrip("-").replace(".", "").lstrip("0")
    assert len(digits) >= 10


def test_lost_digits_are_said_in_words(qtbot, window):
    type_expression(qtbot, window, "x^2")
    spin(window, "pointSpin").setValue(1.0)
    spin(window, "deltaSpin").setValue(1e-17)  # 1 + 1e-17 == 1 in float64
    assert spin(window, "deltaSpin").value() == 1e-17
    text = label(window, "secantSlopeLabel")
    assert "a + Δa == a" in text
    with pytest.raises(ValueError):
        float(text)
    assert "rounds to a" in label(window, "slopeProblemLabel")


def test_delta_zero_is_skipped(qtbot, window):
    delta = spin(window, "deltaSpin")
    delta.setValue(0.25)
    delta.setValue(0.0)
    assert delta.value() == 0.25
    slider = window.step.slider
    slider.setValue(0)
    assert delta.value() != 0.0


def test_delta_slider_is_logarithmic_and_signed(window):
    step = window.step
    assert step.value_at(1) == pytest.approx(1e-15, rel=1e-3)
    assert step.value_at(-1) == pytest.approx(-1e-15, rel=1e-3)
    x0, x1 = window.plot2d.visible_x_range()
    assert step.value_at(1000) == pytest.approx(x1 - x0, rel=1e-3)
    assert step.value_at(-1000) == pytest.approx(-(x1 - x0), rel=1e-3)
    # equal slider steps are equal ratios
    r1 = step.value_at(400) / step.value_at(300)
    r2 = step.value_at(800) / step.value_at(700)
    assert r1 == pytest.approx(r2, rel=1e-2)


def test_invalid_expression_keeps_last_plot_and_marks_column(qtbot, window):
    type_expression(qtbot, window, "x^3")
    before = window.plot2d.f_curve.getData()[1].copy()
    type_expression(qtbot, window, "sin(x +* 2)")
    message = window.editor.message.text()
    assert "column 8" in message and "✗" in message
    assert window.compiled.text == "x^3"
    np.testing.assert_array_equal(window.plot2d.f_curve.getData()[1], before)
    type_expression(qtbot, window, "cos(x)")
    assert window.compiled.text == "cos(x)"
    assert "✓" in window.editor.message.text()


def test_a_long_expression_and_formula_do_not_widen_the_window(qtbot, window):
    size = window.size()
    text = " + ".join(f"sin({k}*x)*exp(-x^2/{k})*log(1 + x^2/{k})" for k in range(1, 9))
    type_expression(qtbot, window, text)
    qtbot.waitUntil(lambda: "f′(x) =" in window.formula.text(), timeout=20000)
    qtbot.wait(50)  # a layout request is handled in a later turn of the event loop
    assert window.formula.fontMetrics().horizontalAdvance(window.formula.text()) > window.width()
    assert window.size() == size
    assert window.formula.text() in window.formula.toolTip()  # the clipped text is whole there
    assert text in window.editor.message.toolTip()


def test_fifty_quick_expressions_end_on_the_last(qtbot, window):
    line = window.editor.line
    texts = [f"{k}*x^2 + sin({k}x)" for k in range(1, 51)]
    for text in texts:
        line.setText(text)
        qtbot.keyClick(line, Qt.Key_Return)
    qtbot.waitUntil(lambda: window.compiled is not None and window.compiled.text == texts[-1], timeout=60000)
    qtbot.wait(200)
    assert window.compiled.text == texts[-1]
    assert window.controller.last_result_text == texts[-1]
    x = window.plot2d.curve.x
    np.testing.assert_allclose(window.plot2d.curve.f[np.isfinite(x)], 50 * x**2 + np.sin(50 * x), rtol=1e-9)


def test_closing_stops_the_compile_thread(qtbot, window):
    thread: QThread = window.controller.compiler.thread
    assert thread.isRunning()
    window.close()
    assert not thread.isRunning()


def test_curve_is_resampled_when_the_view_changes(qtbot, window):
    type_expression(qtbot, window, "sin(x)")
    view_box = window.plot2d.getPlotItem().getViewBox()
    view_box.setRange(xRange=(100, 101), padding=0)
    qtbot.waitUntil(lambda: window.plot2d.curve.x[0] == pytest.approx(100, abs=1e-9))
    curve = window.plot2d.curve
    assert curve.x[-1] == pytest.approx(101, abs=1e-9)
    assert len(curve.x) >= view_box.width() / 2
    window.controller.reset_view()
    qtbot.waitUntil(lambda: window.plot2d.curve.x[0] == pytest.approx(-6, abs=1e-9))


@pytest.mark.parametrize("text", ["1/x", "tan(x)", "log(x)", "floor(x)"])
def test_poles_and_jumps_break_the_line(qtbot, window, text):
    type_expression(qtbot, window, text)
    f = window.plot2d.curve.f
    assert np.isnan(f).any(), "the curve must have a gap"
    finite = np.isfinite(f)
    assert finite.sum() > 100


def test_history_recalls_with_up_and_down(qtbot, window):
    type_expression(qtbot, window, "x^2")
    type_expression(qtbot, window, "x^3")
    line = window.editor.line
    qtbot.keyClick(line, Qt.Key_Up)
    assert line.text() == "x^3"
    qtbot.keyClick(line, Qt.Key_Up)
    assert line.text() == "x^2"
    qtbot.keyClick(line, Qt.Key_Down)
    assert line.text() == "x^3"


def test_history_is_kept_across_runs(qtbot, settings):
    from derivgui.app.startup import open_window

    first = open_window(settings)
    qtbot.addWidget(first)
    qtbot.waitUntil(lambda: first.compiled is not None, timeout=20000)
    type_expression(qtbot, first, "tanh(x)")
    first.close()
    second = open_window(settings)
    qtbot.addWidget(second)
    assert "tanh(x)" in second.editor.history
    assert second.editor.text() == "tanh(x)"
    second.close()


def test_dragging_the_point_moves_a(qtbot, window):
    type_expression(qtbot, window, "x^2")
    window.plot2d.handle.setPos(2.0, 123.0)  # what a mouse drag does
    assert spin(window, "pointSpin").value() == pytest.approx(2.0)
    assert float(label(window, "tangentSlopeLabel")) == pytest.approx(4.0)
    # the handle snaps back onto the curve
    assert window.plot2d.handle.pos().y() == pytest.approx(4.0)


def test_toggles_hide_and_show_items(qtbot, window):
    action = window.toggle_actions["secant"]
    action.trigger()
    assert not window.plot2d.secant.isVisible()
    assert window.state.overlay("secant") is False
    action.trigger()
    assert window.plot2d.secant.isVisible()


def curve_colour_pixels(view) -> tuple[int, int]:
    """(pixels of f's colour, distinct colours) in a grab of ``view``, every other pixel."""
    image = view.grab().toImage()
    colors = set()
    curve_pixels = 0
    for yy in range(0, image.height(), 2):
        for xx in range(0, image.width(), 2):
            c = image.pixelColor(xx, yy)
            colors.add((c.red() // 16, c.green() // 16, c.blue() // 16))
            if abs(c.red() - 0x1F) < 40 and abs(c.green() - 0x77) < 40 and abs(c.blue() - 0xB4) < 40:
                curve_pixels += 1
    return curve_pixels, len(colors)


def test_window_image_shows_the_curve(qtbot, window):
    qtbot.wait(100)
    assert window.plot2d.width() > 300 and window.plot2d.height() > 200
    curve_pixels, colors = curve_colour_pixels(window.plot2d)
    assert colors > 8, "the view looks blank"
    assert curve_pixels > 100, "the curve's colour is missing"
    window.toggle_actions["f"].trigger()  # f is drawn in the view's static background: drawn anew
    qtbot.wait(50)
    assert curve_colour_pixels(window.plot2d)[0] < curve_pixels / 4
    window.toggle_actions["f"].trigger()
    qtbot.wait(50)
    assert curve_colour_pixels(window.plot2d)[0] == curve_pixels


def test_corrupt_settings_fall_back_to_defaults(qtbot, settings):
    from derivgui.app.startup import open_window

    settings.setValue("window/geometry", "zzz")
    settings.setValue("window/state", 42)
    settings.setValue("session/state", "{not json")
    settings.setValue("editor/history", "[1, 2")
    settings.sync()
    win = open_window(settings)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.compiled is not None, timeout=20000)
    assert win.editor.text() == "1/(1+exp(-x))"
    assert win.editor.history == []
    win.close()


def test_arrow_keys_pan_and_resample(qtbot, window):
    type_expression(qtbot, window, "sin(x)")
    window.plot2d.setFocus()
    x0, x1 = window.plot2d.visible_x_range()
    qtbot.keyClick(window.plot2d, Qt.Key_Right)
    qtbot.waitUntil(lambda: window.plot2d.curve.x[0] == pytest.approx(x0 + 0.1 * (x1 - x0), abs=1e-9))
    qtbot.keyClick(window.plot2d, Qt.Key_Minus)
    nx0, nx1 = window.plot2d.visible_x_range()
    assert nx1 - nx0 == pytest.approx(1.25 * (x1 - x0))


# -- one model: a field set from code moves every control and view -----------------------------


def test_setting_model_fields_from_code_moves_the_controls_and_the_views(qtbot, window):
    from PyQt5.QtWidgets import QDoubleSpinBox

    window.state.update(a=2.5, delta_a=0.125)
    assert window.findChild(QDoubleSpinBox, "pointSpin").value() == 2.5
    assert window.findChild(QDoubleSpinBox, "deltaSpin").value() == 0.125
    x, _y = window.plot2d.points.getData()
    assert list(x) == [2.5, 2.625]  # the view's point moved with no widget touched
    window.state.set_overlay("secant", False)
    assert not window.toggle_actions["secant"].isChecked() and not window.plot2d.secant.isVisible()
    window.toggle_actions["secant"].trigger()  # and back: the action sets the model
    assert window.state.overlay("secant") and window.plot2d.secant.isVisible()
    window.state.update(expression="x^3")
    qtbot.waitUntil(lambda: window.compiled is not None and window.compiled.text == "x^3", timeout=20000)
    assert window.editor.text() == "x^3"


def test_the_lesson_field_set_from_code_shows_that_lesson_and_keeps_the_model(qtbot, window):
    from derivgui.model.lessons import load_lessons

    exercise = next(lesson for lesson in load_lessons() if lesson.exercise and not lesson.two_variables)
    window.state.update(expression=exercise.expression, a=0.75, lesson=exercise.title)
    qtbot.waitUntil(lambda: window.compiled is not None and window.compiled.text == exercise.expression,
                    timeout=20000)
    assert window.formula.answer_hidden and not window.plot2d.df_curve.isVisible()
    assert window.lessons_dock.list.currentItem().data(Qt.UserRole) == exercise.id
    assert window.state.a == 0.75  # the session's point, not the lesson's
    window.state.update(lesson="")
    assert not window.formula.answer_hidden and window.plot2d.df_curve.isVisible()


def test_the_model_says_what_the_compiler_made_of_the_expression(qtbot, window):
    from tests.ui.conftest import type_expression

    status = window.state.compile_status_of(0)
    type_expression(qtbot, window, "x^")
    assert (status.text, status.state) == ("x^", "error") and status.message
    type_expression(qtbot, window, "x^2*y")
    assert (status.text, status.state, status.variables) == ("x^2*y", "ready", ("x", "y"))
