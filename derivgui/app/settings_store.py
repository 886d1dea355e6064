"""The model and the editor's history in the user's settings (QSettings), read so that nothing
stored can stop the app from starting, and written so that nothing unusable is ever stored."""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys

from PyQt5.QtCore import QSettings

from derivgui.model.session import HISTORY_LIMIT, SessionError, clean_history, decode_json, describe_file_type
from derivgui.model.state import AppState


def default_settings() -> QSettings:
    return QSettings(QSettings.IniFormat, QSettings.UserScope, "derivgui", "derivgui")


def load_state(settings: QSettings) -> tuple[AppState, list[str], str | None]:
    """The state and editor history the last run saved, checked field by field, and a note for the
    user if anything was ignored.

    Whatever the settings file holds (any JSON, huge numbers, deep nesting, wrong types, NaN),
    this never raises: each unusable value takes its default and the others are kept. A file
    with problems is copied to ``<ini>.bad`` first, since the next save overwrites it.
    """
    problems: list[str] = []
    state = AppState()
    history: list[str] = []
    path = ""
    try:
        path = settings.fileName()
        mode = os.stat(path).st_mode if path and os.path.lexists(path) else None
        if mode is not None and not stat.S_ISREG(mode):
            return state, [], (f"the settings file {path} is {describe_file_type(mode)}, not a file: started "
                               "with the defaults, and settings will not be saved")
    except (OSError, ValueError):
        pass
    for key in ("session/state", "editor/history"):
        try:
            raw = settings.value(key)
            if raw is None:
                continue
            if not isinstance(raw, str):
                raise SessionError(f"{key} is not text")
            data = decode_json(raw, key) if raw else ([] if key == "editor/history" else {})
            if key == "session/state":
                if not isinstance(data, dict):
                    raise SessionError("the saved state is not a JSON object")
                state = AppState.from_dict(data, problems=problems)
            else:
                if not isinstance(data, list):
                    raise SessionError("the history is not a list")
                history = clean_history(data, problems)[-HISTORY_LIMIT:]
        except (SessionError, ValueError, TypeError) as exc:
            problems.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - RecursionError, MemoryError…: never stop the app from starting
            problems.append(f"{key} could not be read ({type(exc).__name__})")
    if not problems:
        return state, history, None
    kept = ""
    try:
        if path and os.path.isfile(path):
            shutil.copyfile(path, path + ".bad")
            kept = f"; the file as it was is kept in {path}.bad"
    except OSError:
        pass
    notes = "; ".join(problems)
    if len(notes) > 300:
        notes = notes[:299] + "…"
    message = f"saved settings: ignored {notes} (defaults used){kept}"
    print(f"derivgui: warning: {message}", file=sys.stderr)
    return state, history, message


def save_state(settings: QSettings, state: AppState, history: list[str]) -> None:
    """Write the state and history; never NaN or inf (unusable values are saved as defaults)."""
    try:
        state_json = json.dumps(state.to_safe_dict(), allow_nan=False)
    except (ValueError, TypeError):
        state_json = json.dumps(AppState().to_dict(), allow_nan=False)
    settings.setValue("session/state", state_json)
    settings.setValue("editor/history", json.dumps(clean_history(list(history))))
