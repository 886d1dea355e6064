"""The ``derivgui`` command: the window by default, ``derivgui export …`` without any display.

Only argparse is imported up front, so ``derivgui --help`` answers at once; Qt and PyTensor are
imported when they are needed. ``export`` runs the same code as File ▸ Export…
(``derivgui.ui.export.scene``): 2D pictures are drawn with Qt's ``offscreen`` platform, and a 3D
surface, which needs OpenGL, uses $DISPLAY if there is one or else a private Xvfb that the
command starts on a free display number and stops when it ends.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import math
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

PROG = "derivgui"

DESCRIPTION = """\
Derivatives made visible: type f(x) or f(x, y) and watch the secant through a and a + Δa
turn into the tangent as Δa → 0, with derivatives from PyTensor's automatic differentiation.

Without a command, derivgui opens its window (optionally with a saved session).
"derivgui export" draws the same pictures into files, with no window and no display needed."""

EXPORT_DESCRIPTION = """\
Export the view of an expression to a file, without a window. The format follows the file's
extension: .png (image), .svg and .pdf (vector drawings of the 2D view of f(x)), .csv (the
sampled x, f, f' — or for f(x, y) the grid x, y, f, df/dx, df/dy), .gif (the Δa → 0 sweep, or a
turntable of the surface), or a name with a frame number such as frames/sweep_%03d.png for
numbered PNG frames. Files are written to a temporary file and renamed, so a failed export never
leaves a half-written file. No display is needed: a surface f(x, y) is rendered with OpenGL on
$DISPLAY if it is set, otherwise on a private Xvfb that derivgui starts and stops itself."""

EXPORT_EXAMPLES = """\
examples:
  derivgui export "tanh(x)" -o tanh.png --point 0.5 --delta 0.25 --size 1600x1000 --range -4 4
  derivgui export "x^2*y + y" -o surface.png --point 1 2 --delta 0.5 0.5 --range 0 10 0 10
  derivgui export "sigmoid(x)" -o sigmoid.svg      (or .pdf, .csv)
  derivgui export "sin(x)" -o sweep.gif --frames 40
  derivgui export "x^2*y + y" -o turn.gif --animation turntable
  derivgui export --session lesson.derivgui.json -o lesson.png

limits: sides of 16 to 10000 pixels (at most 64 million pixels; 4 million per animation frame);
1 to 2000 frames, and at most 400 million pixels in all for a GIF; frame numbers up to %09d;
--samples 2 to 100000 points of a curve, or 2 to 1000 grid points per side for f(x, y) (a grid
of at most 1,000,000 rows); file names of at most 255 bytes.

exit status: 0 on success; 1 for a bad expression, format, size, path or session (one line on
stderr, and no file is written); 2 for a misuse of the options; 130 (Ctrl+C) or 143 (SIGTERM)
when interrupted: the export stops, the previous file is kept and the temporary one removed."""


class CommandError(Exception):
    """A problem to report as one line on stderr, with exit status 1."""


def shorten(text, limit: int = 40) -> str:
    """What the user typed, for a message: at most ``limit`` characters, the middle replaced by "…"."""
    text = str(text)
    if len(text) <= limit:
        return text
    head = (limit - 1) * 2 // 3
    return text[:head] + "…" + text[len(text) - (limit - 1 - head):]


def _shorten_words(message: str, limit: int = 60) -> str:
    return re.sub(rf"\S{{{limit + 1},}}", lambda m: shorten(m.group(0), limit), message)


# -- argument parsing -------------------------------------------------------------------------

# A value that starts with "-" and a digit or a point (-1e-3, -.5, -1e308, -5x100), or is -inf or
# -nan, is a value, never an option: argparse alone takes "-1e-3" for an unknown option.
NEGATIVE_NUMBER = re.compile(r"^-(?:\.?\d|inf(?:inity)?$|nan$)", re.IGNORECASE)


class _Parser(argparse.ArgumentParser):
    """argparse with negative numbers in every form and messages that quote the user briefly."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = NEGATIVE_NUMBER

    def error(self, message: str):
        super().error(_shorten_words(message))


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{shorten(text, 30)}' is not a number") from None


