"""Two-way bindings between Qt controls and the fields of the model (derivgui.model.state.AppState).

Each ``bind_*`` function connects one control to one field, both ways, and returns a function that
undoes it:

* the control → the model: a change the user makes is checked (``check_field``) and written with
  ``state.update``; a value the model cannot take (Δ = 0, NaN) is not written and
  never raises;
* the model → the control: the field's event sets the control, only if it shows something else,
  with the control's signals blocked, so that the change does not come back as a user change (no
  echo, no loop). A value the control cannot show (NaN, inf) is left unshown.

Whoever sets a field (a session, a lesson, a test, the control itself) therefore updates every
bound control, with no copy-back written by hand. The model must be changed in the GUI thread
(its events call the controls at once). A binding ends by itself when its control is destroyed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import contextmanager

from PyQt5 import sip
from PyQt5.QtWidgets import QAbstractSlider, QSpinBox

from derivgui.model.state import AppState, check_field

Unbind = Callable[[], None]


@contextmanager
def signals_blocked(*widgets):
    """Block the signals of ``widgets`` for the block, then restore each as it was (QSignalBlocker)."""
    before = [widget.blockSignals(True) for widget in widgets]
    try:
        yield
    finally:
        for widget, was in zip(widgets, before, strict=True):
            widget.blockSignals(was)


def _alive(*widgets) -> bool:
    return not any(sip.isdeleted(widget) for widget in widgets)


def _shown(widget, value) -> int | float | None:
    """``value`` as ``widget`` takes it (an int for a QSpinBox or a slider, clamped first), or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    if isinstance(widget, (QSpinBox, QAbstractSlider)):
        return int(round(min(max(value, widget.minimum()), widget.maximum())))
    return float(value)


def _field_event(state: AppState, field: str):
    if field not in state.field_names():
        raise AttributeError(f"AppState has no field {field!r}")
    return state.events[field]


def _unbinder(*steps: Callable[[], object], widgets=()) -> Unbind:
    """One function that undoes a binding, once; it runs by itself when one of ``widgets`` is destroyed."""
    done = False

    def unbind() -> None:
        nonlocal done
        if done:
            return
        done = True
        for step in (*steps, *(lambda w=widget: w.destroyed.disconnect(on_destroyed) for widget in widgets)):
            try:
                step()
            except (TypeError, RuntimeError, ValueError):  # already disconnected, or the widget is gone
                pass

    def on_destroyed(*_args) -> None:
        unbind()

    for widget in widgets:
        widget.destroyed.connect(on_destroyed)
    return unbind


def bind_value(widget, state: AppState, field: str) -> Unbind:
    """Bind a number field (``a``, ``delta_a``, ``b``, ``delta_b``) to a control with ``valueChanged``,
    ``value()`` and ``setValue()``: a QDoubleSpinBox, a QSpinBox, a QSlider or a control of the
    window that has them (PointControl, StepControl). The control shows the field's value now."""
    event = _field_event(state, field)

    def to_widget(new, _old=None) -> None:
        value = _shown(widget, new)
        if value is None or not _alive(widget) or widget.value() == value:
            return
        with signals_blocked(widget):
            widget.setValue(value)

    def to_model(value) -> None:
        try:
            value = check_field(field, value)
        except ValueError:
            to_widget(getattr(state, field))  # show the model's value again
            return
        state.update(**{field: value})

    to_widget(getattr(state, field))
    widget.valueChanged.connect(to_model)
    event.connect(to_widget)
    return _unbinder(lambda: widget.valueChanged.disconnect(to_model), lambda: event.disconnect(to_widget),
                     widgets=(widget,))


def bind_checked(widget, state: AppState, overlay: str) -> Unbind:
    """Bind overlay ``overlay``'s visibility to a checkable QAction or QAbstractButton (made checkable)."""
    widget.setCheckable(True)

    def to_widget(*_args) -> None:
        shown = state.overlay(overlay)
        if not _alive(widget) or widget.isChecked() == shown:
            return
        with signals_blocked(widget):
            widget.setChecked(shown)

    def to_model(checked: bool) -> None:
        state.set_overlay(overlay, bool(checked))

    to_widget()
    widget.toggled.connect(to_model)
    state.events.overlays.connect(to_widget)
    return _unbinder(lambda: widget.toggled.disconnect(to_model),
                     lambda: state.events.overlays.disconnect(to_widget), widgets=(widget,))
