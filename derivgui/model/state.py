"""The document as an evented model (no Qt): the one source of truth of what is on screen.

``AppState`` is a dataclass whose fields emit their own change events (psygnal's evented
dataclasses): ``state.events.a.connect(callback)`` calls ``callback(new, old)`` whenever ``a``
changes, whoever changed it (a widget, a session, a lesson, a test). Widgets are bound to fields
both ways (derivgui.ui.binding); sessions and settings are this object as JSON.

Fields:

* ``curves``: the expressions drawn, each a ``Curve`` (text, colour "#rrggbb", visible). The first
  curve is *the* expression: ``state.expression`` reads and writes its text, and
  ``update(expression=…)`` replaces that text (the curve keeps its colour and visibility). There is
  always at least one curve.
* ``a``, ``delta_a``, ``b``, ``delta_b``: the point and the steps; ``x_range``, ``surface_x_range``,
  ``surface_y_range``, ``surface_range_custom``: the 2D view's x range and the 3D surface's domain.
* ``parameters``: named constants with a slider range, each a ``Parameter`` (name, value, lo, hi).
* ``overlays``: visibility by overlay name. It always holds the first version's (``OVERLAYS``: f,
  derivative, secant, tangent, guides, gradient, slices, plane); any other name an overlay
  registers (derivgui.ui.overlays) is kept once set, as are names from a newer file, if their value is
  true or false. A name not in the dict is the overlay's own default. Read it with
  ``state.overlay(name)`` and set it with ``state.set_overlay(name, visible)``: the field is a dict,
  and only assigning a *new* dict emits (never mutate ``state.overlays`` in place).
* ``lesson``: the selected lesson's title, "" when none.

Beside the fields, ``compile_status_of(i)``: what the compiler made of curve i's text (a
``CompileStatus``, evented too), never saved since it is derived from the text on every run.

Whether each curve compiled is not part of the document: it is derived from the text by the compile
process, per run, and belongs to whoever runs the compiler; it is neither saved nor compared here.

Events:

* per field: ``state.events.<field>`` emits ``(new, old)`` after the field changed (a dataclass
  field set directly, ``state.a = 2.0``, emits as well as ``update``). ``state.events.expression``
  emits ``(new_text, old_text)`` when the first curve's text changes. During a multi-field
  ``update`` the per-field events are held until every field is set, so that no callback sees
  half of an update.
* ``subscribe(listener)``: ``listener(changed)`` with the set of the names that changed, once per
  ``update`` call (with every field that call changed) and once per direct attribute set. The set
  holds field names, plus "expression" whenever the first curve's text changed.
* ``update(**changes)`` also takes the old names: ``expression`` (the first curve's text) and
  ``show_f``, ``show_derivative``… (``overlays[…]``), which sessions, settings and lessons of
  before the curves and overlays hold.

``update`` and attribute sets do not validate values (a NaN a computation produced stays visible
for what it is); ``check_field`` validates one, ``from_dict`` validates loaded data field by field,
and ``to_safe_dict`` (what is written to disk) replaces what is unusable by its default.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import partial
from typing import Any, ClassVar

from psygnal import Signal, SignalGroup, SignalGroupDescriptor

from derivgui.expr.names import MAX_PARAMETERS, check_parameter_name
from derivgui.model.compile_status import CompileStatus

DEFAULT_EXPRESSION = "1/(1+exp(-x))"

# The colour of curve i is CURVE_COLORS[i % len]: the first is the 2D view's f (blue); then colours
# that are not already the derivative's (orange), the secant's (red) or the tangent's (green).
CURVE_COLORS = ("#1f77b4", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")

# The overlays of the first version, all shown by default. The views register their overlays by
# name (derivgui.ui.overlays); the model keeps any name's visibility, and one it has not been told
# about is the overlay's own default until the user sets it.
DEFAULT_OVERLAYS: dict[str, bool] = {
    "f": True, "derivative": True, "secant": True,  # in 3D, "secant": the secants along x and y
    "tangent": True,  # in 3D: the tangent lines of the slices
    "guides": True, "gradient": True, "slices": True, "plane": True,
}
OVERLAYS = tuple(DEFAULT_OVERLAYS)
# The old boolean fields, one per overlay (sessions of version 1, settings, lessons): show_f → "f".
SHOW_KEYS = {f"show_{name}": name for name in OVERLAYS}

MAX_CURVES = 16
MAX_UNKNOWN_OVERLAYS = 32  # overlays of a newer version, kept for it
MAX_OVERLAY_NAME = 40
DEFAULT_PARAMETER_RANGE = (-10.0, 10.0)


def curve_color(index: int) -> str:
    """The default colour of the curve at ``index``."""
    return CURVE_COLORS[index % len(CURVE_COLORS)]


@dataclass(frozen=True)
class Curve:
    """One expression as drawn: its text, its colour ("#rrggbb") and whether it is shown."""

    text: str
    color: str = CURVE_COLORS[0]
    visible: bool = True

    def to_dict(self) -> dict:
        return {"text": self.text, "color": self.color, "visible": self.visible}


@dataclass(frozen=True)
class Parameter:
    """A named constant of the expressions, with the range of its slider (lo < hi, lo ≤ value ≤ hi)."""

    name: str
    value: float
    lo: float = DEFAULT_PARAMETER_RANGE[0]
    hi: float = DEFAULT_PARAMETER_RANGE[1]

    def to_dict(self) -> dict:
        return {"name": self.name, "value": self.value, "lo": self.lo, "hi": self.hi}


class AppStateEvents(SignalGroup, signal_aliases={"expression": None}):
    """The events of an AppState: one signal per field, emitting (new, old), and ``expression``.

    The alias to None keeps psygnal from treating a set of the ``expression`` property as a field
    of its own: the set changes ``curves``, whose event emits ``expression``, once.
    """

    expression = Signal(str, str)


_FIRST, _LAST = 1000, -1000  # psygnal's priorities: higher is called first, 0 by default


class _Hub:
    """What an AppState keeps beside its fields: the subscribers, and the update in progress."""

    __slots__ = ("listeners", "pending")

    def __init__(self) -> None:
        self.listeners: list[Callable[[set[str]], None]] = []
        self.pending: set[str] | None = None  # during update(): the names changed so far


def _default_curves() -> tuple[Curve, ...]:
    return (Curve(DEFAULT_EXPRESSION, CURVE_COLORS[0], True),)


@dataclass
class AppState:
    curves: tuple[Curve, ...] = field(default_factory=_default_curves)  # the first is the expression
    a: float = 1.0
    delta_a: float = 1.0
    b: float = 1.0
    delta_b: float = 1.0
    x_range: tuple[float, float] = (-6.0, 6.0)  # the 2D view's visible x range
    surface_x_range: tuple[float, float] = (-6.0, 6.0)  # the 3D surface's domain
    surface_y_range: tuple[float, float] = (-6.0, 6.0)
    surface_range_custom: bool = False  # the user set the surface range: keep it for new expressions
    parameters: tuple[Parameter, ...] = ()
    overlays: dict[str, bool] = field(default_factory=lambda: dict(DEFAULT_OVERLAYS))
    lesson: str = ""  # the selected lesson's title

    events: ClassVar[SignalGroupDescriptor] = SignalGroupDescriptor(signal_group_class=AppStateEvents)

    def __post_init__(self) -> None:
        self._hub = _Hub()
        self.compile_status: list[CompileStatus] = []  # per curve; never saved (see compile_status_of)
        if not isinstance(self.curves, tuple):
            self.curves = tuple(self.curves)
        if not isinstance(self.parameters, tuple):
            self.parameters = tuple(self.parameters)
        if not all(name in self.overlays for name in OVERLAYS):
            self.overlays = {**DEFAULT_OVERLAYS, **self.overlays}
        events = self.events
        events.curves.connect(self._emit_expression, check_nargs=False, priority=_FIRST)
        for name in _FIELD_NAMES:  # after every other callback of the field: subscribers hear last
            events[name].connect(partial(self._relay, name), check_nargs=False, priority=_LAST)

    def compile_status_of(self, index: int = 0) -> CompileStatus:
        """What the compiler made of curve ``index``'s text (evented, not saved: derived each run)."""
        while len(self.compile_status) <= index:
            self.compile_status.append(CompileStatus())
        return self.compile_status[index]

    # -- the expression: the first curve's text -------------------------------------------------

    @property
    def expression(self) -> str:
        return self.curves[0].text if self.curves else ""

    @expression.setter
    def expression(self, text: str) -> None:
        self.curves = _with_expression(self.curves, text)

    # -- overlays -------------------------------------------------------------------------------

    def overlay(self, name: str) -> bool:
        """Whether overlay ``name`` is shown (its default if unset; False for a name nobody knows)."""
        return bool(self.overlays.get(name, DEFAULT_OVERLAYS.get(name, False)))

    def set_overlay(self, name: str, visible: bool) -> set[str]:
        """Show or hide overlay ``name``: a new dict is assigned, so the field emits (if it changed)."""
        return self.update(overlays={**self.overlays, name: bool(visible)})

    # -- change notification --------------------------------------------------------------------

    def subscribe(self, listener: Callable[[set[str]], None]) -> Callable[[], None]:
        """Call ``listener(changed_names)`` after every change; returns a function that unsubscribes.

        One call per ``update`` (with every name it changed) and one per direct attribute set.
        """
        listeners = self._hub.listeners
        listeners.append(listener)

        def unsubscribe() -> None:
            if listener in listeners:
                listeners.remove(listener)

        return unsubscribe

    def update(self, **changes) -> set[str]:
        """Set several fields at once; returns the names that changed (as subscribers get them).

        The names are the fields, plus ``expression`` and the ``show_*`` of before the overlays
        (applied on top of ``curves`` and ``overlays`` if both are given). Lists become tuples, and
        the objects of ``to_dict`` curves and parameters, so ``update(**other.to_dict())`` copies
        ``other``; nothing is checked (``from_dict`` checks saved data).
        Each subscriber is called once, after every field is set, with the whole set; the
        per-field events come first, also after every field is set.
        """
        values: dict[str, Any] = {}
        legacy = None
        for name, value in changes.items():
            if name in _FIELD_SET:
                if type(value) is list:
                    value = tuple(value)
                if name in _ITEM_TYPES and isinstance(value, tuple):  # to_dict's objects back into items
                    item_type = _ITEM_TYPES[name]
                    value = tuple(item_type(**item) if isinstance(item, dict) else item for item in value)
                elif name == "overlays" and isinstance(value, Mapping):
                    value = {**DEFAULT_OVERLAYS, **value}
                values[name] = value
            elif name == "expression" or name in SHOW_KEYS:
                legacy = legacy or {}
                legacy[name] = value
            else:
                raise AttributeError(f"AppState has no field {name!r}")
        if legacy:
            for name, value in legacy.items():
                if name == "expression":
                    values["curves"] = _with_expression(values.get("curves", self.curves), value)
                else:
                    values["overlays"] = {**values.get("overlays", self.overlays), SHOW_KEYS[name]: value}
        changed = [(name, value) for name, value in values.items() if getattr(self, name) != value]
        if not changed:
            return set()
        hub = self._hub
        outer = hub.pending
        pending = hub.pending = set()
        try:
            if len(changed) == 1:
                setattr(self, *changed[0])
            else:
                group = self.events
                held = [group[name] for name, _value in changed]
                for signal in held:  # each field's event waits until every field is set
                    signal.pause()
                try:
                    for name, value in changed:
                        setattr(self, name, value)
                finally:
                    _resume(held)
        finally:
            hub.pending = outer
        if pending:
            for listener in list(hub.listeners):
                listener(pending)
        return pending

    def _relay(self, name: str, new, old) -> None:
        """Every field event: collected during an update, else passed on to the subscribers at once."""
        names = {name}
        if name == "curves" and _first_text(new) != _first_text(old):
            names.add("expression")
        hub = self._hub
        if hub.pending is not None:
            hub.pending.update(names)
            return
        for listener in list(hub.listeners):
            listener(names)

    def _emit_expression(self, new: tuple[Curve, ...], old: tuple[Curve, ...]) -> None:
        new_text, old_text = _first_text(new), _first_text(old)
        if new_text != old_text:
            self.events.expression.emit(new_text, old_text)

    # -- data -----------------------------------------------------------------------------------

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The fields, in order: the keys of ``to_dict`` (``expression`` and ``show_*`` are not fields)."""
        return _FIELD_NAMES

    def to_dict(self) -> dict:
        """The fields as JSON-ready data: tuples as lists, curves and parameters as objects."""
        return {name: _plain(getattr(self, name)) for name in _FIELD_NAMES}

    def to_safe_dict(self) -> dict:
        """``to_dict`` with every unusable value (NaN, inf, a collapsed range…) replaced by its default.

        What is written to disk (settings, sessions) comes from here, so that a file never holds a
        value that the next start would have to throw away. In ``curves``, ``parameters`` and
        ``overlays`` the unusable entries are left out (a first curve that is unusable becomes the
        default expression) and the rest is kept.
        """
        data = self.to_dict()
        for name, value in data.items():
            try:
                data[name] = _plain(_loaded(name, value, _Notes()))
            except ValueError:
                data[name] = _plain(_DEFAULTS[name])
        return data

    @classmethod
    def from_dict(cls, data: dict, problems: list[str] | None = None) -> AppState:
        """A state from saved data, checked field by field.

        Unknown keys are ignored. A value that cannot be used (wrong type, not finite, out of range,
        a range whose width overflows or vanishes) is replaced by its default, so one bad field never
        costs the others, and a short note for the user is appended to ``problems`` (if given). In
        ``curves``, ``parameters`` and ``overlays`` each entry is checked on its own: an unusable one
        is left out (or clamped, for a parameter's value) with a note. At most MAX_CURVES curves and
        MAX_PARAMETERS parameters are kept. The keys of before the curves and overlays are read
        too: ``expression`` (when there is no usable ``curves``) and ``show_f``, ``show_plane``…
        (under ``overlays``, which wins). Only data that is not a dict raises (``ValueError``);
        nothing else is ever raised for data that ``json.loads`` can produce. A copy of a live
        state (``from_dict(state.to_dict())``) is therefore always usable, even if something put
        NaN into the original.
        """
        if not isinstance(data, dict):
            raise ValueError("the state is not a JSON object")
        notes = _Notes(problems)
        shown = dict(DEFAULT_OVERLAYS)  # the overlays of before: show_f, show_plane…
        for key, name in SHOW_KEYS.items():
            if key in data:
                try:
                    shown[name] = _checked(key, data[key], True)
                except ValueError as exc:
                    notes.add(str(exc))
        values: dict[str, Any] = {}
        if shown != DEFAULT_OVERLAYS:
            values["overlays"] = shown
        for name in _FIELD_NAMES:
            if name not in data:
                continue
            try:
                values[name] = (_overlays(data[name], notes, shown) if name == "overlays"
                                else _loaded(name, data[name], notes))
            except ValueError as exc:
                notes.add(str(exc))
        if "curves" not in values and "expression" in data:
            try:
                values["curves"] = _with_expression(_default_curves(),
                                                    _checked("expression", data["expression"], DEFAULT_EXPRESSION))
            except ValueError as exc:
                notes.add(str(exc))
        return cls(**values)


def _resume(signals: list) -> None:
    """Resume each of ``signals`` in order (emitting what they held), even if a callback raises."""
    for i, signal in enumerate(signals):
        try:
            signal.resume()
        except BaseException:
            _resume(signals[i + 1:])
            raise


def _first_text(curves: tuple[Curve, ...]) -> str:
    return curves[0].text if curves else ""


def _with_expression(curves: tuple[Curve, ...], text) -> tuple[Curve, ...]:
    """``curves`` with the first curve's text replaced by ``text`` (a first curve made if none)."""
    if not curves:
        return (Curve(text, CURVE_COLORS[0], True),)
    return (replace(curves[0], text=text), *curves[1:])


def _plain(value):
    """A field's value as JSON-ready data."""
    if isinstance(value, tuple):
        return [item.to_dict() if isinstance(item, (Curve, Parameter)) else item for item in value]
    if isinstance(value, dict):
        return dict(value)
    return value


_FIELD_NAMES = tuple(f.name for f in fields(AppState))
_ITEM_TYPES: dict[str, Any] = {"curves": Curve, "parameters": Parameter}
_FIELD_SET = frozenset(_FIELD_NAMES)
_DEFAULTS = {name: getattr(AppState(), name) for name in _FIELD_NAMES}

MAX_MAGNITUDE = 1e300  # a, b, Δ, range ends and parameters: finite and at most this large
MIN_DELTA = 1e-300  # |Δ| at least this: a subnormal step only measures rounding
MAX_TEXT = 10_000  # characters of an expression (the parser takes 2000; the rest is never a formula)
MIN_WIDTH = 1e-200  # a range at least this wide …
RELATIVE_WIDTH = 1e-12  # … and at least this fraction of max(1, |centre|): thousands of floats across
_COLOR = re.compile(r"#[0-9a-fA-F]{6}", re.ASCII)


def check_field(name: str, value):
    """``value`` as field ``name`` of AppState takes it; ``ValueError`` naming the field if it cannot.

    ``expression`` (the first curve's text) and ``show_*`` (true or false) are checked too. In
    ``curves``, ``parameters`` and ``overlays`` the first unusable entry raises.
    """
    if name == "expression":
        return _checked(name, value, DEFAULT_EXPRESSION)
    if name in SHOW_KEYS:
        return _checked(name, value, True)
    return _loaded(name, value, _Notes(strict=True))


def check_range(name: str, lo: float, hi: float) -> tuple[float, float]:
    """(lo, hi) as floats if they make a usable range; ``ValueError`` with a short reason if not."""
    try:
        lo, hi = _number(name, lo), _number(name, hi)
    except ValueError:
        raise ValueError(f"{name} must be two finite numbers, at most {MAX_MAGNITUDE:g} in size") from None
    if not lo < hi:
        raise ValueError(f"{name} must go from a smaller to a larger number")
    width = hi - lo
    centre = lo / 2 + hi / 2
    if not math.isfinite(width):
        raise ValueError(f"{name} is too wide (its width overflows)")
    if width < MIN_WIDTH or width < RELATIVE_WIDTH * max(1.0, abs(centre)):
        raise ValueError(f"{name} is too narrow for its position (width {width:.3g} at {centre:.6g})")
    return lo, hi


class _Notes:
    """Where the problems of a check go: a list (or nowhere), or, if strict, a ValueError at once."""

    def __init__(self, into: list[str] | None = None, strict: bool = False) -> None:
        self.into = into
        self.strict = strict

    def add(self, note: str) -> None:
        if self.strict:
            raise ValueError(note)
        if self.into is not None:
            self.into.append(note)


def _loaded(name: str, value, notes: _Notes):
    """``value`` checked as field ``name``; entries of the collections are checked one by one."""
    if name == "curves":
        return _curves(value, notes)
    if name == "parameters":
        return _parameters(value, notes)
    if name == "overlays":
        return _overlays(value, notes)
    return _checked(name, value, _DEFAULTS[name])


def _text(name: str, value) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text")
    if len(value) > MAX_TEXT:
        raise ValueError(f"{name} is too long ({len(value)} characters; at most {MAX_TEXT})")
    if not is_clean_text(value):
        raise ValueError(f"{name} holds characters that are not text")
    return value


def _items(name: str, value, limit: int, what: str, notes: _Notes) -> list:
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{name} must be a list of {what}")
    if len(value) > limit:
        notes.add(f"{name}: only the first {limit} of {len(value)} {what} were kept")
        value = value[:limit]
    return list(value)


def _curves(value, notes: _Notes) -> tuple[Curve, ...]:
    items = _items("curves", value, MAX_CURVES, "curves", notes)
    if not items:
        raise ValueError("curves must hold at least one curve (the expression)")
    curves: list[Curve] = []
    for i, item in enumerate(items):
        try:
            curves.append(_curve(item, len(curves), notes))
        except ValueError as exc:
            if i == 0:
                notes.add(f"curves: the expression {exc}; the default is used")
                curves.append(_default_curves()[0])
            else:
                notes.add(f"curves: curve {i + 1} {exc}; it was left out")
    return tuple(curves)


def _curve(item, index: int, notes: _Notes) -> Curve:
    if isinstance(item, Curve):
        item = item.to_dict()
    if not isinstance(item, dict):
        raise ValueError("is not an object")
    text = item.get("text")
    if not isinstance(text, str):
        raise ValueError("has no text" if text is None else "has a text that is not a string")
    if len(text) > MAX_TEXT:
        raise ValueError(f"has a text too long ({len(text)} characters; at most {MAX_TEXT})")
    if not is_clean_text(text):
        raise ValueError("has a text with characters that are not text")
    color = item.get("color", curve_color(index))
    if not (isinstance(color, str) and _COLOR.fullmatch(color)):
        notes.add(f"curves: curve {index + 1}'s colour must be #rrggbb; {curve_color(index)} is used")
        color = curve_color(index)
    visible = item.get("visible", True)
    if not isinstance(visible, bool):
        notes.add(f"curves: curve {index + 1}'s visible must be true or false; it is shown")
        visible = True
    return Curve(text, color.lower(), visible)


def _parameters(value, notes: _Notes) -> tuple[Parameter, ...]:
    items = _items("parameters", value, MAX_PARAMETERS, "parameters", notes)
    parameters: list[Parameter] = []
    for i, item in enumerate(items):
        try:
            parameter = _parameter(item, notes)
        except ValueError as exc:
            notes.add(f"parameters: parameter {i + 1} was left out: {exc}")
            continue
        if any(p.name == parameter.name for p in parameters):
            notes.add(f"parameters: parameter {i + 1} was left out: {parameter.name} is named twice")
            continue
        parameters.append(parameter)
    return tuple(parameters)


def _parameter(item, notes: _Notes) -> Parameter:
    if isinstance(item, Parameter):
        item = item.to_dict()
    if not isinstance(item, dict):
        raise ValueError("it is not an object")
    if "name" not in item or "value" not in item:
        raise ValueError("it needs a name and a value")
    name = check_parameter_name(item["name"])
    value = _number(f"{name}'s value", item["value"])
    lo, hi = check_range(f"{name}'s range", item.get("lo", DEFAULT_PARAMETER_RANGE[0]),
                         item.get("hi", DEFAULT_PARAMETER_RANGE[1]))
    if not lo <= value <= hi:
        clamped = min(max(value, lo), hi)
        notes.add(f"parameters: {name} = {value:.6g} is outside its range; {clamped:.6g} is used")
        value = clamped
    return Parameter(name, value, lo, hi)


def _overlays(value, notes: _Notes, base: Mapping[str, bool] = DEFAULT_OVERLAYS) -> dict[str, bool]:
    """The overlays in ``value``, over ``base`` (the defaults, or what the keys of before said)."""
    if not isinstance(value, Mapping):
        raise ValueError("overlays must be an object of true or false values")
    overlays = dict(base)
    unknown = dropped = 0
    for name, visible in value.items():
        if name in DEFAULT_OVERLAYS:
            if isinstance(visible, bool):
                overlays[name] = visible
            else:
                notes.add(f"overlays: {name} must be true or false")
        elif (isinstance(name, str) and 0 < len(name) <= MAX_OVERLAY_NAME and name.isprintable()
              and is_clean_text(name) and isinstance(visible, bool) and unknown < MAX_UNKNOWN_OVERLAYS):
            overlays[name] = visible  # an overlay of a later version: kept for it
            unknown += 1
        else:
            dropped += 1
            if notes.strict:
                notes.add(f"overlays: an unknown overlay needs a name of at most {MAX_OVERLAY_NAME} characters and "
                          f"true or false (at most {MAX_UNKNOWN_OVERLAYS} of them)")
    if dropped:
        notes.add(f"overlays: {dropped} unknown {'entry was' if dropped == 1 else 'entries were'} left out (each needs "
                  f"a short name and true or false; at most {MAX_UNKNOWN_OVERLAYS})")
    return overlays


def _number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number")
    try:
        number = float(value)  # a huge JSON integer: OverflowError
    except (OverflowError, ValueError, TypeError):
        raise ValueError(f"{name} must be a finite number") from None
    if not math.isfinite(number) or abs(number) > MAX_MAGNITUDE:
        raise ValueError(f"{name} must be finite and at most {MAX_MAGNITUDE:g} in size")
    return number


def _checked(name: str, value, default):
    """``value`` converted to the type of ``default`` if it is usable for field ``name``; else ValueError."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    if isinstance(default, float):
        number = _number(name, value)
        if name.startswith("delta") and not MIN_DELTA <= abs(number):
            raise ValueError(f"{name} must not be 0" if number == 0 else f"{name} is too small (under {MIN_DELTA:g})")
        return number
    if isinstance(default, tuple):
        if not (isinstance(value, (list, tuple)) and len(value) == 2):
            raise ValueError(f"{name} must be a pair of numbers")
        return check_range(name, *value)
    if isinstance(default, str):
        return _text(name, value)
    return value


def is_clean_text(text: str) -> bool:
    """True if ``text`` can be shown and saved: valid UTF-8 (no lone surrogates) and no NUL."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text
