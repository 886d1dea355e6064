"""The window's start: ``run_gui`` opens it (the ``derivgui`` command, ``derivgui.cli.main``, calls it)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import sys
import tempfile

PROG = "derivgui"
MAX_SETTINGS_BYTES = 4_000_000  # the settings are a few kilobytes; a file this large is not ours


def _warn(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


# -- before Qt starts -------------------------------------------------------------------------


def display_problem(environ=None) -> str | None:
    """Why the window cannot open on this display, in one line; None if it can (or Qt will know better).

    Without this, Qt's xcb platform aborts the whole process (exit 134) when there is no display.
    """
    env = os.environ if environ is None else environ
    platform = env.get("QT_QPA_PLATFORM", "")
    if not sys.platform.startswith("linux") or (platform and not platform.startswith("xcb")):
        return None
    display = env.get("DISPLAY", "")
    if not display:
        where = " (there is a Wayland display: try QT_QPA_PLATFORM=wayland)" if env.get("WAYLAND_DISPLAY") else ""
        return (f"no display: DISPLAY is not set, and the window needs one{where}; "
                f"'{PROG} export' writes pictures without a display")
    try:
        import ctypes
        import ctypes.util

        xcb = ctypes.CDLL(ctypes.util.find_library("xcb") or "libxcb.so.1")
    except OSError:
        return None  # Qt will say what is missing
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(os.fsencode(display), None)
    try:
        failed = not connection or xcb.xcb_connection_has_error(connection)
    finally:
        if connection:
            xcb.xcb_disconnect(connection)
    if failed:
        shown = display if len(display) <= 40 else display[:39] + "…"
        return f"cannot open the display {shown}; '{PROG} export' writes pictures without a display"
    return None


def default_settings_path() -> str:
    """Where ``QSettings(IniFormat, UserScope, "derivgui", "derivgui")`` keeps the settings on Linux."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, PROG, f"{PROG}.ini")


def settings_file_problem(path: str) -> str | None:
    """Why the settings file at ``path`` must not be opened (QSettings would block on a FIFO); None if fine."""
    from derivgui.model.session import describe_file_type

    try:
        info = os.stat(path)
    except OSError:
        return None  # missing (a new file is made) or unreadable (QSettings starts empty)
    if not stat.S_ISREG(info.st_mode):
        return f"the settings file {path} is {describe_file_type(info.st_mode)}"
    if info.st_size > MAX_SETTINGS_BYTES:
        return f"the settings file {path} is too large to be derivgui's ({info.st_size:,} bytes)"
    return None


def safe_settings(path: str | None = None):
    """Settings that can be read without hanging: ``(QSettings or None, message or None)``.

    None means "use the usual place" (``path`` was None and the file there is fine). A FIFO, a
    folder or a device is never opened: the window gets private, empty settings for this run. A
    huge file is moved aside to ``<path>.bad`` and a new one started.
    """
    from PyQt5.QtCore import QSettings

    target = path or default_settings_path()
    problem = settings_file_problem(target)
    if problem is None:
        return (QSettings(target, QSettings.IniFormat) if path else None), None
    if "too large" in problem:
        with contextlib.suppress(OSError):
            os.replace(target, target + ".bad")
            settings = QSettings(target, QSettings.IniFormat)
            return settings, f"{problem}: it was moved to {target}.bad and the defaults used"
    folder = tempfile.mkdtemp(prefix="derivgui-settings-")
    import atexit

    atexit.register(shutil.rmtree, folder, True)
    settings = QSettings(os.path.join(folder, f"{PROG}.ini"), QSettings.IniFormat)
    return settings, f"{problem}, not a file: started with the defaults; settings are not saved this time"


