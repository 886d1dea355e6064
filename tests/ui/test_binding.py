"""Two-way bindings of controls to model fields: the model sets the control, the control sets the
model, nothing echoes or loops, and values the model or the control cannot take never raise."""

from __future__ import annotations

import math

import pytest
from PyQt5.QtWidgets import QAction, QCheckBox, QDoubleSpinBox, QPushButton, QSlider, QSpinBox, QToolButton, QWidget

from derivgui.model.state import AppState
from derivgui.ui.binding import bind_checked, bind_value
from derivgui.ui.panels.controls import PointControl, StepControl


def spin(qtbot, kind=QDoubleSpinBox, lo=-1e6, hi=1e6):
    widget = kind()
    widget.setRange(lo, hi)
    if isinstance(widget, QDoubleSpinBox):
        widget.setDecimals(6)
    qtbot.addWidget(widget)
    return widget


def counter(signal) -> list:
    calls: list = []
    signal.connect(lambda *args: calls.append(args))
    return calls


def subscriber(state: AppState) -> list:
    calls: list = []
    state.subscribe(lambda changed: calls.append(set(changed)))
    return calls


# -- bind_value -----------------------------------------------------------------------------------


def test_value_binding_shows_the_model_at_once(qtbot):
    state = AppState()
    state.update(a=2.5)
    box = spin(qtbot)
    bind_value(box, state, "a")
    assert box.value() == 2.5


def test_setting_the_model_updates_the_widget_without_echo(qtbot):
    state = AppState()
    box = spin(qtbot)
    bind_value(box, state, "a")
    emitted = counter(box.valueChanged)
    calls = subscriber(state)
    state.update(a=-3.25)
    assert box.value() == -3.25
    state.a = 4.0  # a direct set too
    assert box.value() == 4.0
    assert emitted == []  # the widget's signals were blocked: no echo
    assert calls == [{"a"}, {"a"}]  # and the model heard nothing back


def test_the_widget_updates_the_model_once(qtbot):
    state = AppState()
    box = spin(qtbot)
    bind_value(box, state, "delta_a")
    calls = subscriber(state)
    events = counter(state.events.delta_a)
    box.setValue(0.125)  # as the user's typing does
    assert state.delta_a == 0.125
    assert calls == [{"delta_a"}] and events == [(0.125, 1.0)]
    assert box.value() == 0.125


def test_no_loop_between_two_widgets_on_one_field(qtbot):
    state = AppState()
    first, second = spin(qtbot), spin(qtbot)
    bind_value(first, state, "b")
    bind_value(second, state, "b")
    calls = subscriber(state)
    first.setValue(7.5)
    assert state.b == 7.5 and second.value() == 7.5
    second.setValue(-1.0)
    assert state.b == -1.0 and first.value() == -1.0
    assert calls == [{"b"}, {"b"}]


def test_a_rounded_value_is_not_written_back(qtbot):
    state = AppState()
    box = spin(qtbot)
    box.setDecimals(2)
    bind_value(box, state, "a")
    state.update(a=0.123456)
    assert box.value() == 0.12
    assert state.a == 0.123456  # the model keeps its value: the widget's rounding was not echoed


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 1e300])
def test_values_the_widget_cannot_show_never_raise(qtbot, value):
    state = AppState()
    box = spin(qtbot)
    bind_value(box, state, "a")
    state.update(a=value)
    assert state.a == value or math.isnan(value)
    assert math.isfinite(box.value())


def test_values_the_model_refuses_are_not_written(qtbot):
    state = AppState()
    box = spin(qtbot)
    bind_value(box, state, "delta_a")
    calls = subscriber(state)
    box.setValue(0.0)  # Δ = 0: refused, and the widget shows the model's value again
    assert state.delta_a == 1.0 and box.value() == 1.0
    assert calls == []


