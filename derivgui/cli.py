"""The ``derivgui`` command: the window by default, ``derivgui export …`` without any display.

Only argparse is imported up front, so ``derivgui --help`` answers at once; Qt and PyTensor are
imported when they are needed. ``export`` runs the same code as File ▸ Export…
(``derivgui.ui.export``): 2D pictures are drawn with Qt's ``offscreen`` platform, and a 3D
surface, which needs OpenGL, uses $DISPLAY if there is one or else a private Xvfb that the
command starts on a free display number and stops when it ends.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
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

exit status: 0 on success; 1 for a bad expression, format, size, path or session (one line on
stderr, and no file is written); 2 for a misuse of the options."""


class CommandError(Exception):
    """A problem to report as one line on stderr, with exit status 1."""


# -- argument parsing -------------------------------------------------------------------------


def export_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=f"{PROG} export", description=EXPORT_DESCRIPTION, epilog=EXPORT_EXAMPLES,
        usage=(f"{PROG} export [-h] [EXPR] -o FILE [--point A [B]] [--delta DA [DB]] [--range X0 X1 [Y0 Y1]]\n"
               "                       [--size WxH] [--scale S] [--frames N] [--animation {sweep,turntable}]\n"
               "                       [--samples N] [--session FILE] [-q]"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("expression", nargs="?", metavar="EXPR",
                   help='the function, e.g. "tanh(x)" or "x^2*y + y" (quote it for the shell); '
                        "optional with --session")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="the file to write; its extension chooses the format")
    p.add_argument("--point", nargs="+", type=float, metavar=("A", "B"),
                   help="the point: A, or A B for f(x, y) (default 1)")
    p.add_argument("--delta", nargs="+", type=float, metavar=("DA", "DB"),
                   help="the step: DA, or DA DB for f(x, y); not 0 (default 1)")
    p.add_argument("--range", nargs="+", type=float, metavar=("X0", "X1"), dest="range_",
                   help="X0 X1: the x range of the 2D view; X0 X1 Y0 Y1: the surface's domain for f(x, y) "
                        "(default -6 6; 0 10 0 10 for the notebook's x^2*y + y)")
    p.add_argument("--size", metavar="WxH",
                   help="the picture in pixels (default 1600x1000; 800x500 for .gif); vector formats are "
                        "laid out the same way and scale without loss")
    p.add_argument("--scale", type=float, metavar="S",
                   help="pixels per logical pixel of the layout, i.e. how large text and lines are "
                        "(default: chosen from the size, as on a HiDPI screen)")
    p.add_argument("--frames", type=int, metavar="N",
                   help="frames of an animation (.gif or numbered .png; default 48)")
    p.add_argument("--animation", choices=("sweep", "turntable"), default="sweep",
                   help="sweep: Δa (and Δb) shrink geometrically to 1e-15; turntable: the surface turns "
                        "once (f(x, y) only). Default: sweep")
    p.add_argument("--samples", type=int, metavar="N",
                   help="CSV samples: points of the curve (default 1001) or grid points per side (default 101)")
    p.add_argument("--session", metavar="FILE",
                   help="start from a saved session (File ▸ Save session…); the other options override it")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    return p


