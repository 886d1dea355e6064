"""Compile requests, answered in the background; per channel, the newest request wins.

Requests carry ids from one counter and a channel name ("main" for the plotted expression,
"check-x"/"check-y" for the student's own derivative). Each channel has its own worker thread
(a lane), so one channel's compile never waits behind another's. A lane parses each request (a
syntax error comes back at once, with its column), looks in the kernel cache, and otherwise asks
a compile process from the shared pool (``core.compile_process``), where PyTensor differentiates
and rewrites without holding this process's GIL; the thread just waits on a pipe.

A newer request on a channel supersedes the older ones at once: one still queued is skipped, and
one the compile process is working on is cancelled by killing that process (the pool keeps a
warm spare, so the next request does not wait for a new one to load PyTensor). Every compile has
a budget (``COMPILE_BUDGET_S``); past it the process is killed and the user is told the
expression is too complex. A process that dies under a request is replaced and the request
retried once before anything is reported. Only results that answer their channel's newest
request are delivered.

When the application turned the on-disk cache on (``core.program_cache.enable``, as
``derivgui.app.startup.run_gui`` does), a lane looks there after the kernel cache and before asking a
compile process: the window's first plot then needs no PyTensor and no child's answer. What a
child compiled (and the derivative formulas it wrote) is saved there afterwards, on the cache's
own writer thread.
"""

from __future__ import annotations

import itertools
import threading
import traceback

from PyQt5.QtCore import QObject, QThread, pyqtSignal, pyqtSlot

from derivgui.compiler import program_cache
from derivgui.compiler.compile_process import (
    COMPILE_BUDGET_S,
    CompileProcess,
    CompileProcessDied,
    CompilerPool,
    CompileTimeout,
    shared_pool,
)
from derivgui.expr.errors import ExpressionError
from derivgui.expr.parse import Expression, parse
from derivgui.numeric.compiled import CompiledExpression, Kernel, kernel_cache

MAIN = "main"


class _Superseded(Exception):
    """The request was cancelled: a newer one on its channel came, or the service is stopping."""


class CompileWorker(QObject):
    """One channel's lane; lives on its own thread, where ``compile`` runs through a queued signal."""

    submit = pyqtSignal(str, int, str)  # emitted by the GUI thread, received on the lane's thread
    finished = pyqtSignal(str, int, object, object)  # channel, id, CompiledExpression | None, error | None
    formulas = pyqtSignal(int, object)  # id, the derivative formulas of a main-channel result

    def __init__(self, pool: CompilerPool, latest_ids: dict[str, int], budget_s: float = COMPILE_BUDGET_S) -> None:
        super().__init__()
        self.pool = pool
        self.budget_s = budget_s
        # Written by the GUI thread, read here: single dict item assignments are atomic in CPython.
        self.latest_ids = latest_ids
        self.stopping = False
        self._channel, self._request_id = MAIN, 0  # the request being answered (this thread only)
        # What the lane's compile process is working on, for cancelling from the GUI thread.
        self._lock = threading.Lock()
        self._busy: tuple[int, CompileProcess] | None = None
        self._cancelled = False
        self.submit.connect(self.compile)

    @property
    def waiting_for_compiler(self) -> bool:
        return self._busy is not None

    @pyqtSlot(str, int, str)
    def compile(self, channel: str, request_id: int, text: str) -> None:
        if self._superseded(channel, request_id):
            return  # superseded while queued
        self._channel, self._request_id = channel, request_id
        try:
            compiled, kernel, fresh = self._compiled(text)
        except _Superseded:
            return
        except ExpressionError as exc:
            self.finished.emit(channel, request_id, None, exc)
            return
        except CompileProcessDied:
            self.finished.emit(channel, request_id, None, ExpressionError(
                "the compiler stopped while working on this expression; edit it to try again"))
            return
        except Exception as exc:  # noqa: BLE001 - any failure becomes a message, never a dead thread
            traceback.print_exc()
            self.finished.emit(channel, request_id, None, ExpressionError(f"could not compile: {exc}"))
            return
        self.finished.emit(channel, request_id, compiled, None)
        if channel == MAIN and not self._superseded(channel, request_id):
            # The curve goes on screen first; the formula (more rewriting) follows.
            known = kernel.formulas is not None
            try:
                formulas = compiled.derivative_formulas(lambda e: self._ask("formulas", e.text))
                self.formulas.emit(request_id, formulas)
            except (_Superseded, CompileProcessDied, CompileTimeout):
                pass  # the plot is up; only its formula is missing (or no longer wanted)
            except Exception:  # noqa: BLE001 - a formula that cannot be printed is not worth a failure
                traceback.print_exc()
            fresh = fresh or (not known and kernel.formulas is not None)
        if fresh and not self._superseded(channel, request_id):
            # Not an expression typed past on the way to another: keep it for the next run.
            self._save(compiled.expression, kernel)

    def _compiled(self, text: str) -> tuple[CompiledExpression, Kernel, bool]:
        """The compiled expression, its kernel, and whether a compile process built it just now."""
        expression = parse(text)
        disk = program_cache.active()
        built: dict[str, object] = {}

        def build(e: Expression):
            entry = disk.load(e) if disk is not None else None
            if entry is not None:
                built["formulas"] = entry.formulas
                return entry.programs
            # The caches are keyed by the normalized text; the child gets the text as typed and
            # parses it under the same limits as compile_expr (the fully parenthesised normalized
            # text is longer and deeper, and could fail them).
            programs = self._ask("compile", e.text)
            built["fresh"] = True
            return programs

        kernel = kernel_cache.get_or_build(expression, build)
        if built.get("formulas") and kernel.formulas is None:
            kernel.formulas = built["formulas"]
        return CompiledExpression(expression, kernel), kernel, bool(built.get("fresh"))

    @staticmethod
    def _save(expression: Expression, kernel: Kernel) -> None:
        disk = program_cache.active()
        if disk is not None:
            disk.store_later(expression, kernel.programs, kernel.formulas)

    def _ask(self, kind: str, text: str):
        """The answer of a pool process to one request; a process that dies under it is replaced
        by a new one and the request asked again, once."""
        request_id = self._request_id
        for attempt in range(2):
            process = self.pool.acquire(fresh=attempt > 0)
            with self._lock:
                # A newer request that came before _busy is set cannot cancel this one: look now.
                superseded = self._superseded(self._channel, request_id)
                if not superseded:
                    self._busy, self._cancelled = (request_id, process), False
            if superseded:
                self.pool.release(process)
                raise _Superseded
            healthy = False
            try:
                ask = process.compile if kind == "compile" else process.formulas
                answer = ask(text, self.budget_s)
                healthy = True
                return answer
            except CompileTimeout:
                raise
            except ExpressionError:
                healthy = True  # the expression's fault: the process is fine
                raise
            except CompileProcessDied:
                pass
            finally:
                with self._lock:
                    cancelled, self._busy = self._cancelled, None
                if healthy and not cancelled:
                    self.pool.release(process)
                else:
                    self.pool.discard(process)
                if cancelled or self.stopping:
                    raise _Superseded  # noqa: B012 - whatever the outcome, it is no longer wanted
        raise CompileProcessDied("the compiler process stopped twice while working on this expression")

    def cancel_before(self, request_id: int) -> None:
        """Kill the compile in progress if it answers an older request (any thread)."""
        with self._lock:
            if self._busy is not None and self._busy[0] < request_id:
                self._cancelled = True
                self._busy[1].kill()

    def _superseded(self, channel: str, request_id: int) -> bool:
        return self.stopping or request_id != self.latest_ids.get(channel)


