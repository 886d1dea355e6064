"""Session files: round trip, documented format, and every kind of bad file gives SessionError."""

from __future__ import annotations

import json
import os

import pytest

from derivgui.model.session import (
    FORMAT,
    VERSION,
    SessionError,
    load_session,
    loads,
    save_session,
    session_to_dict,
)
from derivgui.model.state import SHOW_KEYS, AppState, Curve, Parameter
from tests.fifo import unblock_fifo_later


def value_of(state: AppState, key: str):
    """A key of the saved state as the state reads it: ``show_plane`` of version 1 is overlay "plane"."""
    return state.overlay(SHOW_KEYS[key]) if key in SHOW_KEYS else getattr(state, key)


def custom_state() -> AppState:
    state = AppState()
    state.update(expression="x^2*y + y", a=1.0, b=2.0, delta_a=0.5, delta_b=-0.25,
                 x_range=(-4.0, 4.0), surface_x_range=(0.0, 10.0), surface_y_range=(0.0, 10.0),
                 surface_range_custom=True, show_plane=False, show_guides=False)
    state.update(curves=(*state.curves, Curve("sin(x)", "#ff0000", False), Curve("x^3", "#00aa00")),
                 parameters=(Parameter("k", 2.5, -5.0, 5.0), Parameter("omega_2", 0.0, 0.0, 1.0)),
                 lesson="A kink: abs(x) at 0 has no tangent")
    state.set_overlay("normal", True)
    return state


def test_round_trip(tmp_path):
    path = tmp_path / "s.derivgui.json"
    state = custom_state()
    save_session(path, state, ["x^2", "tanh(x)", 3])
    loaded, history = load_session(path)
    assert loaded == state
    assert history == ["x^2", "tanh(x)"]


def test_file_is_the_documented_json(tmp_path):
    path = tmp_path / "s.json"
    save_session(path, custom_state(), ["x^2"])
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == FORMAT == "derivgui-session"
    assert data["version"] == VERSION == 2
    state = data["state"]
    assert state["curves"] == [{"text": "x^2*y + y", "color": "#1f77b4", "visible": True},
                               {"text": "sin(x)", "color": "#ff0000", "visible": False},
                               {"text": "x^3", "color": "#00aa00", "visible": True}]
    assert state["parameters"] == [{"name": "k", "value": 2.5, "lo": -5.0, "hi": 5.0},
                                   {"name": "omega_2", "value": 0.0, "lo": 0.0, "hi": 1.0}]
    assert state["overlays"] == {"f": True, "derivative": True, "secant": True, "tangent": True, "guides": False,
                                 "gradient": True, "slices": True, "plane": False, "normal": True}
    assert state["lesson"] == "A kink: abs(x) at 0 has no tangent"
    assert state["x_range"] == [-4.0, 4.0]
    assert data["history"] == ["x^2"]
    assert set(state) == set(AppState.field_names()) == {
        "curves", "a", "delta_a", "b", "delta_b", "x_range", "surface_x_range", "surface_y_range",
        "surface_range_custom", "parameters", "overlays", "lesson"}
    assert not any(key.startswith("show_") for key in state) and "expression" not in state


def test_the_docstring_documents_every_key():
    import derivgui.model.session as session

    for key in AppState.field_names():
        assert f'"{key}"' in session.__doc__, key
    assert '"version": 2' in session.__doc__


def test_version_1_sessions_are_read():
    """A file of before the curves and overlays: its expression is the first curve, show_* the overlays."""
    text = json.dumps({"format": FORMAT, "version": 1, "saved_by": "derivgui 0.1.0", "state": {
        "expression": "x^2*y + y", "a": 1.0, "delta_a": 0.5, "b": 2.0, "delta_b": -0.25,
        "x_range": [-4.0, 4.0], "surface_x_range": [0.0, 10.0], "surface_y_range": [0.0, 10.0],
        "surface_range_custom": True, "show_f": True, "show_derivative": False, "show_secant": True,
        "show_tangent": True, "show_guides": False, "show_gradient": True, "show_slices": True,
        "show_plane": False}, "history": ["x^2"]})
    warnings: list[str] = []
    state, history = loads(text, warnings)
    assert warnings == [] and history == ["x^2"]
    assert state.expression == "x^2*y + y"
    assert state.curves == (Curve("x^2*y + y", "#1f77b4", True),)
    assert state.overlays == {"f": True, "derivative": False, "secant": True, "tangent": True, "guides": False,
                              "gradient": True, "slices": True, "plane": False}
    assert (state.a, state.delta_a, state.b, state.delta_b) == (1.0, 0.5, 2.0, -0.25)
    assert state.surface_range_custom and state.surface_x_range == (0.0, 10.0)
    assert state.parameters == () and state.lesson == ""
    again, _ = loads(json.dumps(session_to_dict(state)))  # written back as version 2
    assert again == state


