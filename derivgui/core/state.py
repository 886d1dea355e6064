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

    @classmethod
    def from_dict(cls, data: dict) -> AppState:
        """A state from saved data; unknown keys are ignored and bad values raise ValueError."""
        state = cls()
        defaults = cls()
        for name in cls.field_names():
            if name not in data:
                continue
            value = data[name]
            default = getattr(defaults, name)
            setattr(state, name, _checked(name, value, default))
        return state


def _checked(name: str, value, default):
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number")
        if name.startswith("delta") and value == 0:
            raise ValueError(f"{name} must not be 0")
        return float(value)
    if isinstance(default, tuple):
        if not (isinstance(value, (list, tuple)) and len(value) == 2):
            raise ValueError(f"{name} must be a pair of numbers")
        lo, hi = (_checked(name, v, 0.0) for v in value)
        if not lo < hi:
            raise ValueError(f"{name} must go from a smaller to a larger number")
        return (lo, hi)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ValueError(f"{name} must be text")
        return value
    return value
