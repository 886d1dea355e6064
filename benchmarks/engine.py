"""Engine benchmark: text → compiled f and ∇f, and evaluation speed against hand-written NumPy.

Run with ``python benchmarks/engine.py`` (``make bench``). Prints a plain-text table:

1. cold: a fresh Python process imports NumPy and derivgui, compiles the first expression of each
   kind and evaluates its gradient once (PyTensor's import is part of it: derivgui imports it lazily);
2. warm: in this process, after a warm-up, the median time of ``compile_expr(text)`` plus the first
   ``grad`` with the kernel cache cleared each time, and the time of a cache hit;
3. evaluation: the median time of ``f.value_and_grad`` divided by the median time of hand-written
   NumPy computing the same f and its derivative(s), interleaved in the same run;
4. memory: in a fresh process, the peak of what ``f.value_and_grad`` allocates (tracemalloc, which
   NumPy reports its arrays to) for power towers ``x^x^…^x`` at 10⁶ points, in input-array sizes.

The machine this runs on may be small and noisy, so every number is a median. The environment
(OPENBLAS_*, PYTENSOR_FLAGS, ...) is used as it is.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(REPO))

# ---------------------------------------------------------------------------------------------
# The expressions and their derivatives written by hand, as a sensible person would in NumPy:
# shared subexpressions computed once, no tricks beyond that.


def _sigmoid(x):
    s = 1.0 / (1.0 + np.exp(-x))
    return s, (s * (1.0 - s),)


def _tanh(x):
    t = np.tanh(x)
    return t, (1.0 - t * t,)


def _two_x_sin2(x):
    s = np.sin(x)
    return 2.0 * x + s * s, (2.0 + 2.0 * s * np.cos(x),)


def _exp_neg(x):
    f = np.exp(-x)
    return f, (-f,)


def _cubic(x):
    x2 = x * x
    return x2 * x - 2.0 * x + 1.0, (3.0 * x2 - 2.0,)


def _log_1p_x2(x):
    u = 1.0 + x * x
    return np.log(u), (2.0 * x / u,)


def _x2y_y(x, y):
    x2 = x * x
    return x2 * y + y, (2.0 * x * y, x2 + 1.0)


def _sin_r(x, y):
    r = np.sqrt(x * x + y * y)
    c = np.cos(r) / r
    return np.sin(r), (c * x, c * y)


def _gauss_cos(x, y):
    e = np.exp(-(x * x + y * y))
    xy = x * y
    ec = e * np.cos(xy)
    es = e * np.sin(xy)
    return ec, (-2.0 * x * ec - y * es, -2.0 * y * ec - x * es)


CASES: list[tuple[str, int, Callable]] = [
    ("sigmoid(x)", 1, _sigmoid),
    ("tanh(x)", 1, _tanh),
    ("2x + sin(x)^2", 1, _two_x_sin2),
    ("e^-x", 1, _exp_neg),
    ("x^3 - 2x + 1", 1, _cubic),
    ("log(1 + x^2)", 1, _log_1p_x2),
    ("x^2*y + y", 2, _x2y_y),
    ("sin(sqrt(x^2+y^2))", 2, _sin_r),
    ("exp(-(x^2+y^2)) * cos(x y)", 2, _gauss_cos),
]

COLD_REPEATS = 3
WARM_REPEATS = 7
HIT_REPEATS = 51
# size: (calls per sample, samples wanted, budget in s). A cell stops early, after at least one
# sample, once the engine side has used its budget: a pathologically slow case must not stall the run.
EVAL_PLAN = {10**3: (20, 31, 1.0), 10**5: (1, 21, 1.5), 10**6: (1, 9, 3.0)}
TARGET_WARM_1 = 50.0  # ms
TARGET_WARM_2 = 150.0  # ms
TARGET_RATIO = 1.5  # f+grad time / NumPy time at 1e6
MEMORY_DEPTHS = (4, 8, 16, 20)
MEMORY_SIZE = 10**6
# Peak allocation of value_and_grad for a depth-d tower, in input-array sizes (8 MB at 1e6): at most d + 4.
# Not a constant: the reverse-mode gradient of t_k = x^t_(k-1) needs every level's t_k on the way back,
# so about d - 1 arrays must be alive together (short of recomputing them); the 2 results (value and
# derivative) and a temporary or two make up the rest. Measured d + 2.1 (4: 6.1, 8: 11.1, 16: 19.1,
# 20: 23.1); before the runner freed dead intermediates and ordered its steps, 20.8, 58.3, 181, 267.
TARGET_MEMORY_SLACK = 4.0

# ---------------------------------------------------------------------------------------------
# 1. Cold: a fresh process from before the imports to the first gradient.

_COLD_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np
t1 = time.perf_counter()
import derivgui
t2 = time.perf_counter()
import derivgui.compiler.engine  # what compile_expr would import on first use: PyTensor
t3 = time.perf_counter()
f = derivgui.compile_expr(sys.argv[1])
t4 = time.perf_counter()
g = f.grad(*[np.array([0.5])] * len(f.variables))
t5 = time.perf_counter()
assert all(np.isfinite(v).all() for v in g)
print(json.dumps({"numpy": t1 - t0, "derivgui": t2 - t1, "engine": t3 - t2, "compile": t4 - t3,
                  "grad": t5 - t4, "total": t5 - t0}))
"""