def test_new_keys_win_over_the_old_ones():
    state, _ = loads(session_text({"expression": "tanh(x)", "curves": [{"text": "sin(x)"}],
                                   "show_plane": False, "show_f": False, "overlays": {"f": True}}))
    assert state.expression == "sin(x)"
    assert state.overlay("f") and not state.overlay("plane")


def test_unknown_keys_and_missing_keys(tmp_path):
    text = json.dumps({"format": FORMAT, "version": 1, "future": {"x": 1},
                       "state": {"expression": "sin(x)", "a": 2, "colour": "red"}})
    state, history = loads(text)
    assert state.expression == "sin(x)" and state.a == 2.0
    assert state.delta_a == AppState().delta_a
    assert history == []


def test_save_replaces_atomically(tmp_path, monkeypatch):
    path = tmp_path / "s.json"
    save_session(path, AppState(), [])
    before = path.read_bytes()
    import derivgui.model.session as session

    monkeypatch.setattr(session, "dumps", lambda *a: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        session.save_session(path, custom_state(), [])
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]


@pytest.mark.parametrize("content, message", [
    (b"", "not valid JSON"),
    (b'{"format": "derivgui-session", "version": 1, "state": {', "not valid JSON"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "not UTF-8"),
    (b"[1, 2, 3]", "not a derivgui session"),
    (b'{"format": "something-else", "version": 1, "state": {}}', "not a derivgui session"),
    (b'{"version": 1, "state": {}}', "not a derivgui session"),
    (b'{"format": "derivgui-session", "state": {}}', "no valid version"),
    (b'{"format": "derivgui-session", "version": "1", "state": {}}', "no valid version"),
    (b'{"format": "derivgui-session", "version": true, "state": {}}', "no valid version"),
    (b'{"format": "derivgui-session", "version": 3, "state": {}}', "newer"),
    (b'{"format": "derivgui-session", "version": 1}', "no state"),
    (b'{"format": "derivgui-session", "version": 1, "state": []}', "no state"),
    (b"[" * 100000, "nested too deeply"),
    (b'{"format": "derivgui-session", "version": 1, "state": {"a": ' + b"1" * 4400 + b"}}", "number too long"),
    (b'{"format": "derivgui-session", "version": 1' + b"0" * 5000 + b', "state": {}}', "number too long"),
    (b'{"format": "derivgui-session", "version": 99999999999999999999999999999, "state": {}}', "newer"),
])
def test_bad_files_raise_session_error(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(SessionError, match=message):
        load_session(path)


def session_text(state: dict, **extra) -> str:
    return json.dumps({"format": FORMAT, "version": 1, "state": state, **extra}, allow_nan=True)


@pytest.mark.parametrize("state, field", [
    ({"delta_a": 0}, "delta_a"),
    ({"a": "one"}, "a"),
    ({"x_range": [3, 1]}, "x_range"),
    ({"show_f": 1}, "show_f"),
    ({"a": float("nan")}, "a"),
    ({"b": float("inf")}, "b"),
    ({"a": 10 ** 400}, "a"),  # OverflowError in float(): used to stop the app from starting
    ({"x_range": [10 ** 400, 1]}, "x_range"),
    ({"x_range": [-1e308, 1e308]}, "x_range"),  # its width overflows: became (nan, nan) on screen
    ({"surface_x_range": [0, 1e-300]}, "surface_x_range"),  # "arange: cannot compute length"
    ({"surface_y_range": [1e6, 1e6 + 1e-9]}, "surface_y_range"),  # narrower than 1e-12 of where it is
    ({"x_range": [1, 2, 3]}, "x_range"),
    ({"x_range": {"lo": 1}}, "x_range"),
    ({"expression": ["x"]}, "expression"),
    ({"expression": "x" * 20_000}, "expression"),
    ({"expression": "\ud800x"}, "expression"),  # a lone surrogate cannot be saved back as UTF-8
    ({"delta_b": 1e-320}, "delta_b"),
    ({"surface_range_custom": "yes"}, "surface_range_custom"),
])
def test_a_bad_value_falls_back_alone_with_a_warning(state, field):
    good = {"expression": "tanh(x)", "a": 0.5, "show_plane": False}
    good = {k: v for k, v in good.items() if k != field}
    warnings: list[str] = []
    loaded, _history = loads(session_text({**good, **state}), warnings)
    assert value_of(loaded, field) == value_of(AppState(), field)
    for key, value in good.items():  # the other fields are kept
        assert value_of(loaded, key) == value
    assert len(warnings) == 1 and warnings[0].startswith(field), warnings
    assert len(warnings[0]) < 120  # a huge value is never quoted back


def test_bad_history_is_a_warning():
    warnings: list[str] = []
    state, history = loads(session_text({"a": 2}, history="x"), warnings)
    assert state.a == 2 and history == [] and "history" in warnings[0]
    warnings.clear()
    state, history = loads(session_text({}, history=["x^2", 3, "y" * 50_000, None, "sin(x)"]), warnings)
    assert history == ["x^2", "sin(x)"] and "3 history entries" in warnings[0]


def test_extreme_but_usable_values_are_kept():
    state, _ = loads(session_text({"x_range": [-1e300, 1e300], "a": -1e300, "delta_a": -1e-300,
                                   "surface_x_range": [1.0, 1.0 + 1e-9]}), warnings := [])
    assert warnings == []
    assert state.x_range == (-1e300, 1e300) and state.a == -1e300 and state.delta_a == -1e-300


def test_nan_and_inf_are_never_written(tmp_path):
    state = custom_state()
    state.update(x_range=(float("nan"), float("nan")), a=float("inf"), delta_b=0.0)
    path = tmp_path / "s.json"
    save_session(path, state, [])
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text
    data = json.loads(text)["state"]
    assert data["x_range"] == [-6.0, 6.0] and data["a"] == 1.0 and data["delta_b"] == 1.0
    assert data["curves"][0]["text"] == "x^2*y + y"  # the good fields are saved as they are
    assert data["parameters"][0] == {"name": "k", "value": 2.5, "lo": -5.0, "hi": 5.0}
    warnings: list[str] = []
    load_session(path, warnings)
    assert warnings == []


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
def test_non_regular_files_are_refused_at_once(tmp_path, kind):
    import time

    if kind == "fifo":
        path = tmp_path / "pipe.derivgui.json"
        os.mkfifo(path)
        unblock_fifo_later(path)
        expected = "FIFO"
    elif kind == "folder":
        path = tmp_path / "folder.derivgui.json"
        path.mkdir()
        expected = "folder"
    else:
        path = "/dev/zero"
        expected = "device"
    start = time.monotonic()
    with pytest.raises(SessionError, match=expected):
        load_session(path)
    assert time.monotonic() - start < 1  # a FIFO without a writer used to hang for ever


def test_symlink_to_a_session_is_read(tmp_path):
    real = tmp_path / "real.json"
    save_session(real, custom_state(), [])
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert load_session(link)[0] == custom_state()


def test_missing_file(tmp_path):
    with pytest.raises(SessionError, match="cannot read"):
        load_session(tmp_path / "missing.json")


def test_huge_file(tmp_path):
    path = tmp_path / "huge.json"
    path.write_bytes(b" " * 2_000_000)
    with pytest.raises(SessionError, match="too large"):
        load_session(path)


def test_session_error_is_value_error():
    assert issubclass(SessionError, ValueError)


def test_history_is_capped():
    data = session_to_dict(AppState(), [f"x+{i}" for i in range(500)])
    assert len(data["history"]) == 100 and data["history"][-1] == "x+499"