def _session_problem(session: str) -> None:
    """Say on stderr, before the window opens, why a session given on the command line cannot be used."""
    from derivgui.model.session import SessionError, load_session

    warnings: list[str] = []
    try:
        load_session(session, warnings)
    except SessionError as exc:
        _warn(f"error: cannot open session: {exc}")
        return
    except Exception as exc:  # noqa: BLE001 - the window reports it too; never a traceback here
        _warn(f"error: cannot open session ({type(exc).__name__})")
        return
    if warnings:
        notes = "; ".join(warnings)
        _warn(f"warning: session: ignored {notes if len(notes) <= 200 else notes[:199] + '…'} (defaults used)")


# -- signals ----------------------------------------------------------------------------------


class _SignalCloser:
    """SIGINT and SIGTERM close the window as its close button does (the settings are saved) and
    end the event loop with 128 + the signal number, after a running animation export is cancelled
    (which removes its temporary file) and any open dialog is closed. A second signal ends the
    process at once."""

    def __init__(self, app, window) -> None:
        import socket

        from PyQt5.QtCore import QSocketNotifier

        self.app, self.window = app, window
        self.signum: int | None = None
        self.exit_code: int | None = None
        self.tries = 0
        self._reader, self._writer = socket.socketpair()
        for sock in (self._reader, self._writer):
            sock.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno())
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Read)
        self._notifier.activated.connect(self._woken)
        self._previous = {s: signal.signal(s, self._handler) for s in (signal.SIGINT, signal.SIGTERM)}

    def _handler(self, signum, _frame) -> None:
        if self.signum is not None:  # the second one: no more waiting
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        self.signum = signum
        from derivgui.files.atomic import interrupt

        interrupt(signum)

    def _woken(self, *_args) -> None:
        with contextlib.suppress(OSError):
            while self._reader.recv(64):
                pass
        if self.signum is not None and self.tries == 0:
            self.tries = 1
            _warn(f"interrupted by {signal.Signals(self.signum).name}; closing the window")
            from PyQt5.QtCore import QTimer

            QTimer.singleShot(0, self._close)

    def _close(self) -> None:
        from PyQt5.QtCore import QTimer
        from PyQt5.QtWidgets import QApplication

        self.tries += 1
        actions = getattr(self.window, "export_actions", None)
        if self.tries < 100:
            if actions is not None and actions.busy:
                if actions.progress is not None:
                    actions.progress.cancel()  # the animation stops between frames; nothing is written
                QTimer.singleShot(50, self._close)
                return
            modal = QApplication.activeModalWidget()
            if modal is not None and modal is not self.window:
                modal.close()
                QTimer.singleShot(20, self._close)
                return
        self.window.close()
        self.exit_code = 128 + (self.signum or 0)
        self.app.exit(self.exit_code)

    def restore(self) -> None:
        from derivgui.files.atomic import reset_interrupt

        reset_interrupt()
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()


# -- the window -------------------------------------------------------------------------------


def start_compilers() -> None:
    """Turn on the on-disk program cache and have a compile process loading PyTensor.

    First of all, before Qt: the compile process loads PyTensor on the other core (at nice 10)
    while Qt starts here. With the cache warm, the first plot needs neither (see
    ``core.program_cache``); the process is then ready for the next new expression.
    """
    from derivgui.compiler import compile_process

    if hasattr(compile_process, "shared_pool"):
        compile_process.shared_pool().warm_up()
    else:  # the API before the compiler pool
        compile_process.shared_compile_process().start()
    from derivgui.compiler import program_cache

    program_cache.enable()


def build_window(qt_args: list[str] | None = None, settings_path: str | None = None):
    """What ``run_gui`` does before the window is shown: ``(QApplication, MainWindow)``.

    ``settings_path`` is an ini file to use instead of the user's settings (the start-up benchmark).
    """
    start_compilers()
    from PyQt5.QtCore import QCoreApplication, Qt

    if QCoreApplication.instance() is None:
        # Every GL widget shares resources with Qt's global context, so a program compiled for one
        # window stays valid in another (and in off-screen renders for export).
        QCoreApplication.setAttribute(Qt.AA_ShareOpenGLContexts)
    from PyQt5.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0], *(qt_args or [])])
    settings, settings_problem = safe_settings(settings_path)
    if settings_problem:
        _warn(f"warning: {settings_problem}")
    window = open_window(settings)
    from derivgui.ui.tuning import apply_process_settings

    apply_process_settings()  # the process-wide speed settings known at start-up; the rest follow their triggers
    if settings_problem:
        window.statusBar().showMessage(settings_problem, 15000)
    return app, window


