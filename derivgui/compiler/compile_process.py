"""Compiling in separate processes, so the window's Python never waits for PyTensor.

PyTensor's graph rewriting is pure Python: on a thread it holds the GIL for most of a compile,
and the window's event loop stalls (gaps of 90–150 ms were measured while typing). In a child
process it runs on the other core; the window's side only waits on a pipe, which releases the
GIL. The child answers with what ``engine.compile_program`` returns (plain NumPy calls, see
``program``), so the window's process never imports PyTensor at all.

A child can be killed at any moment, and that is how a compile is cancelled: when a newer request
supersedes it, and when it runs past its budget (``COMPILE_BUDGET_S``: some accepted expressions
take PyTensor's rewrites minutes). Starting a replacement costs 0.45 s on an idle machine and
0.7–1 s with the other core busy (measured start to ready: the interpreter, ~0.45 s of NumPy and
PyTensor imports, then ~0.13 s for the first compile, which builds the rewrite databases), so
``CompilerPool`` keeps a warm spare started in the background and a replacement is ready at once.

Protocol, over a child's stdin/stdout: length-prefixed pickles. Once warm, the child says
``("ready",)``. A request is ``("compile", request)`` or ``("formulas", request)``, where request is
a ``request.CompileRequest`` (the text as the user typed it, which the child parses under the same
limits as ``compile_expr``, and the capabilities wanted; the window's is always the default one) or
just the text, for the default; a reply is ``("ok", result)`` or ``("error", message, column)``.
Only the two ends speak it, this module (the window's side) and ``compile_server`` (the child's,
our own ``sys.executable`` running ``python -m derivgui.compiler.compile_server``): the child
imports the engine, this module never does.
"""

from __future__ import annotations

import atexit
import os
import pickle
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import IO, TYPE_CHECKING

from derivgui.compiler.request import CompileRequest, as_request, check
from derivgui.expr.errors import ExpressionError

if TYPE_CHECKING:
    from derivgui.numeric.compiled import CompiledExpression, Kernel

# The longest a compile (or a formula) may take before its process is killed and the user is told
# the expression is too complex. Typical expressions take 10–100 ms; the slowest accepted ones
# take minutes (max(x, x, …) with 200 arguments).
COMPILE_BUDGET_S = 5.0
# A new child must import PyTensor and warm up before its first answer (0.4 s alone, longer
# with the other core busy); its startup is not counted in the budget, but it has this long.
STARTUP_TIMEOUT_S = 60.0
# Warm children kept idle by a pool beyond those in use, and the most it keeps idle.
SPARES = 1
MAX_IDLE = 2

_HEADER = struct.Struct(">I")


class CompileProcessDied(RuntimeError):
    """The child exited (crashed, was killed or cancelled) before it answered."""


class CompileTimeout(ExpressionError):
    """The compile ran past its budget; its process was killed."""


def too_complex(budget_s: float) -> CompileTimeout:
    return CompileTimeout(f"too complex to differentiate here (stopped after {budget_s:g} s)")