def _count(text: str) -> int:
    digits = text.strip().lstrip("+")
    if not digits.isdigit():
        raise argparse.ArgumentTypeError(f"'{shorten(text, 30)}' is not a positive whole number")
    if len(digits.lstrip("0")) > 9:
        raise argparse.ArgumentTypeError(f"'{shorten(text, 30)}' is far too large")
    return int(digits)


def _animation(text: str) -> str:
    if text not in ("sweep", "turntable"):
        raise argparse.ArgumentTypeError(f"'{shorten(text, 30)}' is not an animation: use sweep or turntable")
    return text


def export_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=f"{PROG} export", description=EXPORT_DESCRIPTION, epilog=EXPORT_EXAMPLES,
        usage=(f"{PROG} export [-h] [EXPR] -o FILE [--point A [B]] [--delta DA [DB]] [--range X0 X1 [Y0 Y1]]\n"
               "                       [--size WxH] [--scale S] [--frames N] [--animation {sweep,turntable}]\n"
               "                       [--samples N] [--caption] [--session FILE] [-q]"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("expression", nargs="?", metavar="EXPR",
                   help='the function, e.g. "tanh(x)" or "x^2*y + y" (quote it for the shell); '
                        "optional with --session")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="the file to write; its extension chooses the format")
    p.add_argument("--point", nargs="+", type=_number, metavar=("A", "B"),
                   help="the point: A, or A B for f(x, y) (default 1)")
    p.add_argument("--delta", nargs="+", type=_number, metavar=("DA", "DB"),
                   help="the step: DA, or DA DB for f(x, y); not 0, may be negative (default 1)")
    p.add_argument("--range", nargs="+", type=_number, metavar=("X0", "X1"), dest="range_",
                   help="X0 X1: the x range of the 2D view; X0 X1 Y0 Y1: the surface's domain for f(x, y) "
                        "(default -6 6; 0 10 0 10 for the notebook's x^2*y + y)")
    p.add_argument("--size", metavar="WxH",
                   help="the picture in pixels, two positive whole numbers (default 1600x1000; 800x500 for .gif); "
                        "vector formats are laid out the same way and scale without loss")
    p.add_argument("--scale", type=_number, metavar="S",
                   help="pixels per logical pixel of the layout, i.e. how large text and lines are "
                        "(default: chosen from the size, as on a HiDPI screen)")
    p.add_argument("--frames", type=_count, metavar="N",
                   help="frames of an animation (.gif or numbered .png; default 48, at most 2000)")
    p.add_argument("--animation", type=_animation, default="sweep", metavar="{sweep,turntable}",
                   help="sweep: Δa (and Δb) shrink geometrically to 1e-15; turntable: the surface turns "
                        "once (f(x, y) only). Default: sweep")
    p.add_argument("--samples", type=_count, metavar="N",
                   help="CSV samples: points of the curve (default 1001, at most 100000) or grid points per "
                        "side for f(x, y) (default 101, at most 1000)")
    p.add_argument("--caption", action="store_true",
                   help="write f, the point, the step and the slopes in a corner of a .png, .svg or .pdf "
                        "(the frames of a sweep animation always have theirs)")
    p.add_argument("--session", metavar="FILE",
                   help="start from a saved session (File ▸ Save session…); the other options override it")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    return p