def cold(text: str) -> dict[str, float]:
    """Median (over COLD_REPEATS fresh processes) of each phase, in ms; "wall" includes startup."""
    runs = []
    for _ in range(COLD_REPEATS):
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", _COLD_CHILD, text], cwd=REPO, capture_output=True, text=True, check=False
        )
        wall = time.perf_counter() - start
        if out.returncode != 0:
            raise SystemExit(f"cold run of {text!r} failed:\n{out.stderr}")
        run = json.loads(out.stdout.strip().splitlines()[-1])
        run["wall"] = wall
        runs.append(run)
    return {k: 1e3 * statistics.median(r[k] for r in runs) for k in runs[0]}


# ---------------------------------------------------------------------------------------------
# 2. Warm: compile + first gradient with the kernel cache cleared, in this (warmed-up) process.


def warm(compile_expr, kernel_cache) -> tuple[dict[str, float], dict[str, float]]:
    points = {1: (np.array([0.5]),), 2: (np.array([0.5]), np.array([0.5]))}
    for text, n, _ in CASES:  # warm-up: PyTensor's lazy imports and first-use caches
        compile_expr(text).grad(*points[n])
    samples: dict[str, list[float]] = {text: [] for text, _, _ in CASES}
    for _ in range(WARM_REPEATS):  # round-robin, so a noisy moment does not hit one expression only
        for text, n, _ in CASES:
            kernel_cache.clear()
            start = time.perf_counter()
            compile_expr(text).grad(*points[n])
            samples[text].append(time.perf_counter() - start)
    hits: dict[str, float] = {}
    for text, n, _ in CASES:
        compile_expr(text)
        times = []
        for _ in range(HIT_REPEATS):
            start = time.perf_counter()
            compile_expr(text).grad(*points[n])
            times.append(time.perf_counter() - start)
        hits[text] = 1e3 * statistics.median(times)
    return {t: 1e3 * statistics.median(s) for t, s in samples.items()}, hits


# ---------------------------------------------------------------------------------------------
# 3. Evaluation: f and ∇f together, engine against hand-written NumPy.


def verify(f, reference: Callable, args: tuple) -> None:
    value, grads = f.value_and_grad(*args)
    ref_value, ref_grads = reference(*args)
    ok = np.allclose(value, ref_value) and len(grads) == len(ref_grads)
    ok = ok and all(np.allclose(g, r) for g, r in zip(grads, ref_grads, strict=True))
    if not ok:
        raise SystemExit(f"hand-written NumPy for {f.text!r} disagrees with compile_expr; fix the benchmark")


def time_cell(
    engine: Callable, numpy: Callable, args: tuple, number: int, samples: int, budget: float
) -> tuple[float, float, int]:
    """Median seconds per call of engine and of numpy, interleaved; and how many samples were taken."""
    engine_times: list[float] = []
    numpy_times: list[float] = []
    spent = 0.0
    gc.collect()
    gc.disable()
    try:
        for i in range(samples):
            order = [(engine, engine_times), (numpy, numpy_times)]
            if i % 2:
                order.reverse()
            for fn, times in order:
                start = time.perf_counter()
                for _ in range(number):
                    fn(*args)
                times.append((time.perf_counter() - start) / number)
            spent += engine_times[-1] * number
            if spent > budget:
                break
    finally:
        gc.enable()
    return statistics.median(engine_times), statistics.median(numpy_times), len(engine_times)


