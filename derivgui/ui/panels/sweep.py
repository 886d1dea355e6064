"""The Δa → 0 animation: Δa shrinks geometrically towards 1e-15 at a chosen speed."""

from __future__ import annotations

import math
import time

from PyQt5.QtCore import QObject, QTimer, pyqtSignal

from derivgui.files.exporting import SMALLEST_DELTA

FRAME_MS = 33
DEFAULT_START = 1.0  # where a sweep restarts when it is at the end and none ran before


def at_end(delta: float) -> bool:
    """Whether Δ is as small as the sweep goes (or 0): a new sweep starts over from the top."""
    return delta == 0 or abs(delta) <= SMALLEST_DELTA * (1 + 1e-9)


class DeltaSweep(QObject):
    """Emits ``step(new_delta)`` every frame while running; the sign of Δ is kept.

    Started where Δ has already reached the end, it starts over from the Δ the last sweep
    started from (``initial``), emitting that first, so Play always plays.
    """

    step = pyqtSignal(float)
    running_changed = pyqtSignal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.decades_per_second = 1.5
        self.initial: float | None = None  # the Δ the last sweep started from
        self._delta = 1.0
        self._last = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._tick)

    def is_running(self) -> bool:
        return self._timer.isActive()

    def start(self, delta: float) -> bool:
        """Run from ``delta`` (from the last start when ``delta`` is at the end); True when it runs."""
        if self.is_running():
            return True
        if at_end(delta) or not math.isfinite(delta):
            restart = self.initial if self.initial is not None and not at_end(self.initial) else DEFAULT_START
            delta = math.copysign(abs(restart), delta if delta != 0 and math.isfinite(delta) else restart)
            self.step.emit(delta)
        else:
            self.initial = delta
        self._delta = delta
        self._last = time.perf_counter()
        self._timer.start()
        self.running_changed.emit(True)
        return True

    def stop(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self.running_changed.emit(False)

    def toggle(self, delta: float) -> bool:
        """Pause a running sweep or start one; whether it runs afterwards."""
        if self.is_running():
            self.stop()
            return False
        return self.start(delta)

    def _tick(self) -> None:
        now = time.perf_counter()
        elapsed, self._last = now - self._last, now
        magnitude = abs(self._delta) * 10 ** (-self.decades_per_second * elapsed)
        finished = magnitude <= SMALLEST_DELTA
        self._delta = math.copysign(max(magnitude, SMALLEST_DELTA), self._delta)
        self.step.emit(float(f"{self._delta:.4g}"))
        if finished:
            self.stop()
