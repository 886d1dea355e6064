"""Session files: round trip, documented format, and every kind of bad file gives SessionError."""

from __future__ import annotations

import json

import pytest

from derivgui.core.session import (
    FORMAT,
    VERSION,
    SessionError,
    load_session,
    loads,
    save_session,
    session_to_dict,
)
from derivgui.core.state import AppState


def custom_state() -> AppState:
    state = AppState()
    state.update(expression="x^2*y + y", a=1.0, b=2.0, delta_a=0.5, delta_b=-0.25,
                 x_range=(-4.0, 4.0), surface_x_range=(0.0, 10.0), surface_y_range=(0.0, 10.0),
                 surface_range_custom=True, show_plane=False, show_guides=False)
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
    assert data["version"] == VERSION == 1
    assert data["state"]["expression"] == "x^2*y + y"
    assert data["state"]["x_range"] == [-4.0, 4.0]
    assert data["history"] == ["x^2"]
    assert set(data["state"]) == set(AppState.field_names())


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
    import derivgui.core.session as session

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
    (b'{"format": "derivgui-session", "version": 2, "state": {}}', "newer"),
    (b'{"format": "derivgui-session", "version": 1}', "no state"),
    (b'{"format": "derivgui-session", "version": 1, "state": []}', "no state"),
    (b'{"format": "derivgui-session", "version": 1, "state": {"delta_a": 0}}', "bad value: delta_a"),
    (b'{"format": "derivgui-session", "version": 1, "state": {"a": "one"}}', "bad value: a"),
    (b'{"format": "derivgui-session", "version": 1, "state": {"x_range": [3, 1]}}', "bad value: x_range"),
    (b'{"format": "derivgui-session", "version": 1, "state": {"show_f": 1}}', "bad value: show_f"),
    (b'{"format": "derivgui-session", "version": 1, "state": {"a": NaN}}', "bad value: a"),
    (b'{"format": "derivgui-session", "version": 1, "state": {}, "history": "x"}', "history"),
    (b"[" * 100000, "session"),
])
def test_bad_files_raise_session_error(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(SessionError, match=message):
        load_session(path)


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
