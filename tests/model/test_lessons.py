"""Lessons set the model: their ``show`` (the names of before the overlays) maps to overlays."""

from __future__ import annotations

import pytest

from derivgui.model.lessons import load_lessons
from derivgui.model.state import DEFAULT_OVERLAYS, AppState


@pytest.mark.parametrize("lesson", load_lessons(), ids=lambda lesson: lesson.id)
def test_each_lesson_applies_to_the_model(lesson):
    state = AppState()
    state.set_overlay("normal", True)
    state.update(b=5.0)
    calls: list = []
    state.subscribe(calls.append)
    state.update(**lesson.state_changes(), lesson=lesson.title)
    assert len(calls) <= 1
    assert state.expression == lesson.expression and state.lesson == lesson.title
    assert (state.a, state.delta_a) == (lesson.point[0], lesson.delta[0])
    assert state.overlays == lesson.overlays
    assert set(state.overlays) == set(DEFAULT_OVERLAYS)
    for key, shown in lesson.show.items():
        assert state.overlay(key.removeprefix("show_")) is shown
    if not lesson.two_variables:
        assert state.b == 5.0  # what the lesson does not set stays


def test_the_files_use_the_names_of_before():
    shows = {key for lesson in load_lessons() for key in lesson.show}
    assert shows and all(key.startswith("show_") for key in shows)
    first = next(lesson for lesson in load_lessons() if lesson.show)
    assert all(first.overlays[key.removeprefix("show_")] is value for key, value in first.show.items())
