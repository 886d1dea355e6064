"""Session files: what is on screen, saved as a small, versioned JSON document (no Qt).

File ▸ Save session… writes one, File ▸ Open session… and ``derivgui export --session FILE``
read it. The format, version 2::

    {
      "format": "derivgui-session",      # required, exactly this string
      "version": 2,                       # required integer; files newer than this reader are refused
      "saved_by": "derivgui 0.1.0",      # informative, ignored when reading
      "state": {                          # required: AppState.to_safe_dict(); every key optional
        "curves": [                       # the expressions, at least one and at most 16; the first
          {"text": "1/(1+exp(-x))",       #   is the expression in the editor; "text" is required,
           "color": "#1f77b4",            #   "color" (#rrggbb) defaults to the palette's colour for
           "visible": true}               #   its place, "visible" to true
        ],
        "a": 1.0, "delta_a": 1.0,         # the point and the step along x (delta_a != 0)
        "b": 1.0, "delta_b": 1.0,         # the same along y, for f(x, y)
        "x_range": [-6.0, 6.0],           # the 2D view's visible x range (lo < hi)
        "surface_x_range": [-6.0, 6.0],   # the 3D surface's domain (lo < hi)
        "surface_y_range": [-6.0, 6.0],
        "surface_range_custom": false,    # keep that domain for the next expression
        "parameters": [                   # named constants, at most 16: "name" (letters, digits, _;
          {"name": "k", "value": 1.0,     #   not x, y, a constant or a function), "value", and the
           "lo": -10.0, "hi": 10.0}       #   slider's range ("lo" < "hi", default -10 to 10), which
        ],                                #   holds the value
        "overlays": {                     # what is drawn, by overlay name; a name left out takes its
          "f": true, "derivative": true, "secant": true, "tangent": true, "guides": true,
          "gradient": true, "slices": true, "plane": true, "normal": false
        },                                # default; names a later version adds are kept if true/false
        "lesson": ""                      # the selected lesson's title, "" for none
      },
      "history": ["x^2", "tanh(x)"]       # optional: the editor's history, oldest first
    }

Numbers are never NaN or infinite in a file written here (``to_safe_dict``). Whether each curve
compiled is not saved: it is found again when the file is opened.

Version 1 (still read) had no "curves", "parameters", "overlays" and "lesson"; in their place its
state held ``"expression": "…"`` (the first curve's text; the curve takes the default colour) and
one true/false per overlay: ``"show_f"``, ``"show_derivative"``, ``"show_secant"``,
``"show_tangent"``, ``"show_guides"``, ``"show_gradient"``, ``"show_slices"``, ``"show_plane"``.
Those keys are read in any version ("curves" and "overlays" win where both are given).

Reading is strict about what a file is and lenient about what it holds: a file that is not a
readable, regular, UTF-8 JSON derivgui session of a version this reader knows raises
``SessionError`` (a ``ValueError``) with a message meant for the user; inside the state, every
field is checked on its own (``AppState.from_dict``): missing keys take their defaults, unknown
keys are ignored (unknown overlay names kept) so that a later minor version stays readable, and a
bad value (wrong type, NaN, a huge number, an unusable range) takes its default with a warning, so
one bad field never costs the rest. In "curves", "parameters" and "overlays" each entry is checked
on its own: a bad one is left out with a warning (a bad first curve becomes the default
expression, a bad colour the palette's, a parameter's value outside its range is clamped), and
the curves and parameters past the 16th are left out with a warning. Nothing here ever raises
anything but ``SessionError`` for a bad file, and FIFOs, folders and devices are refused before
they are opened for reading.
"""

from __future__ import annotations

import json
import os
import stat

from derivgui.files.atomic import atomic_write_text, shorten
from derivgui.model.state import MAX_TEXT, AppState, is_clean_text
from derivgui.version import __version__

FORMAT = "derivgui-session"
VERSION = 2  # written; every version from 1 to this one is read
SUFFIX = ".derivgui.json"
MAX_BYTES = 1_000_000  # a session is a few kilobytes at most; anything huge is not one
HISTORY_LIMIT = 100


class SessionError(ValueError):
    """A session file that cannot be used: unreadable, corrupt, foreign or from a newer version."""


def session_to_dict(state: AppState, history: list[str] | None = None) -> dict:
    return {
        "format": FORMAT,
        "version": VERSION,
        "saved_by": f"derivgui {__version__}",
        "state": state.to_safe_dict(),  # never NaN or inf: a saved session always reads back
        "history": clean_history(history or []),
    }