def gui_parser() -> argparse.ArgumentParser:
    epilog = ("the export command (derivgui export --help):\n\n" + export_parser().format_help())
    p = _Parser(prog=PROG, description=DESCRIPTION, epilog=epilog,
                                usage=f"{PROG} [-h] [--version] [SESSION]\n       {PROG} export EXPR -o FILE [options]",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("session", nargs="?", metavar="SESSION",
                   help="a session file to open (saved with File ▸ Save session…)")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    return p


# -- the export command -----------------------------------------------------------------------


def _finite(name: str, values: list[float] | None) -> None:
    for v in values or []:
        if not math.isfinite(v):
            raise CommandError(f"{name} must be finite numbers, not {v}")


def _check_counts(name: str, values: list[float] | None, allowed: tuple[int, ...]) -> None:
    if values is not None and len(values) not in allowed:
        raise CommandError(f"{name} takes {' or '.join(map(str, allowed))} numbers, got {len(values)}")


def _check_value(option: str, field: str, value: float) -> float:
    from derivgui.model.state import check_field

    try:
        return check_field(field, value)
    except ValueError as exc:
        reason = str(exc).removeprefix(field).strip()
        raise CommandError(f"{option} {value:g} {reason}") from None


def _check_range(option: str, lo: float, hi: float) -> tuple[float, float]:
    from derivgui.model.state import check_range

    if not lo < hi:
        raise CommandError(f"{option} {lo:g} {hi:g}: the first number must be smaller")
    try:
        return check_range("the range", lo, hi)
    except ValueError as exc:
        raise CommandError(f"{option} {lo:g} {hi:g} cannot be drawn: {exc}") from None


def build_state(args, expression, session_state=None) -> object:
    """The AppState the options describe: defaults, then the session, then the options."""
    from derivgui.model.state import AppState

    if session_state is not None:
        state = session_state
    elif args.session:
        from derivgui.model.session import load_session

        state, _history = load_session(args.session)
    else:
        state = AppState()
    two = len(expression.variables) == 2
    changes: dict = {"expression": expression.text}
    if not two:
        for option, values in (("--point", args.point), ("--delta", args.delta)):
            if values is not None and len(values) > 1:
                raise CommandError(f"{option} takes one number for a function of x alone, got {len(values)}")
    if args.point:
        changes["a"] = _check_value("--point", "a", args.point[0])
        if len(args.point) == 2:
            changes["b"] = _check_value("--point", "b", args.point[1])
    if args.delta:
        if any(d == 0 for d in args.delta):
            raise CommandError("--delta must not be 0 (the secant needs a step)")
        changes["delta_a"] = _check_value("--delta", "delta_a", args.delta[0])
        changes["delta_b"] = _check_value("--delta", "delta_b", args.delta[1] if len(args.delta) == 2
                                          else args.delta[0])
    if args.range_:
        pairs = [_check_range("--range", *args.range_[i:i + 2]) for i in range(0, len(args.range_), 2)]
        if two:
            x_range = pairs[0]
            y_range = pairs[1] if len(pairs) == 2 else pairs[0]
            changes.update(surface_x_range=x_range, surface_y_range=y_range, surface_range_custom=True)
        else:
            if len(pairs) == 2:
                raise CommandError("--range takes two numbers (X0 X1) for a function of x alone")
            changes["x_range"] = pairs[0]
    elif two and not (args.session and state.surface_range_custom):
        from derivgui.numeric.surface import default_surface_range

        x_range, y_range = default_surface_range(expression.normalized)
        changes.update(surface_x_range=x_range, surface_y_range=y_range)
    state.update(**changes)
    return state


def run_export(argv: list[str]) -> int:
    args = export_parser().parse_args(argv)
    try:
        return _export(args)
    except CommandError as exc:
        return _fail(str(exc))


def _fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 1


def _warn(message: str) -> None:
    print(f"{PROG}: warning: {message}", file=sys.stderr)


def _shown_path(path) -> str:
    return shorten(os.fspath(path), 80)


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _interrupted() -> int | None:
    from derivgui.files.atomic import interrupted

    return interrupted()


def _checkpoint() -> None:
    """Stop here if a signal asked for it: nothing has been written yet."""
    from derivgui.files.exporting import ExportCancelled

    if _interrupted() is not None:
        raise ExportCancelled


def _interrupted_exit(signum: int, output: str, written: bool = False) -> int:
    name = _signal_name(signum) if signum else "a signal"
    if written:
        print(f"{PROG}: interrupted by {name} after {_shown_path(output)} was written", file=sys.stderr)
    else:
        print(f"{PROG}: interrupted by {name}; nothing was written ({_shown_path(output)} was left as it was)",
              file=sys.stderr)
    return 128 + signum if signum else 1


def _export(args) -> int:
    from derivgui.expr.errors import ExpressionError
    from derivgui.files import exporting as ex
    from derivgui.files.atomic import WriteInterrupted, check_writable
    from derivgui.model.session import SessionError

    try:
        fmt = ex.format_for_path(args.output)
        animated = fmt in ex.ANIMATED
        default_size = ex.DEFAULT_ANIMATION_SIZE if animated else ex.DEFAULT_SIZE
        size = ex.parse_size(args.size, animated) if args.size else default_size
        if args.scale is not None:
            ex.layout_for(*size, args.scale)  # checks the scale
        frames = ex.DEFAULT_FRAMES if args.frames is None else args.frames
        if not 1 <= frames <= ex.MAX_FRAMES:
            raise CommandError(f"--frames must be 1 to {ex.MAX_FRAMES}, got {frames}")
        if animated:
            ex.check_animation(*size, frames, fmt)
        if args.samples is not None and not 2 <= args.samples <= ex.MAX_CURVE_SAMPLES:
            raise CommandError(f"--samples must be 2 to {ex.MAX_CURVE_SAMPLES} (points of a curve; for f(x, y) "
                               f"2 to {ex.MAX_GRID_SAMPLES} per side), got {args.samples}")
        _check_counts("--point", args.point, (1, 2))
        _check_counts("--delta", args.delta, (1, 2))
        _check_counts("--range", args.range_, (2, 4))
        for name, values in (("--point", args.point), ("--delta", args.delta), ("--range", args.range_)):
            _finite(name, values)
        first_file = ex.sequence_names(args.output, frames)[0] if fmt == "png-sequence" else args.output
        check_writable(first_file)

        from derivgui.expr.parse import parse

        session_state = None
        if args.session:
            from derivgui.model.session import load_session

            warnings: list[str] = []
            session_state, _history = load_session(args.session, warnings)
            if warnings:
                _warn(f"{_shown_path(args.session)}: ignored " + shorten("; ".join(warnings), 200)
                      + " (the defaults were used)")
        text = args.expression
        if text is None:
            if session_state is None:
                raise CommandError("give an expression (e.g. \"tanh(x)\") or --session FILE")
            text = session_state.expression
        expression = parse(text)
        state = build_state(args, expression, session_state)
        two = len(expression.variables) == 2
        if args.animation == "turntable" and not two:
            raise CommandError("--animation turntable turns a surface: it needs f(x, y)")
        if fmt in ex.VECTOR and two:
            raise CommandError(f"{fmt.upper()} draws the 2D view of f(x); export a surface f(x, y) "
                               "as .png, .gif or .csv")
        if fmt == "csv" and args.samples is not None:
            ex.check_samples(args.samples, two)
        if args.caption and fmt not in ("png", "svg", "pdf"):
            raise CommandError("--caption is for still pictures (.png, .svg, .pdf); the frames of a sweep "
                               "animation have their own")
        _checkpoint()

        from derivgui.compiler.compile_process import CompileProcessDied, compile_with_budget

        try:  # in a child process with a time budget, so that a signal can stop it at once
            compiled = compile_with_budget(text, cancelled=lambda: _interrupted() is not None)
        except CompileProcessDied:
            _checkpoint()  # a signal stopped it: cancelled, as any other stage
            raise
        _checkpoint()
        if fmt == "csv":  # numbers only: no Qt at all
            from derivgui.files.atomic import atomic_open

            vg = compiled.value_and_grad
            if two:
                columns = ex.grid_columns(vg, state.surface_x_range, state.surface_y_range,
                                          args.samples or ex.GRID_SAMPLES)
            else:
                columns = ex.curve_columns(vg, state.x_range, args.samples or ex.CURVE_SAMPLES)
            with atomic_open(args.output, "w", encoding="utf-8") as f:
                ex.write_csv(f, columns, cancelled=lambda: _interrupted() is not None)
            written = [args.output]
        else:
            written = _render(compiled, state, args, fmt, size, frames, two)
    except (ex.ExportCancelled, WriteInterrupted):
        signum = _interrupted()
        if signum is not None:
            return _interrupted_exit(signum, args.output)
        return _fail("cancelled; nothing was written")
    except (ex.ExportError, ExpressionError, SessionError) as exc:
        return _fail(_shorten_words(str(exc), 80))
    except OSError as exc:
        where = exc.filename if isinstance(exc.filename, str) else args.output
        reason = exc.strerror or str(exc)
        if isinstance(exc.filename, str) and exc.filename in reason:
            reason = reason.replace(exc.filename, _shown_path(exc.filename))
        return _fail(_shorten_words(f"cannot write {_shown_path(where)}: {reason}", 80))
    except MemoryError:
        return _fail("not enough memory for this export: use a smaller size, fewer frames or fewer samples")
    signum = _interrupted()
    if signum is not None:
        return _interrupted_exit(signum, args.output, written=True)
    if not args.quiet:
        what = f"{len(written)} frames {written[0]} … {written[-1]}" if len(written) > 1 else written[0]
        print(f"wrote {what}")
    return 0


def _render(compiled, state, args, fmt: str, size: tuple[int, int], frames: int, two: bool) -> list[str]:
    from derivgui.files import exporting as ex

    with qt_application(needs_opengl=two) as _app:
        from derivgui.ui.export.scene import ExportRequest, ExportScene, export_file

        request = ExportRequest(path=args.output, format=fmt, width=size[0], height=size[1], scale=args.scale,
                                frames=frames, animation=args.animation, samples=args.samples,
                                caption=args.caption)
        printer = _progress_printer(frames) if fmt in ex.ANIMATED and not args.quiet else None

        def progress(done: int, total: int) -> bool:
            # A kill (SIGTERM) or Ctrl+C cancels between frames, which removes the temporary file.
            if _interrupted() is not None:
                return False
            if printer is not None:
                printer(done, total)
            return True

        with ExportScene.offscreen(compiled, state) as scene:
            return export_file(scene, request, progress=progress)


def _progress_printer(total: int):
    if not sys.stderr.isatty():
        return None

    def show(done: int, _total: int) -> None:
        end = "\n" if done >= total else ""
        print(f"\rframe {min(done + 1, total)}/{total}", end=end, file=sys.stderr, flush=True)

    return show


# -- Qt without a display ---------------------------------------------------------------------


def _quiet_qt_messages() -> None:
    """Qt's warnings (no XDG_RUNTIME_DIR, propagateSizeHints…) would bury the one line that matters."""
    from PyQt5.QtCore import QtMsgType, qInstallMessageHandler

    def handler(kind, _context, message) -> None:
        if kind in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg) or os.environ.get("DERIVGUI_QT_DEBUG"):
            print(f"qt: {message}", file=sys.stderr)

    qInstallMessageHandler(handler)


