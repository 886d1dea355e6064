"""All PyTensor work on one background thread; the newest request wins.

PyTensor's compiler is not thread-safe, so exactly one thread compiles. Requests carry ids from
a counter; the worker skips any request that a newer one has superseded before it started, and
the window applies a result only if it answers the newest request.
"""

from __future__ import annotations

import itertools
import traceback

from PyQt5.QtCore import QObject, QThread, pyqtSignal, pyqtSlot

from derivgui.core.errors import ExpressionError


class CompileWorker(QObject):
    """Lives on the compile thread; ``compile`` runs there through a queued signal."""

    finished = pyqtSignal(int, object, object)  # request id, CompiledExpression | None, ExpressionError | None
    started = pyqtSignal(int)

    def __init__(self) -> None:
        super().__init__()
        self.latest_id = 0  # written by the GUI thread; a plain int assignment is atomic

    @pyqtSlot(int, str)
    def compile(self, request_id: int, text: str) -> None:
        if request_id != self.latest_id:
            return  # superseded while queued
        self.started.emit(request_id)
        try:
            from derivgui.core.engine import compile_expr

            compiled = compile_expr(text)
            # The first call builds the function's storage; do it here, not on the GUI thread.
            compiled.value_and_grad(*([0.5] * len(compiled.variables)))
        except ExpressionError as exc:
            self.finished.emit(request_id, None, exc)
        except Exception as exc:  # noqa: BLE001 - any failure becomes a message, never a dead thread
            traceback.print_exc()
            self.finished.emit(request_id, None, ExpressionError(f"could not compile: {exc}"))
        else:
            self.finished.emit(request_id, compiled, None)


class CompileService(QObject):
    """Owns the worker thread. ``request(text)`` returns the id the result will carry."""

    _submit = pyqtSignal(int, str)
    result = pyqtSignal(int, object, object)  # only results that answer the newest request
    busy = pyqtSignal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self.latest_id = 0
        self._thread = QThread()
        self._thread.setObjectName("derivgui-compile")
        self._worker = CompileWorker()
        self._worker.moveToThread(self._thread)
        self._submit.connect(self._worker.compile)
        self._worker.finished.connect(self._on_finished)
        self._thread.finished.connect(self._worker.deleteLater)
        self._thread.start()

    def request(self, text: str) -> int:
        request_id = next(self._ids)
        self.latest_id = request_id
        self._worker.latest_id = request_id
        self.busy.emit(True)
        self._submit.emit(request_id, text)
        return request_id

    def _on_finished(self, request_id: int, compiled, error) -> None:
        if request_id != self.latest_id:
            return
        self.busy.emit(False)
        self.result.emit(request_id, compiled, error)

    def shutdown(self) -> None:
        """Stop the thread and wait for it, so Qt never destroys a running QThread."""
        if self._thread.isRunning():
            self._worker.latest_id = -1  # skip whatever is still queued
            self._thread.quit()
            self._thread.wait()

    @property
    def thread(self) -> QThread:
        return self._thread