def evaluation(compile_expr) -> dict[str, dict[int, tuple[float, float, int]]]:
    rng = np.random.default_rng(20240601)
    largest = max(EVAL_PLAN)
    xs, ys = rng.uniform(-3.0, 3.0, largest), rng.uniform(-3.0, 3.0, largest)
    results: dict[str, dict[int, tuple[float, float, int]]] = {}
    for text, n, reference in CASES:
        f = compile_expr(text)
        # The hand-written formulas must compute what the engine computes, or the ratio means nothing.
        verify(f, reference, (xs[:1000], ys[:1000])[:n])
        verify(f, reference, (np.linspace(-2.9, 2.9, 8), np.linspace(2.3, -2.3, 8))[:n])
        results[text] = {}
        for size, (number, samples, budget) in EVAL_PLAN.items():
            args = (np.ascontiguousarray(xs[:size]), np.ascontiguousarray(ys[:size]))[:n]
            results[text][size] = time_cell(f.value_and_grad, reference, args, number, samples, budget)
    return results


# ---------------------------------------------------------------------------------------------
# 4. Memory: what one value_and_grad call allocates at its peak, in a fresh process.

_MEMORY_CHILD = r"""
import json, sys, tracemalloc
import numpy as np
import derivgui
size = int(sys.argv[1])
x = np.linspace(1.1, 1.5, size)
out = {}
for depth in map(int, sys.argv[2:]):
    f = derivgui.compile_expr("^".join(["x"] * depth))
    f.value_and_grad(x[:10])  # first-call caches are not what is measured
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    value, grads = f.value_and_grad(x)
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    out[depth] = {"steps": len(f._kernel.program.steps), "peak": peak, "input": x.nbytes,
                  "output": value.nbytes + sum(g.nbytes for g in grads)}
    del value, grads
print(json.dumps(out))
"""


def memory() -> dict[int, dict[str, int]]:
    """Per tower depth: the program's step count, the peak bytes of one value_and_grad, the input's bytes."""
    args = [str(MEMORY_SIZE), *map(str, MEMORY_DEPTHS)]
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD, *args], cwd=REPO, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"memory measurement failed:\n{out.stderr}")
    return {int(k): v for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()}


# ---------------------------------------------------------------------------------------------


