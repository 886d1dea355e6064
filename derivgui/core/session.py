"""Session files: what is on screen, saved as a small, versioned JSON document (no Qt).

File ▸ Save session… writes one, File ▸ Open session… and ``derivgui export --session FILE``
read it. The format, version 1::

    {
      "format": "derivgui-session",      # required, exactly this string
      "version": 1,                       # required integer; files newer than this reader are refused
      "saved_by": "derivgui 0.1.0",      # informative, ignored when reading
      "state": {                          # required: AppState.to_dict(); every key optional
        "expression": "1/(1+exp(-x))",   # the text in the editor
        "a": 1.0, "delta_a": 1.0,         # the point and the step along x (delta_a != 0)
        "b": 1.0, "delta_b": 1.0,         # the same along y, for f(x, y)
        "x_range": [-6.0, 6.0],           # the 2D view's visible x range (lo < hi)
        "surface_x_range": [-6.0, 6.0],   # the 3D surface's domain (lo < hi)
        "surface_y_range": [-6.0, 6.0],
        "surface_range_custom": false,    # keep that domain for the next expression
        "show_f": true, "show_derivative": true, "show_secant": true, "show_tangent": true,
        "show_guides": true, "show_gradient": true, "show_slices": true, "show_plane": true
      },
      "history": ["x^2", "tanh(x)"]       # optional: the editor's history, oldest first
    }

Reading is strict about what it understands and lenient about what it does not: missing state
keys take their defaults, unknown keys (at any level) are ignored so that a later minor version
stays readable, and anything malformed raises ``SessionError`` (a ``ValueError``) with a message
meant for the user. Nothing here ever raises anything else for a bad file.
"""

from __future__ import annotations

import json
import os

from derivgui.core.atomic import atomic_write_text
from derivgui.core.state import AppState

FORMAT = "derivgui-session"
VERSION = 1
SUFFIX = ".derivgui.json"
MAX_BYTES = 1_000_000  # a session is a few hundred bytes; anything huge is not one
HISTORY_LIMIT = 100


class SessionError(ValueError):
    """A session file that cannot be used: unreadable, corrupt, foreign or from a newer version."""


def session_to_dict(state: AppState, history: list[str] | None = None) -> dict:
    from derivgui import __version__

    return {
        "format": FORMAT,
        "version": VERSION,
        "saved_by": f"derivgui {__version__}",
        "state": state.to_dict(),
        "history": [h for h in (history or []) if isinstance(h, str)][-HISTORY_LIMIT:],
    }


def session_from_dict(data) -> tuple[AppState, list[str]]:
    """The state and history in a decoded session document; ``SessionError`` if it is not one."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SessionError("not a derivgui session file")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise SessionError("the session file has no valid version number")
    if version > VERSION:
        raise SessionError(f"the session file is version {version}, newer than this derivgui reads ({VERSION}); "
                           "please update derivgui")
    state = data.get("state")
    if not isinstance(state, dict):
        raise SessionError("the session file has no state")
    try:
        app_state = AppState.from_dict(state)
    except (ValueError, TypeError) as exc:
        raise SessionError(f"the session file has a bad value: {exc}") from exc
    history = data.get("history", [])
    if not isinstance(history, list):
        raise SessionError("the session file's history is not a list")
    return app_state, [h for h in history if isinstance(h, str)][-HISTORY_LIMIT:]


def dumps(state: AppState, history: list[str] | None = None) -> str:
    return json.dumps(session_to_dict(state, history), indent=2, ensure_ascii=False) + "\n"


def loads(text: str) -> tuple[AppState, list[str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SessionError(f"the session file is not valid JSON ({exc.msg} at line {exc.lineno}, "
                           f"column {exc.colno})") from exc
    except RecursionError as exc:
        raise SessionError("the session file is nested too deeply to be a session") from exc
    return session_from_dict(data)


def save_session(path: str | os.PathLike, state: AppState, history: list[str] | None = None) -> None:
    """Write the session atomically: a failed save leaves the previous file as it was."""
    atomic_write_text(path, dumps(state, history))


def load_session(path: str | os.PathLike) -> tuple[AppState, list[str]]:
    """Read a session file; ``SessionError`` (with a message for the user) for any problem."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise SessionError(f"cannot read {os.fspath(path)}: {exc.strerror or exc}") from exc
    if len(raw) > MAX_BYTES:
        raise SessionError("the file is too large to be a derivgui session")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SessionError("not a derivgui session file (not UTF-8 text)") from exc
    return loads(text)