@contextlib.contextmanager
def qt_application(needs_opengl: bool) -> Iterator[object]:
    """A QApplication fit for exporting here: offscreen for 2D, a real (maybe private) X display for GL.

    An application that already exists (a notebook with a Qt event loop) is used as it is.
    """
    from PyQt5.QtCore import QCoreApplication, Qt

    existing = QCoreApplication.instance()
    if existing is not None:
        yield existing
        return
    with contextlib.ExitStack() as stack:
        for name in ("DISPLAY", "QT_QPA_PLATFORM"):  # put the caller's environment back afterwards
            stack.callback(_restore_env, name, os.environ.get(name))
        if needs_opengl:
            if not os.environ.get("DISPLAY"):
                os.environ["DISPLAY"] = stack.enter_context(virtual_display())
            os.environ["QT_QPA_PLATFORM"] = "xcb"
        else:
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        os.environ.setdefault("XDG_RUNTIME_DIR", _runtime_dir())
        _quiet_qt_messages()
        QCoreApplication.setAttribute(Qt.AA_ShareOpenGLContexts)
        from PyQt5.QtWidgets import QApplication

        app = QApplication([PROG])
        try:
            yield app
        finally:
            # Close the application while the display still exists: Qt talks to X when it shuts down.
            app.closeAllWindows()
            app.processEvents()
            from PyQt5 import sip

            sip.delete(app)


