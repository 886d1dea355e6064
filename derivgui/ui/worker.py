"""Compile requests, answered in the background; per channel, the newest request wins.

One worker thread parses each request (a syntax error comes back at once, with its column),
looks in the kernel cache, and otherwise asks the compile process (``core.compile_process``),
where PyTensor differentiates and rewrites without holding this process's GIL; the thread just
waits on a pipe. Requests carry ids from one counter and a channel name ("main" for the plotted
expression, "check-x"/"check-y" for the student's own derivative); the worker skips a request
that a newer one on the same channel has superseded before it started, and only results that
answer their channel's newest request are delivered.
"""

from __future__ import annotations

import itertools
import traceback

from PyQt5.QtCore import QObject, QThread, pyqtSignal, pyqtSlot

from derivgui.core.compile_process import CompileProcess, CompileProcessDied, shared_compile_process
from derivgui.core.compiled import CompiledExpression, kernel_cache
from derivgui.core.errors import ExpressionError
from derivgui.core.parse import parse

MAIN = "main"


class CompileWorker(QObject):
    """Lives on the worker thread; ``compile`` runs there through a queued signal."""

    finished = pyqtSignal(str, int, object, object)  # channel, id, CompiledExpression | None, error | None
    formulas = pyqtSignal(int, object)  # id, the derivative formulas of a main-channel result

    def __init__(self, compiler: CompileProcess) -> None:
        super().__init__()
        self.compiler = compiler
        # Written by the GUI thread, read here: single dict item assignments are atomic in CPython.
        self.latest_ids: dict[str, int] = {}
        self.stopping = False
        self.waiting_for_compiler = False

    @pyqtSlot(str, int, str)
    def compile(self, channel: str, request_id: int, text: str) -> None:
        if self.stopping or request_id != self.latest_ids.get(channel):
            return  # superseded while queued
        try:
            compiled = self._compiled(text)
        except ExpressionError as exc:
            self.finished.emit(channel, request_id, None, exc)
            return
        except CompileProcessDied:
            if not self.stopping:
                self.finished.emit(channel, request_id, None, ExpressionError(
                    "the compiler stopped while working on this expression; edit it to try again"))
            return
        except Exception as exc:  # noqa: BLE001 - any failure becomes a message, never a dead thread
            traceback.print_exc()
            self.finished.emit(channel, request_id, None, ExpressionError(f"could not compile: {exc}"))
            return
        self.finished.emit(channel, request_id, compiled, None)
        if channel == MAIN and request_id == self.latest_ids.get(channel):
            # The curve goes on screen first; the formula (more rewriting) follows.
            try:
                formulas = compiled.derivative_formulas(lambda e: self._ask(self.compiler.formulas, e.normalized))
                self.formulas.emit(request_id, formulas)
            except CompileProcessDied:
                pass
            except Exception:  # noqa: BLE001 - a formula that cannot be printed is not worth a failure
                traceback.print_exc()

    def _compiled(self, text: str) -> CompiledExpression:
        expression = parse(text)
        kernel = kernel_cache.get_or_build(expression, lambda e: self._ask(self.compiler.compile, e.normalized))
        return CompiledExpression(expression, kernel)

    def _ask(self, question, text: str):
        self.waiting_for_compiler = True
        try:
            return question(text)
        finally:
            self.waiting_for_compiler = False


class CompileService(QObject):
    """Owns the worker thread. ``request(text, channel)`` returns the id its result will carry."""

    _submit = pyqtSignal(str, int, str)
    result = pyqtSignal(str, int, object, object)  # only results that answer their channel's newest request
    formulas = pyqtSignal(object)  # the derivative formulas for the newest main result
    busy = pyqtSignal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._compiler = shared_compile_process()
        self._compiler.start()  # PyTensor loads in the child while the window is being built
        self._ids = itertools.count(1)
        self.latest_ids: dict[str, int] = {}
        self._pending: set[str] = set()
        self._thread = QThread()
        self._thread.setObjectName("derivgui-compile")
        self._worker = CompileWorker(self._compiler)
        self._worker.moveToThread(self._thread)
        self._submit.connect(self._worker.compile)
        self._worker.finished.connect(self._on_finished)
        self._worker.formulas.connect(
            lambda request_id, formulas: self.formulas.emit(formulas)
            if request_id == self.latest_ids.get(MAIN) else None)
        self._thread.finished.connect(self._worker.deleteLater)
        self._thread.start()

    def request(self, text: str, channel: str = MAIN) -> int:
        request_id = next(self._ids)
        self.latest_ids[channel] = request_id
        self._worker.latest_ids[channel] = request_id
        self._pending.add(channel)
        self.busy.emit(True)
        self._submit.emit(channel, request_id, text)
        return request_id

    def _on_finished(self, channel: str, request_id: int, compiled, error) -> None:
        if request_id != self.latest_ids.get(channel):
            return
        self._pending.discard(channel)
        if not self._pending:
            self.busy.emit(False)
        self.result.emit(channel, request_id, compiled, error)

    def shutdown(self) -> None:
        """Stop the thread and wait for it, so Qt never destroys a running QThread."""
        if self._thread.isRunning():
            self._worker.stopping = True  # skip whatever is still queued
            if self._worker.waiting_for_compiler:
                self._compiler.kill()  # don't wait out a long compile; the next request restarts it
            self._thread.quit()
            self._thread.wait()

    @property
    def thread(self) -> QThread:
        return self._thread
