"""The app state as plain data with change notification (no Qt).

Widgets write through ``update`` and redraw from the callbacks, so the state, not any widget, is
the truth; sessions are this object as JSON.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields

DEFAULT_EXPRESSION = "1/(1+exp(-x))"


@dataclass
class AppState:
    expression: str = DEFAULT_EXPRESSION
    a: float = 1.0
    delta_a: float = 1.0
    b: float = 1.0
    delta_b: float = 1.0
    x_range: tuple[float, float] = (-6.0, 6.0)  # the 2D view's visible x range
    surface_x_range: tuple[float, float] = (-6.0, 6.0)  # the 3D surface's domain
    surface_y_range: tuple[float, float] = (-6.0, 6.0)
    surface_range_custom: bool = False  # the user set the surface range: keep it for new expressions
    show_f: bool = True
    show_derivative: bool = True
    show_secant: bool = True  # in 3D: the secants along x and y
    show_tangent: bool = True  # in 3D: the tangent lines of the slices
    show_guides: bool = True
    show_gradient: bool = True
    show_slices: bool = True
    show_plane: bool = True
    _listeners: list[Callable[[set[str]], None]] = field(default_factory=list, repr=False, compare=False)

    def subscribe(self, listener: Callable[[set[str]], None]) -> None:
        """Call ``listener(changed_field_names)`` after every update that changes something."""
        self._listeners.append(listener)

    def update(self, **changes) -> set[str]:
        changed = set()
        for name, value in changes.items():
            if name.startswith("_") or name not in self.field_names():
                raise AttributeError(f"AppState has no field {name!r}")
            if isinstance(value, list):
                value = tuple(value)
            if getattr(self, name) != value:
                setattr(self, name, value)
                changed.add(name)
        if changed:
            for listener in list(self._listeners):
                listener(changed)
        return changed

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls) if not f.name.startswith("_"))

    def to_dict(self) -> dict:
        data = {name: getattr(self, name) for name in self.field_names()}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}

    def to_safe_dict(self) -> dict:
        """``to_dict`` with every unusable value (NaN, inf, a collapsed range…) replaced by its default.

        What is written to disk (settings, sessions) comes from here, so that a file never holds a
        value that the next start would have to throw away.
        """
        data = self.to_dict()
        for name, value in data.items():
            try:
                _checked(name, value, _DEFAULTS[name])
            except ValueError:
                default = _DEFAULTS[name]
                data[name] = list(default) if isinstance(default, tuple) else default
        return data

    @classmethod
    def from_dict(cls, data: dict, problems: list[str] | None = None) -> AppState:
        """A state from saved data, checked field by field.

        Unknown keys are ignored. A value that cannot be used (wrong type, not finite, out of range,
        a range whose width overflows or vanishes) is replaced by its default, so one bad field never
        costs the others, and a short note for the user is appended to ``problems`` (if given). Only
        data that is not a dict raises (``ValueError``); nothing else is ever raised for data that
        ``json.loads`` can produce. A copy of a live state (``from_dict(state.to_dict())``) is
        therefore always usable, even if something put NaN into the original.
        """
        if not isinstance(data, dict):
            raise ValueError("the state is not a JSON object")
        state = cls()
        for name in cls.field_names():
            if name not in data:
                continue
            try:
                value = _checked(name, data[name], _DEFAULTS[name])
            except ValueError as exc:
                if problems is not None:
                    problems.append(str(exc))
                continue
            setattr(state, name, value)
        return state


_DEFAULTS = {name: getattr(AppState(), name) for name in AppState.field_names()}

MAX_MAGNITUDE = 1e300  # a, b, Δ and range ends: finite and at most this large
MIN_DELTA = 1e-300  # |Δ| at least this: a subnormal step only measures rounding
MAX_TEXT = 10_000  # characters of an expression (the parser takes 2000; the rest is never a formula)
MIN_WIDTH = 1e-200  # a range at least this wide …
RELATIVE_WIDTH = 1e-12  # … and at least this fraction of max(1, |centre|): thousands of floats across


def check_field(name: str, value):
    """``value`` as field ``name`` of AppState takes it; ``ValueError`` naming the field if it cannot."""
    return _checked(name, value, _DEFAULTS[name])


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
        if not isinstance(value, str):
            raise ValueError(f"{name} must be text")
        if len(value) > MAX_TEXT:
            raise ValueError(f"{name} is too long ({len(value)} characters; at most {MAX_TEXT})")
        if not is_clean_text(value):
            raise ValueError(f"{name} holds characters that are not text")
        return value
    return value


def is_clean_text(text: str) -> bool:
    """True if ``text`` can be shown and saved: valid UTF-8 (no lone surrogates) and no NUL."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text
