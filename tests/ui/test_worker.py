"""The window's compile service: it accepts what compile_expr accepts, a slow compile never
blocks the next one, a compile has a budget, and a dead compile process is replaced silently."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

from derivgui.compiler.compile_process import CompilerPool
from derivgui.numeric.compiled import kernel_cache
from derivgui.ui.worker import MAIN, CompileService

# Accepted by compile_expr, takes PyTensor's rewrites about 30 s (100 identical arguments).
SLOW = "*".join(["atan2(x, x)"] * 150)  # accepted by the language, and compiles for many seconds


@pytest.fixture
def pool():
    pool = CompilerPool()
    yield pool
    pool.close()


@pytest.fixture
def make_service(qtbot, pool):
    services = []

    def make(**kwargs) -> CompileService:
        service = CompileService(pool=kwargs.pop("pool", pool), **kwargs)
        results: list[tuple] = []
        service.result.connect(lambda *args: results.append(args))
        service.results = results  # for the tests' eyes only
        services.append(service)
        return service

    kernel_cache.clear()  # every test compiles in a child, not from an earlier test's cache
    yield make
    for service in services:
        service.shutdown()


def _answer(qtbot, service, request_id: int, timeout_ms: int = 30000):
    qtbot.waitUntil(lambda: any(r[1] == request_id for r in service.results), timeout=timeout_ms)
    [(_channel, _id, compiled, error)] = [r for r in service.results if r[1] == request_id]
    return compiled, error


def _slope(compiled, x: float) -> float:
    return float(compiled.value_and_grad(np.array([x]))[1][0][0])


def test_the_window_accepts_what_compile_expr_accepts(qtbot, make_service):
    """The child parses the text as typed; its normalized spelling is longer and deeper."""
    service = make_service()
    texts = ["+".join(["x"] * 102), "-" * 99 + "x", "+".join(["2xy"] * 168)]
    assert len(texts[2]) == 671
    slopes = []
    for text in texts:
        compiled, error = _answer(qtbot, service, service.request(text))
        assert error is None, f"{text[:30]}…: {error}"
        assert compiled.text == text
        slopes.append(_slope(compiled, 1.0) if len(compiled.variables) == 1 else None)
    assert slopes[:2] == [102.0, -1.0]


def test_a_superseded_slow_compile_is_cancelled_at_once(qtbot, make_service):
    service = make_service()
    worker = service._lanes[MAIN][1]
    service.request(SLOW)
    qtbot.waitUntil(lambda: worker.waiting_for_compiler, timeout=10000)
    slow_process = worker._busy[1]
    started = time.perf_counter()
    compiled, error = _answer(qtbot, service, service.request("x^3"))
    elapsed = time.perf_counter() - started
    assert error is None and _slope(compiled, 2.0) == 12.0
    assert elapsed < 3, f"the next compile waited {elapsed:.1f} s"
    assert not slow_process.alive()
    assert [r[1] for r in service.results] == [2]  # the superseded request never answers


def test_a_compile_past_its_budget_is_stopped_and_reported(qtbot, make_service):
    service = make_service(budget_s=1.0)
    busy: list[bool] = []
    service.busy.connect(busy.append)
    started = time.perf_counter()
    compiled, error = _answer(qtbot, service, service.request(SLOW))
    assert compiled is None
    assert error.message == "too complex to differentiate here (stopped after 1 s)"
    assert error.column is None
    assert time.perf_counter() - started < 8
    assert busy == [True, False]
    compiled, error = _answer(qtbot, service, service.request("x^2"))
    assert error is None and _slope(compiled, 3.0) == 6.0


def test_another_channel_does_not_wait_for_a_slow_compile(qtbot, make_service):
    service = make_service()
    worker = service._lanes[MAIN][1]
    service.request(SLOW)
    qtbot.waitUntil(lambda: worker.waiting_for_compiler, timeout=10000)
    started = time.perf_counter()
    compiled, error = _answer(qtbot, service, service.request("x^2", "check-x"))
    assert error is None and _slope(compiled, 3.0) == 6.0
    assert time.perf_counter() - started < 3
    assert worker.waiting_for_compiler  # the slow one is still going; shutdown kills it


def test_a_dead_compile_process_is_replaced_silently(qtbot, make_service, pool):
    service = make_service()
    compiled, error = _answer(qtbot, service, service.request("x^2"))
    assert error is None
    for _attempt in range(3):
        for process in pool.idle_processes():
            os.kill(process.pid, signal.SIGKILL)
        compiled, error = _answer(qtbot, service, service.request(f"x^2 + {_attempt}x"))
        assert error is None, error
        assert _slope(compiled, 1.0) == 2.0 + _attempt


def test_a_process_that_dies_under_a_request_is_retried_once(qtbot, make_service):
    """The race: the process looked alive when taken, and died before it answered."""

    class DyingPool(CompilerPool):
        handed_out = 0

        def acquire(self, fresh: bool = False):
            process = super().acquire(fresh)
            DyingPool.handed_out += 1
            if DyingPool.handed_out == 1:
                process.compile("x")  # running
                process.kill()
            return process

    dying = DyingPool()
    try:
        service = make_service(pool=dying)
        compiled, error = _answer(qtbot, service, service.request("x^3", "check-x"))  # no formula asked
        assert error is None, error
        assert _slope(compiled, 1.0) == 3.0
        assert DyingPool.handed_out == 2
    finally:
        dying.close()


def test_shutdown_does_not_wait_out_a_slow_compile(qtbot, make_service):
    service = make_service()
    worker = service._lanes[MAIN][1]
    service.request(SLOW)
    qtbot.waitUntil(lambda: worker.waiting_for_compiler, timeout=10000)
    started = time.perf_counter()
    service.shutdown()
    assert time.perf_counter() - started < 3
    assert not service.thread.isRunning()