def main() -> None:
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    cold_1 = cold(next(t for t, n, _ in CASES if n == 1))
    cold_2 = cold(next(t for t, n, _ in CASES if n == 2))

    import derivgui
    from derivgui.compiler.engine import kernel_cache

    warm_ms, hit_ms = warm(derivgui.compile_expr, kernel_cache)
    evals = evaluation(derivgui.compile_expr)
    peaks = memory()
    elapsed = time.perf_counter() - started

    def cold_line(kind: str, text: str, c: dict[str, float]) -> str:
        return (
            f"  {kind} {text!r}: {c['total']:.0f} ms = numpy {c['numpy']:.0f} + import derivgui {c['derivgui']:.0f}"
            f" + import engine/pytensor {c['engine']:.0f} + compile {c['compile']:.0f} + first grad {c['grad']:.1f}"
            f"  (process wall incl. interpreter start {c['wall']:.0f} ms)"
        )

    import pytensor

    print("derivgui engine benchmark")
    print(
        f"python {sys.version.split()[0]}, numpy {np.__version__}, pytensor {pytensor.__version__}, "
        f"{os.cpu_count()} cpu(s), OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}"
    )
    print(f"cold text-to-first-gradient, fresh process (median of {COLD_REPEATS}):")
    print(cold_line("1-var", next(t for t, n, _ in CASES if n == 1), cold_1))
    print(cold_line("2-var", next(t for t, n, _ in CASES if n == 2), cold_2))
    print(
        f"  import derivgui alone: {cold_1['derivgui']:.0f} / {cold_2['derivgui']:.0f} ms; "
        f"with PyTensor: {cold_1['derivgui'] + cold_1['engine']:.0f} / {cold_2['derivgui'] + cold_2['engine']:.0f} ms"
    )
    hits = sorted(hit_ms.values())
    print(
        f"cache hit, compile_expr + first grad: median {statistics.median(hits):.2f} ms "
        f"(range {hits[0]:.2f}-{hits[-1]:.2f} over the expressions, median of {HIT_REPEATS} each)"
    )
    print(
        f"warm ms: compile_expr + first grad, kernel cache cleared, median of {WARM_REPEATS}.  "
        "ratio@N: median time of f.value_and_grad / hand-written NumPy f and f' at N points"
    )
    plan = ", ".join(
        f"{samples} at 1e{int(np.log10(size))}" + (f" (of {number} calls each)" if number > 1 else "")
        for size, (number, samples, _) in EVAL_PLAN.items()
    )
    budgets = "/".join(f"{budget:g}" for _, _, budget in EVAL_PLAN.values())
    print(f"  samples: {plan}; for 2-var, x and y are each N points")
    print(f"  * = fewer samples: the engine side used up its time budget of {budgets} s for the cell")
    print()

    sizes = sorted(EVAL_PLAN)
    width = max(len(t) for t, _, _ in CASES) + 2
    header = f"{'expression':<{width}}{'warm ms':>9}" + "".join(f"{f'ratio@1e{int(np.log10(s))}':>12}" for s in sizes)
    print(header)
    print("-" * len(header))
    for text, _, _ in CASES:
        cells = ""
        for s in sizes:
            eng, ref, taken = evals[text][s]
            mark = "*" if taken < EVAL_PLAN[s][1] else " "
            cells += f"{eng / ref:>11.2f}{mark}"
        print(f"{text:<{width}}{warm_ms[text]:>9.1f}{cells}")
    print()
    big = max(sizes)
    print(f"at 1e{int(np.log10(big))} points, median ms per call (samples): hand-written NumPy | f.value_and_grad")
    for text, _, _ in CASES:
        eng, ref, taken = evals[text][big]
        print(f"  {text:<{width}}{1e3 * ref:>9.2f} | {1e3 * eng:>10.2f}  ({taken})")
    print()
    print(
        f"peak memory of one f.value_and_grad at 1e{int(np.log10(MEMORY_SIZE))} points, fresh process (tracemalloc): "
        "power tower x^x^...^x, x in [1.1, 1.5]; in input-array sizes (the results, f and f', are 2)"
    )
    header = f"{'depth':>7}{'steps':>7}{'peak MB':>10}{'x input':>9}{'x output':>10}{'target':>9}"
    print(header)
    print("-" * len(header))
    for depth, m in peaks.items():
        print(
            f"{depth:>7}{m['steps']:>7}{m['peak'] / 2**20:>10.0f}{m['peak'] / m['input']:>9.1f}"
            f"{m['peak'] / m['output']:>10.1f}{f'<= {depth + TARGET_MEMORY_SLACK:g}':>9}"
        )
    print()
    print(
        f"benchmark took {elapsed:.0f} s; 1-minute load average {load_before:.2f} at the start, "
        f"{os.getloadavg()[0]:.2f} at the end (above {os.cpu_count()} means other work competed for the CPUs)"
    )

    worst_1 = max(warm_ms[t] for t, n, _ in CASES if n == 1)
    worst_2 = max(warm_ms[t] for t, n, _ in CASES if n == 2)
    worst_ratio = max(evals[t][big][0] / evals[t][big][1] for t, _, _ in CASES)
    over = max(m["peak"] / m["input"] - depth for depth, m in peaks.items())
    verdict = lambda ok: "PASS" if ok else "FAIL"
    print(
        f"targets: warm 1-var <= {TARGET_WARM_1:.0f} ms {verdict(worst_1 <= TARGET_WARM_1)} (worst {worst_1:.1f}), "
        f"2-var <= {TARGET_WARM_2:.0f} ms {verdict(worst_2 <= TARGET_WARM_2)} (worst {worst_2:.1f}), "
        f"f+grad <= {TARGET_RATIO}x numpy at 1e6 {verdict(worst_ratio <= TARGET_RATIO)} (worst {worst_ratio:.2f}x), "
        f"tower peak <= depth + {TARGET_MEMORY_SLACK:g} inputs {verdict(over <= TARGET_MEMORY_SLACK)} "
        f"(worst depth + {over:.1f})"
    )


if __name__ == "__main__":
    main()
