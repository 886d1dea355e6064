"""The notebook's examples and exercises as data; their texts live in resources/lessons/."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache

from derivgui.model.state import DEFAULT_OVERLAYS, SHOW_KEYS
from derivgui.resources_path import read_text


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    expression: str
    point: tuple[float, ...]  # (a,) or (a, b)
    delta: tuple[float, ...]  # (Δa,) or (Δa, Δb)
    explanation_file: str
    x_range: tuple[float, float] | None = None  # the 2D view's x range
    surface_range: tuple[tuple[float, float], tuple[float, float]] | None = None
    exercise: bool = False  # the check editor starts empty and only a match says "correct"
    my_derivative: tuple[str, ...] = ()  # pre-filled into the check editors (examples only)
    answers: tuple[str, ...] = ()  # one correct answer per variable (exercises)
    show: dict[str, bool] = field(default_factory=dict)  # overlay toggles this lesson sets, as in the file
    # "f": the 2D view's y range fits f alone (by default f and f′: x·sin(1/x)'s f′ is ±17 where f is ±0.5)
    fit_y: str = "f and f′"
    # Guide lines y = slope·x + intercept drawn dashed grey (x·sin(1/x) between y = x and y = −x), and their name
    envelope: tuple[tuple[float, float], ...] = ()
    envelope_label: str = ""

    @property
    def two_variables(self) -> bool:
        return len(self.point) == 2

    def explanation_html(self) -> str:
        return read_text("lessons", self.explanation_file)

    @property
    def overlays(self) -> dict[str, bool]:
        """Every overlay's visibility for this lesson: the defaults, then what it sets.

        The file says ``"show": {"show_secant": false}`` (the names of before the overlays) or
        ``"show": {"secant": false}``; both mean overlay "secant".
        """
        return {**DEFAULT_OVERLAYS, **{SHOW_KEYS.get(key, key): bool(value) for key, value in self.show.items()}}

    def state_changes(self) -> dict:
        """The AppState changes this lesson makes (everything else the user had stays).

        ``expression`` (the first curve's text), the point and steps, the ranges it gives and every
        overlay (``overlays``: the defaults, then the lesson's). The caller selects the lesson
        (``lesson=lesson.title``) in the same update.
        """
        changes: dict = {"expression": self.expression, "a": self.point[0], "delta_a": self.delta[0]}
        if self.two_variables:
            changes.update(b=self.point[1], delta_b=self.delta[1])
        if self.x_range is not None:
            changes["x_range"] = self.x_range
        if self.surface_range is not None:
            changes.update(surface_x_range=self.surface_range[0], surface_y_range=self.surface_range[1],
                           surface_range_custom=True)
        changes["overlays"] = self.overlays
        return changes


def _pair(values) -> tuple[float, float]:
    lo, hi = (float(v) for v in values)
    return lo, hi


def _x_and_y_ranges(values) -> tuple[tuple[float, float], tuple[float, float]]:
    x_range, y_range = (_pair(v) for v in values)
    return x_range, y_range


@lru_cache(maxsize=1)
def load_lessons() -> tuple[Lesson, ...]:
    data = json.loads(read_text("lessons", "lessons.json"))
    lessons = []
    for item in data["lessons"]:
        lessons.append(Lesson(
            id=item["id"],
            title=item["title"],
            expression=item["expression"],
            point=tuple(float(v) for v in item["point"]),
            delta=tuple(float(v) for v in item["delta"]),
            explanation_file=item["explanation"],
            x_range=_pair(item["x_range"]) if "x_range" in item else None,
            surface_range=_x_and_y_ranges(item["surface_range"]) if "surface_range" in item else None,
            exercise=bool(item.get("exercise", False)),
            my_derivative=tuple(item.get("my_derivative", ())),
            answers=tuple(item.get("answers", ())),
            show=dict(item.get("show", {})),
            fit_y=str(item.get("fit_y", "f and f′")),
            envelope=tuple(_pair(line) for line in item.get("envelope", ())),
            envelope_label=str(item.get("envelope_label", "")),
        ))
    return tuple(lessons)


def lesson_by_id(lesson_id: str) -> Lesson:
    for lesson in load_lessons():
        if lesson.id == lesson_id:
            return lesson
    raise KeyError(lesson_id)