def test_integer_widgets(qtbot):
    state = AppState()
    box = spin(qtbot, QSpinBox, -100, 100)
    slider = QSlider()
    slider.setRange(-10, 10)
    qtbot.addWidget(slider)
    bind_value(box, state, "a")
    bind_value(slider, state, "a")
    assert box.value() == 1 and slider.value() == 1
    slider.setValue(-4)
    assert state.a == -4.0 and box.value() == -4
    state.update(a=2.6)
    assert box.value() == 3 and slider.value() == 3 and state.a == 2.6
    state.update(a=1e300)  # clamped to the widget's range, not an OverflowError
    assert box.value() == 100 and slider.value() == 10 and state.a == 1e300


def test_the_windows_controls(qtbot):
    """PointControl and StepControl: the inner spin box and slider follow; the control does not echo."""
    state = AppState()
    point = PointControl("a", "pointSpin", "")
    step = StepControl("Δa", "deltaSpin", "")
    for widget in (point, step):
        qtbot.addWidget(widget)
    bind_value(point, state, "a")
    bind_value(step, state, "delta_a")
    emitted = counter(point.valueChanged) + counter(step.valueChanged)
    state.update(a=3.0, delta_a=0.01)
    assert point.spin.value() == 3.0 and step.spin.value() == 0.01
    assert point.slider.value() == round((3.0 + 6.0) / 12.0 * point.slider.maximum())  # moved with its spin
    assert step.slider.value() == step.slider_position(0.01)
    assert emitted == []
    point.spin.setValue(-2.0)  # the user types into the inner spin box
    assert state.a == -2.0
    step.slider.setValue(step.slider_position(1e-5))
    assert state.delta_a == pytest.approx(1e-5, rel=0.2)


def test_unbinding(qtbot):
    state = AppState()
    box = spin(qtbot)
    unbind = bind_value(box, state, "a")
    unbind()
    unbind()  # twice is harmless
    state.update(a=5.0)
    assert box.value() == 1.0
    box.setValue(2.0)
    assert state.a == 5.0


def test_a_destroyed_widget_unbinds_itself(qtbot):
    state = AppState()
    parent = QWidget()
    box = QDoubleSpinBox(parent)
    before = len(state.events.a)
    bind_value(box, state, "a")
    assert len(state.events.a) == before + 1
    parent.deleteLater()
    from PyQt5.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    assert len(state.events.a) == before  # the model no longer holds the widget
    state.update(a=3.0)  # no "wrapped C/C++ object has been deleted"
    assert state.a == 3.0


def test_unknown_field_is_a_programming_error(qtbot):
    with pytest.raises(AttributeError):
        bind_value(spin(qtbot), AppState(), "show_plane")


# -- bind_checked ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [QAction, QCheckBox, QPushButton, QToolButton])
def test_checked_binding_both_ways(qtbot, kind):
    state = AppState()
    holder = QWidget()
    qtbot.addWidget(holder)
    widget = kind(holder) if kind is not QAction else QAction("plane", holder)
    bind_checked(widget, state, "plane")
    assert widget.isCheckable() and widget.isChecked()
    toggled = counter(widget.toggled)
    calls = subscriber(state)
    state.set_overlay("plane", False)
    assert not widget.isChecked() and toggled == []
    state.update(show_plane=True)  # the name of before
    assert widget.isChecked()
    assert calls == [{"overlays"}, {"overlays"}]
    widget.toggle()  # the user
    assert not state.overlay("plane") and not widget.isChecked()
    assert calls[-1] == {"overlays"} and len(calls) == 3
    state.set_overlay("secant", False)  # another overlay: this widget stays
    assert not widget.isChecked() and toggled == [(False,)]


def test_checked_binding_of_an_unknown_overlay(qtbot):
    state = AppState()
    box = QCheckBox()
    qtbot.addWidget(box)
    bind_checked(box, state, "future")
    assert not box.isChecked()
    box.setChecked(True)
    assert state.overlay("future") and state.overlays["future"] is True


def test_an_overlay_the_model_does_not_know_is_off(qtbot):
    state = AppState()
    box = QCheckBox()
    qtbot.addWidget(box)
    box.setChecked(True)
    bind_checked(box, state, "an overlay of a later version")
    assert not box.isChecked()
