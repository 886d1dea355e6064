"""Compiling in a separate process, so the window's Python never waits for PyTensor.

PyTensor's graph rewriting is pure Python: on a thread it holds the GIL for most of a compile,
and the window's event loop stalls (gaps of 90–150 ms were measured while typing). In a child
process it runs on the other core; the window's side only waits on a pipe, which releases the
GIL. The child answers with a ``Program`` (plain NumPy calls, see ``program``), so the window's
process never imports PyTensor at all.

Protocol, over the child's stdin/stdout: length-prefixed pickles. A request is ``("compile",
text)`` or ``("formulas", text)``; a reply is ``("ok", result)`` or ``("error", message,
column)``. Only this module's two ends speak it, and the child is our own ``sys.executable``.

Run as ``python -m derivgui.core.compile_process`` (``CompileProcess`` does).
"""

from __future__ import annotations

import atexit
import os
import pickle
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import BinaryIO

from derivgui.core.errors import ExpressionError
from derivgui.core.program import Program

_HEADER = struct.Struct(">I")


class CompileProcessDied(RuntimeError):
    """The child exited (crashed, was killed or cancelled) before it answered."""


def _send(stream: BinaryIO, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: BinaryIO) -> object | None:
    """The next message, or None at end of stream."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    size = _HEADER.unpack(header)[0]
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)


# -- the window's side ------------------------------------------------------------------------


class CompileProcess:
    """A child process that compiles; calls block the calling thread (not the GIL) until it answers.

    One request at a time (a lock serializes callers). The child is started on first use or by
    ``start()``, and started again after it died.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._child: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the child now (it imports PyTensor and warms up while the caller goes on).

        A child that cannot start is not an error here: the first request reports it.
        """
        with self._lock:
            try:
                self._ensure_child()
            except OSError:
                self._child = None

    def compile(self, text: str) -> Program:
        """The program for a checked expression's text; raises ExpressionError or CompileProcessDied."""
        return self._ask("compile", text)

    def formulas(self, text: str) -> tuple[str, ...]:
        return self._ask("formulas", text)

    def _ask(self, kind: str, text: str):
        with self._lock:
            child = self._ensure_child()
            try:
                _send(child.stdin, (kind, text))
                reply = _receive(child.stdout)
            except (BrokenPipeError, OSError, ValueError, EOFError, pickle.UnpicklingError):
                reply = None
            if reply is None:
                self._reap()
                raise CompileProcessDied("the compiler process stopped before it answered")
        if reply[0] == "ok":
            return reply[1]
        raise ExpressionError(reply[1], reply[2])

    def _ensure_child(self) -> subprocess.Popen:
        if self._child is None or self._child.poll() is not None:
            root = str(Path(__file__).resolve().parents[2])  # where this derivgui package lives
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
            self._child = subprocess.Popen(
                [sys.executable, "-m", "derivgui.core.compile_process"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, close_fds=True,
            )
        return self._child

    def kill(self) -> None:
        """Stop the child at once, even mid-compile; a blocked caller gets CompileProcessDied.

        Not under the lock: the lock's holder may be the caller waiting for this very child.
        """
        child = self._child
        if child is not None and child.poll() is None:
            child.kill()

    def stop(self) -> None:
        """Ask the child to exit (end of its input), then make sure it has."""
        child = self._child
        if child is None:
            return
        if child.poll() is None:
            try:
                child.stdin.close()
                child.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                child.kill()
        self._reap()

    def _reap(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            if child.poll() is None:
                child.kill()
            child.wait()
            for stream in (child.stdin, child.stdout):
                try:
                    stream.close()
                except OSError:
                    pass


_shared: CompileProcess | None = None
_shared_lock = threading.Lock()


def shared_compile_process() -> CompileProcess:
    """The process-wide compiler: windows share it, and it stops when Python exits."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = CompileProcess()
            atexit.register(_shared.stop)
        return _shared


# -- the child's side -------------------------------------------------------------------------


def serve(requests: BinaryIO, replies: BinaryIO) -> None:
    """Answer requests until the input ends."""
    from derivgui.core.engine import compile_program
    from derivgui.core.formula import derivative_formulas
    from derivgui.core.parse import parse

    compile_program(parse("x"))  # PyTensor builds its rewrite databases on first use: do it now
    while (request := _receive(requests)) is not None:
        kind, text = request
        try:
            expression = parse(text)
            result = compile_program(expression) if kind == "compile" else derivative_formulas(expression)
            reply = ("ok", result)
        except ExpressionError as exc:
            reply = ("error", exc.message, exc.column)
        except Exception as exc:  # noqa: BLE001 - any failure is an answer, never a dead child
            reply = ("error", f"could not compile this expression: {exc}", None)
        _send(replies, reply)


def main() -> None:
    # Background work: when the window's thread or the X server wants a core (a new expression's
    # first paints come while this child builds the formulas), they get it first. In
    # benchmarks/ui.py section 6 one of two runs before had a 54 ms gap after a new expression;
    # three runs after had 18-23 ms at worst.
    if hasattr(os, "nice"):
        os.nice(10)
    # Replies get a private copy of stdout; anything a library prints goes to stderr instead.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        serve(sys.stdin.buffer, replies)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
