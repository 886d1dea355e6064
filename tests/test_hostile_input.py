"""Hostile stored data: whatever a settings file or a session holds, derivgui starts, says what it
ignored in a message, and never shows a traceback.

Random and crafted JSON (huge integers, deep nesting, NaN, Infinity, wrong types, huge strings),
broken bytes and files that are not regular files (a FIFO, a folder, a device) are fed to the
session loader, to the settings loader of the real window, to File ▸ Open session's path, and to
``derivgui FILE`` / ``derivgui export --session FILE`` in a few subprocesses.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derivgui.model.session import FORMAT, SessionError, load_session, loads
from derivgui.model.state import AppState
from tests.fifo import unblock_fifo_later

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIELDS = AppState.field_names()

# -- hostile JSON -------------------------------------------------------------------------------

HUGE_INT = "1" + "0" * 400  # float() of it: OverflowError
OVER_INT_LIMIT = "9" * 4400  # json.loads of it: ValueError (Python's 4300-digit limit)
DEEP = "[" * 100_000 + "]" * 100_000  # RecursionError

hostile_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.integers(min_value=10 ** 300, max_value=10 ** 420),
    st.sampled_from([0, -0.0, 1e-320, 5e-324, 1e308, -1e308, 1e300, 2 ** 63, -(2 ** 1000)]),
)
hostile_scalars = st.one_of(
    hostile_numbers, st.booleans(), st.none(),
    st.text(max_size=20), st.sampled_from(["\ud800", "\x00", "x" * 30_000, "NaN", "Infinity", "1e999"]),
)
json_values = st.recursive(
    hostile_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)


@st.composite
def state_dicts(draw):
    """A state with some fields hostile and some right."""
    good = AppState().to_dict()
    data = {}
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=len(FIELDS), unique=True)):
        data[name] = draw(st.one_of(
            json_values,
            st.tuples(hostile_numbers, hostile_numbers).map(list),
            st.just(good[name]),
        ))
    return data


def dump(value) -> str:
    """JSON as a hostile writer makes it: NaN and Infinity as bare words, integers of any size."""
    return json.dumps(value, allow_nan=True)


@st.composite
def session_texts(draw):
    kind = draw(st.sampled_from(["state", "state", "state", "document", "raw"]))
    if kind == "state":
        doc = {"format": FORMAT, "version": draw(st.one_of(st.just(1), hostile_scalars)),
               "state": draw(state_dicts()),
               "history": draw(st.one_of(st.lists(hostile_scalars, max_size=5), hostile_scalars))}
        return dump(doc)
    if kind == "document":
        return dump(draw(json_values))
    return draw(st.sampled_from([
        f'{{"format": "{FORMAT}", "version": 1, "state": {{"a": {HUGE_INT}}}}}',
        f'{{"format": "{FORMAT}", "version": 1, "state": {{"x_range": [-{HUGE_INT}, {HUGE_INT}]}}}}',
        f'{{"format": "{FORMAT}", "version": 1, "state": {{"a": {OVER_INT_LIMIT}}}}}',
        f'{{"format": "{FORMAT}", "version": 1, "state": {{"expression": "sin(x)", "b": {DEEP}}}}}',
        DEEP, "{" * 50_000, "", "\x00\xff", '{"format": "derivgui-session"', "NaN", "[1e999]",
    ]))


def assert_usable(state: AppState) -> None:
    """Every value of ``state`` is one the app can draw and save: it survives the strict check."""
    assert state.to_safe_dict() == state.to_dict()
    for name in FIELDS:
        value = getattr(state, name)
        for v in value if isinstance(value, tuple) else (value,):
            assert not isinstance(v, float) or math.isfinite(v), name
    json.dumps(state.to_dict(), allow_nan=False)


def assert_short(message: str) -> None:
    assert "Traceback" not in message and len(message) < 700, message[:200]


# -- the session loader -------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(session_texts())
def test_session_loader_never_raises_anything_else(text):
    warnings: list[str] = []
    try:
        state, history = loads(text, warnings)
    except SessionError as exc:
        assert_short(str(exc))
        return
    assert_usable(state)
    assert all(isinstance(h, str) and len(h) <= 10_000 for h in history)
    for w in warnings:
        assert_short(w)


@settings(max_examples=200, deadline=None)
@given(state_dicts())
def test_a_bad_field_never_costs_the_good_ones(data):
    problems: list[str] = []
    state = AppState.from_dict(data, problems=problems)
    assert_usable(state)
    defaults = AppState()
    for name, value in data.items():
        if getattr(state, name) != getattr(defaults, name) or value == defaults.to_dict()[name]:
            continue
        if name == "overlays" and isinstance(value, dict) and all(defaults.overlays.get(k) == v
                                                                  for k, v in value.items()):
            continue  # some overlays, at their defaults: the names left out take theirs
        assert any(p.startswith(name) for p in problems), (name, value)  # a value dropped is said


@pytest.fixture(scope="module")
def special_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("special")
    fifo = folder / "pipe.derivgui.json"
    os.mkfifo(fifo)
    (folder / "folder.derivgui.json").mkdir()
    return {"fifo": str(fifo), "folder": str(folder / "folder.derivgui.json"), "device": "/dev/zero"}


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
def test_non_regular_sessions_are_refused_at_once(special_files, kind):
    unblock_fifo_later(special_files["fifo"])
    start = time.monotonic()
    with pytest.raises(SessionError, match="FIFO|folder|device"):
        load_session(special_files[kind])
    assert time.monotonic() - start < 1


# -- the window: settings and File ▸ Open session -----------------------------------------------


@pytest.fixture
def message_boxes(monkeypatch):
    from PyQt5.QtWidgets import QMessageBox

    shown: list[str] = []

    def record(_parent, title, text, *_args, **_kwargs):
        shown.append(f"{title}: {text}")
        return QMessageBox.Ok

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(record))
    return shown


def make_window(qtbot, settings):
    from derivgui.app.startup import open_window

    window = open_window(settings)
    qtbot.addWidget(window)
    return window


def close_window(window) -> None:
    window.close()
    window.deleteLater()


def ini_with(path, state_text: str, history_text: str | None = None):
    from PyQt5.QtCore import QSettings

    settings = QSettings(str(path), QSettings.IniFormat)
    settings.setValue("session/state", state_text)
    if history_text is not None:
        settings.setValue("editor/history", history_text)
    settings.sync()
    return QSettings(str(path), QSettings.IniFormat)


SETTINGS_CASES = [
    ('{"a": ' + HUGE_INT + ', "expression": "tanh(x)"}', "a"),  # OverflowError: the app did not start
    ('{"x_range": [-' + HUGE_INT + ", 1]}", "x_range"),
    ('{"a": ' + OVER_INT_LIMIT + "}", "number too long"),  # ValueError inside json
    (DEEP, "nested too deeply"),  # RecursionError
    ('{"x_range": [-1e308, 1e308], "expression": "tanh(x)"}', "x_range"),  # was saved back as NaN
    ('{"surface_x_range": [0, 1e-300], "expression": "tanh(x)"}', "surface_x_range"),
    ('{"a": NaN, "b": Infinity, "delta_a": -Infinity, "expression": "tanh(x)"}', "a"),
    ('{"expression": ' + json.dumps("x" * 50_000) + "}", "expression"),
    ('{"expression": "\\ud800"}', "expression"),
    ("[1, 2]", "not a JSON object"),
]


@pytest.mark.parametrize("state_text, said", SETTINGS_CASES)
def test_bad_settings_start_with_the_good_values_and_say_what_was_ignored(qtbot, tmp_path, capfd, state_text, said):
    ini = tmp_path / "derivgui.ini"
    window = make_window(qtbot, ini_with(ini, state_text, '["x^2", 7, "' + "y" * 20_000 + '"]'))
    try:
        assert_usable(window.state)
        if '"expression": "tanh(x)"' in state_text:
            assert window.state.expression == "tanh(x)"  # a bad number does not cost the expression
        assert window.editor.history[:1] == ["x^2"]
        message = window.statusBar().currentMessage()
        assert message.startswith("saved settings: ignored") and said in message, message
        assert_short(message)
        assert (tmp_path / "derivgui.ini.bad").read_bytes() == ini.read_bytes()  # kept aside before a save
        window.controller.save_settings()
        window.settings.sync()
    finally:
        close_window(window)
    err = capfd.readouterr().err
    assert "Traceback" not in err and err.count("saved settings: ignored") == 1
    saved = ini.read_text(encoding="utf-8", errors="replace")
    assert "NaN" not in saved and "Infinity" not in saved
    from PyQt5.QtCore import QSettings

    again = make_window(qtbot, QSettings(str(ini), QSettings.IniFormat))  # the next start: all is well
    try:
        assert "ignored" not in again.statusBar().currentMessage()
        assert_usable(again.state)
    finally:
        close_window(again)


settings_texts = st.one_of(
    state_dicts().map(dump),
    json_values.map(dump),
    st.sampled_from([case for case, _said in SETTINGS_CASES]),
    st.text(max_size=30),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                     HealthCheck.too_slow])
@given(text=settings_texts, history=st.one_of(st.none(), json_values.map(dump)))
def test_random_settings_never_stop_the_window(qtbot, tmp_path, capfd, text, history):
    ini = tmp_path / f"derivgui-{time.monotonic_ns()}.ini"
    window = make_window(qtbot, ini_with(ini, text, history))
    try:
        assert_usable(window.state)
        assert all(isinstance(h, str) for h in window.editor.history)
        assert_short(window.statusBar().currentMessage())
    finally:
        close_window(window)
    assert "Traceback" not in capfd.readouterr().err


def test_settings_that_are_not_a_file(qtbot, tmp_path, special_files, capfd):
    from derivgui.app.startup import safe_settings

    # A FIFO would block QSettings (and the start) for ever: it is never opened.
    unblock_fifo_later(special_files["fifo"])
    start = time.monotonic()
    settings, message = safe_settings(special_files["fifo"])
    assert time.monotonic() - start < 1
    assert "FIFO" in message and "not saved" in message
    window = make_window(qtbot, settings)
    close_window(window)

    folder = tmp_path / "derivgui.ini"
    folder.mkdir()
    from PyQt5.QtCore import QSettings

    window = make_window(qtbot, QSettings(str(folder), QSettings.IniFormat))
    try:
        assert "is a folder" in window.statusBar().currentMessage()
        assert_usable(window.state)
    finally:
        close_window(window)

    huge = tmp_path / "huge.ini"
    huge.write_bytes(b"[session]\nstate=" + b"1" * 5_000_000 + b"\n")
    settings, message = safe_settings(str(huge))
    assert "too large" in message and (tmp_path / "huge.ini.bad").exists()
    assert "Traceback" not in capfd.readouterr().err


@pytest.fixture
def gui_window(qtbot, tmp_path):
    from PyQt5.QtCore import QSettings

    window = make_window(qtbot, QSettings(str(tmp_path / "w.ini"), QSettings.IniFormat))
    window.show()
    yield window
    close_window(window)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                     HealthCheck.too_slow])
@given(text=session_texts())
def test_open_session_reports_and_keeps_the_window(gui_window, message_boxes, tmp_path_factory, capfd, text):
    from derivgui.ui.export.dialog import open_session

    path = tmp_path_factory.mktemp("s") / "s.derivgui.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    message_boxes.clear()
    before = gui_window.state.to_dict()
    opened = open_session(gui_window, str(path))
    assert_usable(gui_window.state)
    if not opened:
        assert len(message_boxes) == 1 and "The current view is kept" in message_boxes[0]
        assert gui_window.state.to_dict() == before
    else:
        assert len(message_boxes) <= 1  # "some values could not be used", once
    for m in message_boxes:
        assert_short(m)
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
def test_open_session_refuses_special_files_at_once(gui_window, message_boxes, special_files, kind):
    from derivgui.ui.export.dialog import open_session

    unblock_fifo_later(special_files["fifo"])
    start = time.monotonic()
    assert open_session(gui_window, special_files[kind]) is False
    assert time.monotonic() - start < 2
    assert len(message_boxes) == 1 and ("FIFO" in message_boxes[0] or "folder" in message_boxes[0]
                                        or "device" in message_boxes[0])


def test_export_dialog_refuses_sizes_past_the_limits(qtbot, gui_window, tmp_path):
    """A GIF keeps every frame in memory: 120 frames of 2000 × 2000 used to be drawn (about 0.5 GB)."""
    from derivgui.ui.export.dialog import install_export_actions

    qtbot.waitUntil(lambda: gui_window.compiled is not None, timeout=20000)
    dialog = install_export_actions(gui_window).open_dialog("gif")
    try:
        dialog.path_edit.setText(str(tmp_path / "big.gif"))
        dialog.width_spin.setValue(2000)
        dialog.height_spin.setValue(2000)
        dialog.frames_spin.setValue(120)
        assert "Too large" in dialog.summary.text() and "400 million pixels" in dialog.summary.text()
        dialog.accept()
        assert dialog.isVisible() and "400 million pixels" in dialog.error_label.text()
        dialog.frames_spin.setValue(10)
        assert dialog.size_problem() is None
    finally:
        dialog.reject()
    assert not (tmp_path / "big.gif").exists()


# -- the commands, in subprocesses (few: each starts Python) ------------------------------------


def run_env(tmp_path, display: bool = False) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    if not display:
        env.pop("DISPLAY", None)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")  # never the user's own settings
    return env


def test_export_with_hostile_sessions(tmp_path, special_files):
    bad_numbers = tmp_path / "numbers.derivgui.json"
    bad_numbers.write_text(f'{{"format": "{FORMAT}", "version": 1, "state": {{"expression": "x^2", '
                           f'"a": {HUGE_INT}, "x_range": [-1e308, 1e308]}}}}')
    deep = tmp_path / "deep.derivgui.json"
    deep.write_text(DEEP)
    cases = [(bad_numbers, 0, "derivgui: warning: "), (deep, 1, "nested too deeply"),
             (special_files["fifo"], 1, "FIFO")]
    for session, status, said in cases:
        unblock_fifo_later(special_files["fifo"], 10)
        out = tmp_path / "out.csv"
        result = subprocess.run([sys.executable, "-m", "derivgui", "export", "--session", str(session), "-o",
                                 str(out), "--samples", "3", "-q"], env=run_env(tmp_path), capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == status, result.stderr
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and said in lines[0] and len(lines[0]) < 400, result.stderr
        if status == 0:
            assert "a must be a finite number" in lines[0] and "x_range" in lines[0]
            assert out.read_text().splitlines()[1].startswith("-6.0,36.0")  # the defaults were used
            out.unlink()


def test_window_with_a_fifo_for_settings_and_session(tmp_path, special_files):
    """``derivgui FIFO`` with a FIFO for its settings file: it starts, says both, and SIGTERM closes it."""
    if not os.environ.get("DISPLAY"):
        pytest.skip("needs a display (pytest-xvfb provides one)")
    config = tmp_path / "config" / "derivgui"
    config.mkdir(parents=True)
    os.mkfifo(config / "derivgui.ini")
    import threading

    proc = subprocess.Popen([sys.executable, "-m", "derivgui", special_files["fifo"]], env=run_env(tmp_path, True),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)  # never blocks the test
    reader.start()
    try:
        deadline = time.monotonic() + 30
        while not any("cannot open session" in line for line in lines):
            assert proc.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "the window did not start: " + "".join(lines)
            time.sleep(0.05)
        time.sleep(0.5)  # the window is up, with its message box
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        reader.join(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = "".join(lines)
    assert "the settings file" in stderr and "FIFO" in stderr
    assert "interrupted by SIGTERM; closing the window" in stderr
    assert "Traceback" not in stderr
    assert proc.returncode == 143