def clean_history(history, warnings: list[str] | None = None) -> list[str]:
    """The usable entries of an editor history (text, not too long), the newest HISTORY_LIMIT."""
    kept = [h for h in history if isinstance(h, str) and len(h) <= MAX_TEXT and is_clean_text(h)]
    if warnings is not None and len(kept) != len(history):
        dropped = len(history) - len(kept)
        warnings.append(f"{dropped} history {'entry was' if dropped == 1 else 'entries were'} not text and "
                        "left out")
    return kept[-HISTORY_LIMIT:]


def session_from_dict(data, warnings: list[str] | None = None) -> tuple[AppState, list[str]]:
    """The state and history in a decoded session document; ``SessionError`` if it is not one.

    Bad values inside it fall back to their defaults; a note for each is appended to ``warnings``.
    """
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SessionError("not a derivgui session file")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise SessionError("the session file has no valid version number")
    if version > VERSION:
        shown = shorten(str(version)) if version < 10 ** 40 else "from the future"
        raise SessionError(f"the session file is version {shown}, newer than this derivgui reads ({VERSION}); "
                           "please update derivgui")
    state = data.get("state")
    if not isinstance(state, dict):
        raise SessionError("the session file has no state")
    notes: list[str] = []
    app_state = AppState.from_dict(state, problems=notes)
    history = data.get("history", [])
    if not isinstance(history, list):
        notes.append("the history is not a list and was left out")
        history = []
    history = clean_history(history, notes)
    if warnings is not None:
        warnings.extend(notes)
    return app_state, history


def dumps(state: AppState, history: list[str] | None = None) -> str:
    return json.dumps(session_to_dict(state, history), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def loads(text: str, warnings: list[str] | None = None) -> tuple[AppState, list[str]]:
    """A session from its JSON text (see ``session_from_dict``); ``SessionError`` for anything unusable."""
    data = decode_json(text, "the session file")
    return session_from_dict(data, warnings)


def decode_json(text: str, what: str):
    """``json.loads`` that raises only ``SessionError``, whatever the text holds.

    Besides malformed JSON: deep nesting (RecursionError), integers over Python's 4300-digit limit
    (ValueError) and documents too big for memory.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SessionError(f"{what} is not valid JSON ({exc.msg} at line {exc.lineno}, "
                           f"column {exc.colno})") from None
    except RecursionError:
        raise SessionError(f"{what} is nested too deeply to be a session") from None
    except MemoryError:
        raise SessionError(f"{what} is too large to read") from None
    except (ValueError, TypeError, OverflowError):  # e.g. an integer of more than 4300 digits
        raise SessionError(f"{what} is not valid JSON (it holds a number too long to read)") from None


def save_session(path: str | os.PathLike, state: AppState, history: list[str] | None = None) -> None:
    """Write the session atomically: a failed save leaves the previous file as it was."""
    atomic_write_text(path, dumps(state, history))


def describe_file_type(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def read_regular_file(path: str | os.PathLike, limit: int, what: str = "file") -> bytes:
    """Up to ``limit + 1`` bytes of ``path``, which must be a regular file; ``SessionError`` otherwise.

    A FIFO, a folder or a device is refused at once: it is checked before it is opened, and opened
    without blocking (a FIFO with no writer would otherwise hang the caller for ever).
    """
    shown = shorten(os.fspath(path), 120)
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise SessionError(f"cannot read {shown}: it is {describe_file_type(mode)}, not a {what}")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as f:
            mode = os.fstat(f.fileno()).st_mode  # it may have been replaced between stat and open
            if not stat.S_ISREG(mode):
                raise SessionError(f"cannot read {shown}: it is {describe_file_type(mode)}, not a {what}")
            return f.read(limit + 1)
    except SessionError:
        raise
    except OSError as exc:
        raise SessionError(f"cannot read {shown}: {exc.strerror or exc}") from None
    except (ValueError, TypeError):  # a NUL in the name, something that is not a path
        raise SessionError(f"cannot read {shown}: not a usable file name") from None


def load_session(path: str | os.PathLike, warnings: list[str] | None = None) -> tuple[AppState, list[str]]:
    """Read a session file; ``SessionError`` (with a message for the user) for a file that is unusable.

    Values inside that cannot be used take their defaults; ``warnings`` (if given) collects what
    was ignored, one short line each, for the caller to show.
    """
    raw = read_regular_file(path, MAX_BYTES, "session file")
    if len(raw) > MAX_BYTES:
        raise SessionError("the file is too large to be a derivgui session")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SessionError("not a derivgui session file (not UTF-8 text)") from None
    return loads(text, warnings)