def _restore_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def _runtime_dir() -> str:
    path = os.path.join("/tmp", f"derivgui-runtime-{os.getuid()}")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def virtual_display(timeout: float = 15.0) -> Iterator[str]:
    """Start Xvfb (with GLX, for Mesa's OpenGL) on a free display number; yield ":N"; stop it after.

    ``-displayfd`` makes Xvfb choose the number and report it once it accepts connections, so
    two exports at once never collide and nothing has to be polled.
    """
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise CommandError("a surface f(x, y) needs OpenGL: there is no DISPLAY and Xvfb is not installed "
                           "(Debian: apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    try:
        proc = subprocess.Popen(
            [xvfb, "-displayfd", str(write_fd), "-screen", "0", "1920x1200x24", "-nolisten", "tcp",
             "+extension", "GLX", "+render", "-noreset"],
            pass_fds=(write_fd,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent)
    except OSError as exc:
        os.close(read_fd)
        os.close(write_fd)
        raise CommandError(f"could not start Xvfb for OpenGL: {exc}") from exc
    os.close(write_fd)
    try:
        number = b""
        while not number.endswith(b"\n"):
            ready, _, _ = select.select([read_fd], [], [], timeout)
            chunk = os.read(read_fd, 32) if ready else b""
            if not chunk:
                raise CommandError("Xvfb did not start (needed for OpenGL without a display)")
            number += chunk
        yield f":{int(number)}"
    finally:
        os.close(read_fd)
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- entry point ------------------------------------------------------------------------------


_handled_signals = (signal.SIGINT, signal.SIGTERM)


def _on_signal(signum, _frame) -> None:
    # Only flags: an exception raised here could surface inside a Qt callback, where PyQt aborts
    # the process before any clean-up runs. Exports check them between steps and frames, and a
    # file is never renamed into place after the signal. A second signal ends the process at once.
    from derivgui.files.atomic import interrupt, interrupted

    if interrupted() is not None:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    interrupt(signum)


@contextlib.contextmanager
def _signals_cancel_writes() -> Iterator[None]:
    """While exporting, SIGINT and SIGTERM cancel the export (see ``_on_signal``)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for signum in _handled_signals:
        current = signal.getsignal(signum)
        if current in (signal.SIG_DFL, signal.default_int_handler):
            previous[signum] = current
            signal.signal(signum, _on_signal)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


# Qt's own options that take a value (derivgui passes unknown options on to QApplication).
_QT_VALUE_OPTIONS = {"-style", "-stylesheet", "-platform", "-platformpluginpath", "-platformtheme", "-plugin",
                     "-qwindowgeometry", "-geometry", "-qwindowicon", "-qwindowtitle", "-display", "-session",
                     "-name", "-title", "-visual", "-font", "-fn", "-bg", "-fg", "-btn", "-inputstyle"}


def _gui_misuse(argv: list[str]) -> str | None:
    """A one-line reason why ``derivgui ARGV`` cannot mean "open the window", or None."""
    words = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg.startswith("-"):
            skip = arg in _QT_VALUE_OPTIONS
        else:
            words.append(arg)
    if not words:
        return None
    first = words[0]
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", first) and not os.path.exists(first):
        close = difflib.get_close_matches(first.lower(), ["export"], n=1, cutoff=0.5)
        hint = f" (did you mean '{close[0]}'?)" if close else " (the command is 'export')"
        return (f"unknown command '{shorten(first, 30)}'{hint}; to open a session, give the name of "
                "its file")
    return None


def main(argv: list[str] | None = None) -> int:
    """The ``derivgui`` command (its entry point): the window (``app.run_gui``), or ``export`` without one."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "export":
        from derivgui.files.atomic import interrupted, reset_interrupt

        reset_interrupt()
        with _signals_cancel_writes():
            try:
                status = run_export(argv[1:])
            except KeyboardInterrupt:  # a SIGINT that came before the handler or outside the main thread
                print(f"{PROG}: interrupted; nothing was written", file=sys.stderr)
                return 130
            finally:
                signum = interrupted()
                reset_interrupt()  # a caller that goes on (a notebook) can write files again
            if signum is not None and status == 0:
                return 128 + signum
            return status
    parser = gui_parser()
    args, qt_args = parser.parse_known_args(argv)
    if args.version:
        from derivgui.version import __version__

        print(f"{PROG} {__version__}")
        return 0
    problem = _gui_misuse(argv)
    if problem is not None:
        parser.print_usage(sys.stderr)
        print(f"{PROG}: error: {problem}", file=sys.stderr)
        return 2
    from derivgui.app.startup import run_gui

    return run_gui(qt_args, session=args.session)
