"""The Δa → 0 animation: Δa shrinks geometrically towards 1e-15 at a chosen speed."""

from __future__ import annotations

import math
import time

from PyQt5.QtCore import QObject, QTimer, pyqtSignal

from derivgui.core.exporting import SMALLEST_DELTA

FRAME_MS = 33


class DeltaSweep(QObject):
    """Emits ``step(new_delta)`` every frame while running; the sign of Δ is kept."""

    step = pyqtSignal(float)
    running_changed = pyqtSignal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.decades_per_second = 1.5
        self._delta = 1.0
        self._last = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._tick)

    def is_running(self) -> bool:
        return self._timer.isActive()

    def start(self, delta: float) -> None:
        if delta == 0 or abs(delta) <= SMALLEST_DELTA:
            return
        self._delta = delta
        self._last = time.perf_counter()
        self._timer.start()
        self.running_changed.emit(True)

    def stop(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self.running_changed.emit(False)

    def toggle(self, delta: float) -> None:
        self.stop() if self.is_running() else self.start(delta)

    def _tick(self) -> None:
        now = time.perf_counter()
        elapsed, self._last = now - self._last, now
        magnitude = abs(self._delta) * 10 ** (-self.decades_per_second * elapsed)
        finished = magnitude <= SMALLEST_DELTA
        self._delta = math.copysign(max(magnitude, SMALLEST_DELTA), self._delta)
        self.step.emit(float(f"{self._delta:.4g}"))
        if finished:
            self.stop()
