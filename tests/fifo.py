"""A guard for tests that hand derivgui a FIFO: a reader that blocks on it fails instead of hanging."""

from __future__ import annotations

import os
import threading
import time


def unblock_fifo_later(path, delay: float = 3.0) -> None:
    """Open the FIFO for writing after ``delay`` seconds (if anyone is still blocked reading it), so that
    a reader that waits on it fails this test instead of hanging it for ever."""

    def rescue():
        time.sleep(delay)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)  # ENXIO if nobody is reading: nothing to do
        except OSError:
            return
        os.close(fd)

    threading.Thread(target=rescue, daemon=True).start()