class CompileService(QObject):
    """Owns the lanes' threads. ``request(text, channel)`` returns the id its result will carry."""

    result = pyqtSignal(str, int, object, object)  # only results that answer their channel's newest request
    formulas = pyqtSignal(object)  # the derivative formulas for the newest main result
    busy = pyqtSignal(bool)

    def __init__(self, parent: QObject | None = None, pool: CompilerPool | None = None,
                 budget_s: float = COMPILE_BUDGET_S) -> None:
        super().__init__(parent)
        self.pool = pool if pool is not None else shared_pool()
        self.pool.warm_up()  # PyTensor loads in a child while the window is being built
        self.budget_s = budget_s
        self._ids = itertools.count(1)
        self.latest_ids: dict[str, int] = {}
        self._pending: set[str] = set()
        self._lanes: dict[str, tuple[QThread, CompileWorker]] = {}
        self._shut_down = False
        self._lane(MAIN)

    def _lane(self, channel: str) -> CompileWorker:
        if channel not in self._lanes:
            thread = QThread()
            thread.setObjectName("derivgui-compile" if channel == MAIN else f"derivgui-compile-{channel}")
            worker = CompileWorker(self.pool, self.latest_ids, self.budget_s)
            worker.moveToThread(thread)
            worker.finished.connect(self._on_finished)
            worker.formulas.connect(self._on_formulas)
            thread.finished.connect(worker.deleteLater)
            thread.start()
            self._lanes[channel] = (thread, worker)
        return self._lanes[channel][1]

    def request(self, text: str, channel: str = MAIN) -> int:
        request_id = next(self._ids)
        self.latest_ids[channel] = request_id
        if self._shut_down:
            return request_id  # a request after shutdown (a closing window's timer) is never answered
        worker = self._lane(channel)
        worker.cancel_before(request_id)  # a superseded compile stops now, not when it is done
        self._pending.add(channel)
        self.busy.emit(True)
        worker.submit.emit(channel, request_id, text)
        return request_id

    def _on_finished(self, channel: str, request_id: int, compiled, error) -> None:
        if request_id != self.latest_ids.get(channel):
            return
        self._pending.discard(channel)
        if not self._pending:
            self.busy.emit(False)
        self.result.emit(channel, request_id, compiled, error)

    def _on_formulas(self, request_id: int, formulas) -> None:
        if request_id == self.latest_ids.get(MAIN):
            self.formulas.emit(formulas)

    def shutdown(self) -> None:
        """Stop the threads and wait for them, so Qt never destroys a running QThread."""
        self._shut_down = True
        for thread, worker in self._lanes.values():
            if thread.isRunning():
                worker.stopping = True  # skip whatever is still queued
                worker.cancel_before(next(self._ids))  # don't wait out a long compile
                thread.quit()
        for thread, _worker in self._lanes.values():
            thread.wait()

    @property
    def thread(self) -> QThread:
        """The main channel's thread."""
        return self._lanes[MAIN][0]