def gui_parser() -> argparse.ArgumentParser:
    epilog = ("the export command (derivgui export --help):\n\n" + export_parser().format_help())
    p = argparse.ArgumentParser(prog=PROG, description=DESCRIPTION, epilog=epilog,
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


def build_state(args, expression) -> object:
    """The AppState the options describe: defaults, then the session, then the options."""
    from derivgui.core.state import AppState

    if args.session:
        from derivgui.core.session import load_session

        state, _history = load_session(args.session)
    else:
        state = AppState()
    two = len(expression.variables) == 2
    changes: dict = {"expression": expression.text}
    if args.point:
        changes["a"] = args.point[0]
        if len(args.point) == 2:
            changes["b"] = args.point[1]
    if args.delta:
        if any(d == 0 for d in args.delta):
            raise CommandError("--delta must not be 0 (the secant needs a step)")
        changes["delta_a"] = args.delta[0]
        changes["delta_b"] = args.delta[1] if len(args.delta) == 2 else args.delta[0]
    if args.range_:
        pairs = [tuple(args.range_[i:i + 2]) for i in range(0, len(args.range_), 2)]
        for lo, hi in pairs:
            if not lo < hi:
                raise CommandError(f"--range {lo:g} {hi:g}: the first number must be smaller")
        if two:
            x_range = pairs[0]
            y_range = pairs[1] if len(pairs) == 2 else pairs[0]
            changes.update(surface_x_range=x_range, surface_y_range=y_range, surface_range_custom=True)
        else:
            if len(pairs) == 2:
                raise CommandError("--range takes two numbers (X0 X1) for a function of x alone")
            changes["x_range"] = pairs[0]
    elif two and not (args.session and state.surface_range_custom):
        from derivgui.core.surface import default_surface_range

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


def _export(args) -> int:
    from derivgui.core import exporting as ex
    from derivgui.core.atomic import check_writable
    from derivgui.core.errors import ExpressionError
    from derivgui.core.session import SessionError

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
        if args.samples is not None and not 2 <= args.samples <= 100_000:
            raise CommandError(f"--samples must be 2 to 100000, got {args.samples}")
        _check_counts("--point", args.point, (1, 2))
        _check_counts("--delta", args.delta, (1, 2))
        _check_counts("--range", args.range_, (2, 4))
        for name, values in (("--point", args.point), ("--delta", args.delta), ("--range", args.range_)):
            _finite(name, values)
        first_file = ex.sequence_names(args.output, frames)[0] if fmt == "png-sequence" else args.output
        check_writable(first_file)

        from derivgui.core.parse import parse

        text = args.expression
        if text is None:
            if not args.session:
                raise CommandError("give an expression (e.g. \"tanh(x)\") or --session FILE")
            from derivgui.core.session import load_session

            text = load_session(args.session)[0].expression
        expression = parse(text)
        state = build_state(args, expression)
        two = len(expression.variables) == 2
        if args.animation == "turntable" and not two:
            raise CommandError("--animation turntable turns a surface: it needs f(x, y)")
        if fmt in ex.VECTOR and two:
            raise CommandError(f"{fmt.upper()} draws the 2D view of f(x); export a surface f(x, y) "
                               "as .png, .gif or .csv")

        import derivgui

        compiled = derivgui.compile_expr(text)
        if fmt == "csv":  # numbers only: no Qt at all
            from derivgui.core.atomic import atomic_write_text

            vg = compiled.value_and_grad
            if two:
                table = ex.grid_csv(vg, state.surface_x_range, state.surface_y_range, args.samples or ex.GRID_SAMPLES)
            else:
                table = ex.curve_csv(vg, state.x_range, args.samples or ex.CURVE_SAMPLES)
            atomic_write_text(args.output, table)
            written = [args.output]
        else:
            written = _render(compiled, state, args, fmt, size, frames, two)
    except (ex.ExportError, ExpressionError, SessionError) as exc:
        return _fail(str(exc))
    except ex.ExportCancelled:
        return _fail("cancelled; nothing was written")
    except OSError as exc:
        where = exc.filename or args.output
        return _fail(f"cannot write {where}: {exc.strerror or exc}")
    if not args.quiet:
        what = f"{len(written)} frames {written[0]} … {written[-1]}" if len(written) > 1 else written[0]
        print(f"wrote {what}")
    return 0


def _render(compiled, state, args, fmt: str, size: tuple[int, int], frames: int, two: bool) -> list[str]:
    from derivgui.core import exporting as ex

    with qt_application(needs_opengl=two) as _app:
        from derivgui.ui.export import ExportRequest, ExportScene, export_file

        request = ExportRequest(path=args.output, format=fmt, width=size[0], height=size[1], scale=args.scale,
                                frames=frames, animation=args.animation, samples=args.samples)
        printer = _progress_printer(frames) if fmt in ex.ANIMATED and not args.quiet else None

        def progress(done: int, total: int) -> bool:
            # A kill (SIGTERM) cancels between frames, which removes the temporary file.
            if _terminated.is_set():
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


_terminated = threading.Event()


def _on_sigterm(*_args) -> None:
    # Only a flag: an exception raised here could surface inside a Qt callback, where PyQt aborts
    # the process before any clean-up runs. Exports check it between frames and cancel.
    _terminated.set()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "export":
        # Let a kill run the clean-up (temporary files, Xvfb) like Ctrl+C does.
        handle_term = (threading.current_thread() is threading.main_thread()
                       and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL)
        if handle_term:
            signal.signal(signal.SIGTERM, _on_sigterm)
        try:
            status = run_export(argv[1:])
            return 143 if _terminated.is_set() else status
        except KeyboardInterrupt:
            print(f"{PROG}: interrupted; nothing was written", file=sys.stderr)
            return 130
        finally:
            if handle_term:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
    args, qt_args = gui_parser().parse_known_args(argv)
    if args.version:
        from derivgui import __version__

        print(f"{PROG} {__version__}")
        return 0
    from derivgui.app import run_gui

    return run_gui(qt_args, session=args.session)
