"""A ``Runner`` holds only what later steps still read: the peak of one evaluation grows with the
registers a program needs alive together, not with its length.

A power tower ``x^x^…^x`` of depth d compiles to hundreds of steps (467 at d = 16); its reverse-mode
gradient needs each level's value on the way back, so about d arrays must live together. Before
the runner dropped dead intermediates, a 16-level tower peaked at 181 input-sized arrays.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from derivgui import compile_expr
from derivgui.numeric.program import REUSE_FROM_SIZE, Program, Runner, Step, resolve


def tower(depth: int) -> str:
    return "^".join(["x"] * depth)


def peak_in_inputs(f, x: np.ndarray) -> float:
    """The peak that one ``value_and_grad`` allocates, in sizes of the input array."""
    f.value_and_grad(x[:10])
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        f.value_and_grad(x)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    return peak / x.nbytes


@pytest.mark.parametrize("size", [100_000, REUSE_FROM_SIZE - 96], ids=["reusing-buffers", "plain-loop"])
def test_a_deep_power_tower_holds_about_one_array_per_level(size):
    depth = 16
    f = compile_expr(tower(depth))
    assert len(f._kernel.program.steps) > 400
    # Measured 19.2 at 10⁵ points (the 2 results, ~d - 1 levels, a temporary) and 20.4 at 4000, where each
    # step's result is a fresh array; 181 and 376 before the runner dropped dead intermediates.
    assert peak_in_inputs(f, np.linspace(1.1, 1.5, size)) <= depth + 6


def run_in_given_order(program: Program, *inputs: np.ndarray) -> list[np.ndarray]:
    """The program's steps as written, every register kept, no buffer reused."""
    registers: list = [None] * program.n_registers
    registers[: len(inputs)] = inputs
    for register, value in program.constants:
        registers[register] = value
    for step in program.steps:
        registers[step.out] = resolve(step.function)(*[registers[a] for a in step.args], *step.params)
    return [registers[r] for r in program.outputs]


@pytest.mark.parametrize("text", [tower(8), "exp(-(x^2+y^2)) * cos(x y)", "abs(x)*floor(y) + max(x, y)",
                                  "sqrt(x^2+y^2+1)^3 * atan2(y, x)", "x^sin(x)^cos(x)"])
@pytest.mark.parametrize("size", [7, 10_000])
def test_reordering_and_freeing_change_no_value(text, size):
    program = compile_expr(text)._kernel.program
    rng = np.random.default_rng(size)
    inputs = [rng.uniform(0.5, 1.5, size) for _ in range(program.n_inputs)]
    with np.errstate(all="ignore"):
        got = Runner(program)(*inputs)
        expected = run_in_given_order(program, *inputs)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(np.broadcast_to(g, e.shape), e)


def test_a_buffer_with_a_live_view_is_never_overwritten():
    """r2 is a view of r1 (a DimShuffle); r1's last use must not write r3 into it while r2 lives."""
    steps = (
        Step("numpy.exp", (0,), 1, ufunc_float64=True),
        Step("derivgui.numeric.program.dimshuffle", (1,), 2, ((0,),)),
        Step("numpy.negative", (1,), 3, ufunc_float64=True),
        Step("numpy.add", (2, 3), 4, ufunc_float64=True),
    )
    program = Program(1, (), steps, (4,), 5)
    x = np.linspace(0.0, 1.0, 2 * REUSE_FROM_SIZE)
    np.testing.assert_array_equal(Runner(program)(x)[0], np.zeros_like(x))