def send_message(stream: IO[bytes], message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def receive_message(stream: IO[bytes]) -> object | None:
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


def _pipes(child: subprocess.Popen) -> tuple[IO[bytes], IO[bytes]]:
    """The child's stdin (requests) and stdout (replies): ``CompileProcess`` always pipes both."""
    assert child.stdin is not None and child.stdout is not None
    return child.stdin, child.stdout


class CompileProcess:
    """A child process that compiles; calls block the calling thread (not the GIL) until it answers.

    One request at a time (a lock serializes callers). The child is started on first use or by
    ``start()``, and started again after it died. Each answer has a time budget, after which the
    child is killed and ``CompileTimeout`` raised; ``kill()`` cancels from any thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._child: subprocess.Popen | None = None
        self._ready = False  # the current child's "ready" has been read
        self._started_at = 0.0
        self._expired: subprocess.Popen | None = None  # the child a budget timer killed
        self.startup_s: float | None = None  # start to ready, of the last child that got ready

    @property
    def pid(self) -> int | None:
        child = self._child
        return child.pid if child is not None else None

    def alive(self) -> bool:
        child = self._child
        return child is not None and child.poll() is None

    def start(self) -> None:
        """Start the child now (it imports PyTensor and warms up while the caller goes on).

        A child that cannot start is not an error here: the first request reports it.
        """
        with self._lock:
            try:
                self._ensure_child()
            except OSError:
                self._child = None

    def compile(self, request: CompileRequest | str, budget_s: float | None = COMPILE_BUDGET_S):
        """What ``engine.compile_program`` makes of a request, or of a text (the default request;
        the text passed on as it comes).

        Raises ExpressionError (CompileTimeout after ``budget_s`` seconds, None for no limit) or
        CompileProcessDied.
        """
        return self._ask("compile", request, budget_s)

    def formulas(self, request: CompileRequest | str, budget_s: float | None = COMPILE_BUDGET_S) -> tuple[str, ...]:
        return self._ask("formulas", request, budget_s)

    def _ask(self, kind: str, request: CompileRequest | str, budget_s: float | None):
        with self._lock:
            self._expired = None
            starting = False
            try:
                child = self._ensure_child()
                requests, replies = _pipes(child)
                if not self._ready:
                    starting = True
                    if self._within(child, STARTUP_TIMEOUT_S, receive_message, replies) is None:
                        raise EOFError
                    self._ready, starting = True, False
                    self.startup_s = time.perf_counter() - self._started_at
                send_message(requests, (kind, request))
                reply = self._within(child, budget_s, receive_message, replies)
            except (OSError, ValueError, EOFError, pickle.UnpicklingError):
                reply = None
            if reply is None:
                expired = self._expired is not None
                self._reap()
                if expired and not starting and budget_s is not None:
                    raise too_complex(budget_s)
                raise CompileProcessDied("the compiler process stopped before it answered")
        if reply[0] == "ok":
            return reply[1]
        raise ExpressionError(reply[1], reply[2])

    def _within(self, child: subprocess.Popen, seconds: float | None, call, *args):
        """``call(*args)``, killing the child if it has not returned after ``seconds``."""
        if seconds is None:
            return call(*args)
        timer = threading.Timer(seconds, self._expire, (child,))
        timer.daemon = True
        timer.start()
        try:
            return call(*args)
        finally:
            timer.cancel()

    def _expire(self, child: subprocess.Popen) -> None:
        if child is self._child and child.poll() is None:
            self._expired = child
            child.kill()

    def _ensure_child(self) -> subprocess.Popen:
        if self._child is None or self._child.poll() is not None:
            if self._child is not None:
                self._reap()
            root = str(Path(__file__).resolve().parents[2])  # where this derivgui package lives
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
            self._started_at = time.perf_counter()
            self._ready = False
            self._child = subprocess.Popen(
                [sys.executable, "-m", "derivgui.compiler.compile_server"],
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
                _pipes(child)[0].close()
                child.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                child.kill()
        self._reap()

    def _reap(self) -> None:
        child, self._child = self._child, None
        self._ready = False
        if child is not None:
            if child.poll() is None:
                child.kill()
            child.wait()
            for stream in _pipes(child):
                try:
                    stream.close()
                except OSError:
                    pass


class CompilerPool:
    """Compile processes to hand out, each to one caller at a time, with a warm spare.

    ``acquire()`` takes an idle process (started earlier, so warm by now) and starts a spare in
    the background, so the next caller, or the replacement of a process killed mid-compile, does
    not wait for PyTensor to load. ``release()`` gives a healthy process back; ``discard()`` ends
    one that was killed, timed out or died.
    """

    def __init__(self, spares: int = SPARES, max_idle: int = MAX_IDLE) -> None:
        self.spares = spares
        self.max_idle = max(max_idle, spares)
        self._idle: list[CompileProcess] = []
        self._lock = threading.Lock()
        self._closed = False

    def warm_up(self) -> None:
        """Have one process starting (call early: it loads PyTensor while the window is built)."""
        with self._lock:
            self._top_up(max(1, self.spares))

    start = warm_up  # as CompileProcess.start was called before there was a pool

    def acquire(self, fresh: bool = False) -> CompileProcess:
        """An idle live process, or with ``fresh`` (or none idle) a newly started one."""
        with self._lock:
            chosen = None
            while self._idle and not fresh:
                process = self._idle.pop(0)  # the oldest: the most likely to be warm
                if process.alive():
                    chosen = process
                    break
                process.stop()
            if chosen is None:
                chosen = CompileProcess()
                chosen.start()
            self._top_up(self.spares)
            return chosen

    def release(self, process: CompileProcess) -> None:
        """Take back a process after a request it answered."""
        extra = None
        with self._lock:
            if self._closed or not process.alive():
                extra = process
            else:
                self._idle.append(process)
                if len(self._idle) > self.max_idle:
                    extra = self._idle.pop(0)
        if extra is not None:
            extra.kill()  # idle, so nothing is lost, and the caller need not wait for it to exit
            extra.stop()

    def discard(self, process: CompileProcess) -> None:
        """End a process whose state is not to be trusted (killed, timed out, died)."""
        process.kill()
        process.stop()
        with self._lock:
            self._top_up(self.spares)

    def idle_processes(self) -> list[CompileProcess]:
        with self._lock:
            return list(self._idle)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for process in idle:
            process.stop()

    def _top_up(self, count: int) -> None:
        while not self._closed and len(self._idle) < count:
            process = CompileProcess()
            process.start()
            self._idle.append(process)


_shared: CompilerPool | None = None
_shared_lock = threading.Lock()


def shared_pool() -> CompilerPool:
    """The process-wide compilers: windows share them, and they stop when Python exits."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = CompilerPool()
            atexit.register(_shared.close)
        return _shared


def shared_compile_process() -> CompilerPool:
    """The former name, for callers that start it early with ``shared_compile_process().start()``."""
    return shared_pool()


def compile_with_budget(text: CompileRequest | str, budget_s: float = COMPILE_BUDGET_S,
                        cancelled: Callable[[], bool] | None = None) -> CompiledExpression:
    """Like ``derivgui.compile_expr(text)`` (or ``engine.compile_request(request)``), but the compile
    runs in a child process that is killed after ``budget_s`` seconds (``CompileTimeout``, an
    ExpressionError, is raised then), or within 50 ms of ``cancelled()`` turning true
    (``CompileProcessDied`` is raised then: a signal handler only sets a flag, and this is how
    SIGTERM stops a command line that is waiting for a compile).

    For one-off callers such as the command line: it starts its own child (about 0.4 s) unless the
    kernel cache already holds the expression, and stops it before returning. What the result
    compiles later (``derivative(n)``, ``hessian``) is compiled the same way.
    """
    from derivgui.compiler.request import parse_request
    from derivgui.numeric.compiled import CompiledExpression

    request = as_request(text)
    expression = parse_request(request)
    kernel = _kernel_with_budget(expression, request, budget_s, cancelled)

    def more(**capabilities) -> Kernel:
        wanted = replace(request, **capabilities)
        check(wanted, expression)
        return _kernel_with_budget(expression, wanted, budget_s, None)

    return CompiledExpression(expression, kernel, formula_source=lambda e: formulas_with_budget(request, budget_s),
                              compiler=more)


def _kernel_with_budget(expression, request: CompileRequest, budget_s: float,
                        cancelled: Callable[[], bool] | None) -> Kernel:
    from derivgui.numeric.compiled import kernel_cache

    process = CompileProcess()
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.05):
            if cancelled is not None and cancelled():
                process.kill()
                return

    if cancelled is not None:
        threading.Thread(target=watch, name="derivgui-compile-cancel", daemon=True).start()

    def build(e):
        try:
            return process.compile(request, budget_s)
        except CompileProcessDied:  # it died under us: once more, on a new child (unless cancelled)
            if cancelled is not None and cancelled():
                raise
            try:
                return process.compile(request, budget_s)
            except CompileProcessDied as exc:
                raise ExpressionError("the compiler stopped while working on this expression") from exc

    try:
        return kernel_cache.get_or_build(expression, build, request.cache_key(expression))
    finally:
        done.set()
        process.stop()


def formulas_with_budget(text: CompileRequest | str, budget_s: float = COMPILE_BUDGET_S) -> tuple[str, ...]:
    """What ``compile_with_budget(text).derivative_formulas()`` asks: the formulas, printed in a child
    process that is started for them and stopped (killed after ``budget_s`` seconds)."""
    process = CompileProcess()
    try:
        return process.formulas(text, budget_s)
    finally:
        process.stop()
