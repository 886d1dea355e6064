"""A compile that would take too long never holds the command line: the budget, and signals."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from tests.test_cli import headless_env

SLOW = "*".join(["atan2(x, x)"] * 150)  # accepted by the language, and compiles for many seconds


def test_a_compile_past_its_budget_exits_1_with_one_line(tmp_path):
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "derivgui", "export", SLOW, "-o", str(tmp_path / "f.png")],
                            env=headless_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "too complex to differentiate here" in result.stderr
    assert time.perf_counter() - started < 20
    assert not list(tmp_path.iterdir())


def test_sigterm_stops_a_command_line_waiting_for_a_compile(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "derivgui", "export", SLOW, "-o", str(tmp_path / "f.png")],
                            env=headless_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)  # past start-up, into the compile
    sent = time.perf_counter()
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=30)
    assert time.perf_counter() - sent < 2.0
    assert proc.returncode == 143 and "Traceback" not in err
    assert not list(tmp_path.iterdir())