def open_window(settings=None):
    """The main window on the model the settings hold, with its controller (tests and benchmarks too)."""
    from derivgui.app.controller import Controller
    from derivgui.app.settings_store import default_settings, load_state
    from derivgui.ui.main_window import MainWindow

    _release_windows_at_exit()  # whoever opens a window (the app, a test, a benchmark) exits without a crash
    settings = settings if settings is not None else default_settings()
    state, history, note = load_state(settings)
    window = MainWindow(state, settings, history)
    Controller(state, window, settings)  # (it asks for the first compile: "compiling…")
    if note:
        window.statusBar().showMessage(note, 10000)
    return window


def run_gui(qt_args: list[str] | None = None, session: str | None = None) -> int:
    """Open the main window (and the session file, if given) and run the event loop.

    Returns the exit status: 2 without a usable display (one line on stderr), 128 + N after
    signal N (SIGINT, SIGTERM).
    """
    from PyQt5.QtCore import QCoreApplication

    if QCoreApplication.instance() is None:
        problem = display_problem()
        if problem is not None:
            print(f"{PROG}: error: {problem}", file=sys.stderr)
            return 2
    app, window = build_window(qt_args)
    closer = None
    with contextlib.suppress(ValueError):  # not the main thread: signals keep their handlers
        closer = _SignalCloser(app, window)
    try:
        window.show()
        if session:  # a bad file is reported in a message box (and here on stderr); the window stays as it started
            from derivgui.ui.export.dialog import open_session

            _session_problem(session)
            open_session(window, session)
        if closer is not None and closer.exit_code is not None:
            return closer.exit_code
        status = app.exec_()
        return closer.exit_code if closer is not None and closer.exit_code is not None else status
    finally:
        if closer is not None:
            closer.restore()
        release_windows()  # before `app` goes: its wrapper's release runs PyQt's clean-up (see release_windows)


# -- exit -------------------------------------------------------------------------------------

_release_registered = False


def _release_windows_at_exit() -> None:
    """Have ``release_windows`` run when Python exits, before PyQt's own clean-up (once per process).

    Registered after PyQt5 is imported, so it runs before PyQt's handler (atexit runs the last first).
    """
    global _release_registered
    if not _release_registered:
        import atexit

        atexit.register(release_windows)
        _release_registered = True


def release_windows() -> None:
    """Close the top-level windows still open and destroy every top-level widget Python owns, now.

    Otherwise PyQt destroys them at exit from inside a walk over sip's table of wrappers
    (``cleanup_on_exit`` at interpreter exit, ``release_QApplication`` when the QApplication's
    wrapper goes): destroying the main window there runs Python code (pyqtgraph's and our own
    overridden ``itemChange``, ``event``, ``sizeHint``…) that wraps new objects, and when the table
    runs short of free slots sip reallocates it under the walk, which goes on reading the freed one: a
    segmentation fault at exit in some runs (which ones depends on how full a session left the table).
    Destroyed here, while Python and the QApplication are whole, the windows go in Qt's own order, and
    PyQt's walk is left only small objects with nothing under them. A window still open is closed
    first, as by its close button: its settings are saved and its compile threads stopped.
    """
    if "PyQt5.QtWidgets" not in sys.modules:
        return
    from PyQt5 import sip
    from PyQt5.QtCore import QCoreApplication, QEvent
    from PyQt5.QtWidgets import QApplication

    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    widgets = [w for w in app.topLevelWidgets() if sip.ispyowned(w)]
    for widget in widgets:
        if not sip.isdeleted(widget) and widget.isVisible():
            widget.close()
    for widget in widgets:
        if not sip.isdeleted(widget):
            sip.delete(widget)
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
