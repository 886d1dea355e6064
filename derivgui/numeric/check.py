"""Check a student's own derivative against autodiff, and say what a teacher would say.

When does a point agree?
------------------------
Two formulas that are equal in exact arithmetic still differ in floating point, so the judge
needs a tolerance; ``np.allclose``'s fixed ``atol = 1e-8`` is wrong for it because it does not
follow the size of the derivative (for ``6.674e-11·x²`` it accepts 0, a sign error and a missing
factor 2). A point agrees when

    |mine − autodiff| ≤ RTOL·|autodiff| + atol

* ``RTOL = 1e-6``: six significant digits. A correct formula is good to about 1e-13 relative,
  so this leaves room for special functions and rounded constants typed to 7 digits, while any
  error a student makes by hand (a factor, a sign, a missing term) is far above it.
* ``atol``, the absolute floor, is what makes relative agreement meaningless where a formula
  cancels: ``σ(x)·(1 − σ(x))`` keeps only a few digits of ``1 − σ`` for x > 25, where its
  relative error reaches 1e-3 and more although it is the right derivative. The floor is the
  size of that rounding noise, and it scales with the derivative, so a function multiplied by
  1e-11 is judged exactly as strictly as the function itself:

  - When the formulas are known (``evaluate`` traced them), the floor is their own rounding
    noise, measured: every intermediate result of each formula is perturbed by ±``PERTURBATION``
    (2⁻⁴⁰ ≈ 9e-13, several thousand ulps, relative), and the spread of the results is the noise at
    that point, summed over both formulas. (The factors are uniform in ±PERTURBATION, not just
    ±: with signs only, a numerator and a denominator perturbed alike cancel in one run of two;
    with continuous factors, all runs falling 8000-fold short of the rounding has probability
    ~1e-11.) A cancelling formula gets a wide floor exactly where
    it cancels; a benign one gets a floor near 1e-12 of its own value. So relative errors count
    where the derivative is tiny but exact (a derivative double the truth in the tails of
    ``exp(−x²)``, at 1e-10 of its peak, is wrong) and on ranges where it grows by 20 orders of
    magnitude (``exp(x) + x`` is not the derivative of ``exp(x)`` on [0, 50]).
  - From bare arrays (nothing to trace), the floor is ``ATOL_SCALE·max|autodiff|`` with
    ``ATOL_SCALE = 1e-12``: a formula whose intermediate values are no larger than its largest
    value has rounding noise near 1e-16 of that value, so 1e-12 leaves four digits of room for
    cancellation and still catches errors at 1e-10 of the scale (the ``exp(−x²)`` case on
    [−10, 10]: the doubled values at 5 ≤ |x| ≤ 5.8 are above it).
  - ``TINY = 1e-300`` on top: values below it are underflow debris (0 against 1e-310).

What is not compared, and what that says
----------------------------------------
* Points the caller leaves out (``skip``, e.g. where f has a kink), named with the caller's reason.
* Points where f itself is not finite (outside its domain): silently, as the plots do.
* Points where f is finite but autodiff is not: "f′ is undefined there" (NaN) or "f′ is
  infinite there" (a vertical tangent); where the trace shows autodiff itself overflowed,
  "autodiff overflows there". Not the student's fault, so not a failure.
* Points where the student's formula overflows (an intermediate overflowed in the trace, or its
  value is inf or beyond ``HUGE = 1e300`` while autodiff's is not) and so disagrees: reported as
  overflow with advice, not as a wrong answer. The verdict stays ✓ ("correct where it can be
  computed") when it agrees at ``MIN_AGREEING`` or more of the points (or at half of them, if
  fewer) and fails at none;
  a formula that overflows almost everywhere cannot be judged and gets "✗ can't check".
* A few isolated points (at most ``TOLERATED_UNDEFINED``) where the student's formula is
  undefined but autodiff gives a number (``x/abs(x)`` at 0; ``2x²/x`` at 0) do not make a correct
  answer wrong; the verdict mentions them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

RTOL = 1e-6  # relative: six significant digits
ATOL_SCALE = 1e-12  # the absolute floor from bare arrays, relative to max|autodiff| over the range
PERTURBATION = 2.0 ** -40  # relative perturbation of every intermediate when measuring rounding noise
PERTURBATION_RUNS = 3
TINY = 1e-300  # below this, values are underflow debris
HUGE = 1e300  # beyond this (or inf), a value has overflowed or is about to
MIN_AGREEING = 10  # agreeing points needed for a ✓ (or half of the points, when there are fewer than 20)
TOLERATED_UNDEFINED = 3  # isolated points where the student's formula may be undefined

_RNG_SEED = 20240611


@dataclass(frozen=True)
class Evaluation:
    """A formula's values at the sample points, with what tracing its evaluation revealed.

    ``noise`` is the absolute rounding noise per point (see the module docstring), ``overflow``
    marks the points where an intermediate value overflowed, and ``overflowing`` names the
    operations that did ("exp", "powers", ...). The last three are None/() when unknown.
    """

    values: np.ndarray
    noise: np.ndarray | None = None
    overflow: np.ndarray | None = None
    overflowing: tuple[str, ...] = ()


@dataclass(frozen=True)
class DerivativeCheck:
    """The judgement of one derivative formula over the sample points."""

    agree: bool  # ✓: no point where it is wrong, and enough points where it agrees
    max_abs_diff: float  # over the compared points (agreeing or wrong), finite
    max_rel_diff: float
    disagree_at: np.ndarray  # the sample points (x, or rows of (x, y)) where it is wrong
    compared: int  # agreeing + wrong points
    agreeing: int = 0
    ignored: tuple[tuple[str, np.ndarray], ...] = ()  # (reason, points) left out of the comparison
    overflow_at: np.ndarray = field(default_factory=lambda: np.zeros(0))  # where the formula overflows
    overflowing: tuple[str, ...] = ()
    undefined_at: np.ndarray = field(default_factory=lambda: np.zeros(0))  # tolerated isolated holes
    undefined_autodiff: np.ndarray = field(default_factory=lambda: np.zeros(0))  # autodiff's values there
    failed_undefined_at: np.ndarray = field(default_factory=lambda: np.zeros(0))  # holes counted as wrong
    hint: str = ""  # the pattern of the error: "the sign is wrong", "yours is 2 × autodiff's there", ...
    example: tuple | None = None  # (point, mine, autodiff) at the worst wrong point
    range_points: np.ndarray = field(default_factory=lambda: np.zeros(0))  # every sample point, to word places

    @property
    def cannot_tell(self) -> bool:
        """Nothing wrong, but too few points could be compared (it overflows almost everywhere)."""
        return not self.agree and len(self.disagree_at) == 0 and len(self.failed_undefined_at) == 0

    def verdict(self, name: str = "your derivative") -> str:
        """One line that begins with ✓ or ✗."""
        if self.agree:
            return "✓ " + self.success(name) + "".join(f"; {note}" for note in self.notes())
        if self.cannot_tell:
            return "✗ " + self.problem(name) + "".join(f"; {note}" for note in self.notes(overflow=False))
        return "✗ not the derivative: " + self.problem(name) + "".join(f"; {note}" for note in self.notes())

    def success(self, name: str = "your f′") -> str:
        where = " where it can be computed" if self.overflow_at.size else ""
        return (f"correct{where}: {name} agrees with autodiff at {self.agreeing} points "
                f"(max |difference| {number_text(self.max_abs_diff)})")

    def problem(self, name: str = "your derivative") -> str:
        """What is wrong, without the leading mark: the pattern, where, an example, the size."""
        if self.compared == 0 and self.overflow_at.size == 0:
            return "nothing to compare: the derivatives are not finite on the visible range"
        if self.cannot_tell:
            return (f"can't check {name}: it overflows at {len(self.overflow_at)} points "
                    f"({self.where(self.overflow_at)}) and agrees at only {self.agreeing}; {self._advice()}")
        parts = []
        if self.hint:
            parts.append(self.hint)
        wrong = len(self.disagree_at)
        if wrong:
            text = f"differs at {wrong} of {self.compared} points ({self.where(self.disagree_at)})"
            if self.example is not None:
                point, mine, auto = self.example
                text += f", e.g. at {_point(point)}: yours {number_text(mine)}, autodiff {number_text(auto)}"
            parts.append(text)
        holes = len(self.failed_undefined_at)
        if holes:
            parts.append(f"your formula is undefined at {holes} points ({self.where(self.failed_undefined_at)}) "
                         "where the derivative exists")
        if wrong:
            relative = f" (relative {number_text(self.max_rel_diff)})" if np.isfinite(self.max_rel_diff) else ""
            parts.append(f"max |difference| {number_text(self.max_abs_diff)}{relative}")
        return "; ".join(parts)

    def notes(self, overflow: bool = True) -> list[str]:
        """What was left out or tolerated, in words, for either verdict."""
        notes = []
        if overflow and self.overflow_at.size:
            also = "" if self.agree else "also "
            notes.append(f"your formula {also}overflows at {len(self.overflow_at)} points "
                         f"({self.where(self.overflow_at)}): {self._advice()}")
        if self.undefined_at.size:
            values = ", ".join(number_text(v) for v in self.undefined_autodiff[:TOLERATED_UNDEFINED])
            notes.append(f"your formula is undefined at {self.where(self.undefined_at)} "
                         f"(autodiff gives {values} there)")
        for reason, points in self.ignored:
            notes.append(f"ignored {self.where(points, count=True)}: {reason}")
        return notes

    def where(self, points: np.ndarray, count: bool = False) -> str:
        return _describe_points(points, self.range_points, count)

    def _advice(self) -> str:
        return _overflow_advice(self.overflowing)


# -- words for places and numbers ------------------------------------------------------------


def number_text(value: float) -> str:
    """A number as the verdict writes it: 4 significant digits, a real minus sign."""
    value = float(value)
    if value == 0:
        return "0"
    text = f"{value:.4g}"
    return text.replace("-", "−")


def _point(point) -> str:
    point = np.atleast_1d(np.asarray(point, float))
    if point.size == 1:
        return f"x = {number_text(point[0])}"
    return f"(x, y) = ({number_text(point[0])}, {number_text(point[1])})"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _describe_points(points: np.ndarray, all_points: np.ndarray, count: bool = False) -> str:
    """Where the points are, in words: "x = 0", "x ≤ −709", "5 ≤ x ≤ 10 and x ≥ 12", "on the line x = 0"."""
    points = np.asarray(points, float)
    if len(points) == 0:
        return "nowhere"
    prefix = f"{len(points)} points: " if count and len(points) > 1 else ""
    if points.ndim == 1:
        if len(points) <= 3:
            return prefix + "x = " + _join([number_text(v) for v in np.sort(points)])
        return prefix + _describe_runs(points, np.asarray(all_points, float))
    if len(points) <= 3:
        return prefix + _join([_point(p) for p in points])
    for axis, name in ((0, "x"), (1, "y")):
        if np.all(points[:, axis] == points[0, axis]):
            return f"{len(points)} points on the line {name} = {number_text(points[0, axis])}" if count else \
                f"on the line {name} = {number_text(points[0, axis])}"
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    all_points = np.asarray(all_points, float)
    if all_points.ndim == 2 and len(all_points):
        finite = all_points[np.isfinite(all_points).all(axis=1)]
        if len(finite) and np.array_equal(finite.min(axis=0), [x0, y0]) and \
                np.array_equal(finite.max(axis=0), [x1, y1]):
            return prefix + "all over the range"
    return prefix + f"in {number_text(x0)} ≤ x ≤ {number_text(x1)}, {number_text(y0)} ≤ y ≤ {number_text(y1)}"


def _describe_runs(points: np.ndarray, all_points: np.ndarray) -> str:
    """Runs of consecutive sample points (in x order) as intervals, at most three of them."""
    grid = np.unique(all_points[np.isfinite(all_points)]) if all_points.size else np.unique(points)
    grid = np.union1d(grid, points)
    selected = np.isin(grid, points)
    starts = np.flatnonzero(selected & ~np.r_[False, selected[:-1]])
    ends = np.flatnonzero(selected & ~np.r_[selected[1:], False])
    if len(starts) > 3:
        return f"in {len(starts)} places between x = {number_text(points.min())} and x = {number_text(points.max())}"
    runs = []
    for start, end in zip(starts, ends, strict=True):
        lo, hi = grid[start], grid[end]
        if start == end:
            runs.append(f"x = {number_text(lo)}")
        elif start == 0 and end == len(grid) - 1:
            runs.append("the whole range")
        elif start == 0:
            runs.append(f"x ≤ {number_text(hi)}")
        elif end == len(grid) - 1:
            runs.append(f"x ≥ {number_text(lo)}")
        else:
            runs.append(f"{number_text(lo)} ≤ x ≤ {number_text(hi)}")
    return _join(runs)


_GROWING_FUNCTIONS = {"exp": "exp", "expm1": "exp", "exp2": "2^", "cosh": "cosh", "sinh": "sinh"}
_POWERS = {"power", "square", "float_power"}


def _overflow_advice(names: Sequence[str]) -> str:
    functions = sorted({name for name in names if name in _GROWING_FUNCTIONS.values()})
    parts = []
    if functions:
        parts.append(f"{'/'.join(functions)} of large numbers")
    if "powers" in names:
        parts.append("large powers")
    if parts:
        return "rewrite it to avoid " + " and ".join(parts)
    return "rewrite it so that no intermediate value exceeds 1e308"


def _friendly(function: str) -> str:
    short = function.rpartition(".")[2]
    if short in _GROWING_FUNCTIONS:
        return _GROWING_FUNCTIONS[short]
    if short in _POWERS:
        return "powers"
    return short


# -- evaluating a formula, traced -------------------------------------------------------------


def evaluate_formula(compiled, args: tuple) -> np.ndarray:
    """The student's formula at the sample points. It may use fewer variables than f does
    (∂f/∂y of x²y + y is x² + 1, a function of x alone), so it takes only its own."""
    values = compiled(*args[: len(compiled.variables)])
    return np.broadcast_to(values, np.broadcast_shapes(*(np.shape(a) for a in args)))


def evaluate(compiled, args: tuple, output: int = 0, values: np.ndarray | None = None) -> Evaluation:
    """A compiled formula at the points, traced for rounding noise and overflow.

    ``output`` 0 is the formula's value (the student's derivative, given fewer variables if it uses
    fewer); 1 and 2 are the autodiff gradient of a compiled f (∂f/∂x, ∂f/∂y). ``values``, when the
    caller already has them (the plot's autodiff curve), are used instead of evaluating again.
    Tracing needs the compiled program; if it is not available the result carries values only.
    """
    shape = np.broadcast_shapes(*(np.shape(a) for a in args))
    own = tuple(args[: len(compiled.variables)]) if output == 0 else tuple(args)
    if values is None:
        values = evaluate_formula(compiled, args) if output == 0 else compiled.grad(*args)[output - 1]
    values = np.broadcast_to(np.asarray(values, float), shape)
    try:
        noise, overflow, names = _trace(compiled, own, output)
        noise = np.broadcast_to(noise, shape)
        overflow = np.broadcast_to(overflow, shape)
    except Exception:  # the trace reads the compiled program; a check must never fail because of it
        return Evaluation(values)
    return Evaluation(values, noise, overflow, names)


def _trace(compiled, args: tuple, output: int) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Run the compiled program step by step: once plainly, noting where an intermediate overflows
    (becomes ±inf from finite, nonzero arguments, so 1/0 and log(0) do not count), then
    ``PERTURBATION_RUNS`` times with every intermediate perturbed, for the rounding noise."""
    from derivgui.numeric.program import resolve

    program = compiled._kernel.program
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in args))
    shape, size = arrays[0].shape, arrays[0].size
    inputs = [np.ascontiguousarray(a).reshape(-1) for a in arrays]
    # only the steps the output depends on: an overflow in the gradient part of the program
    # (which the student's formula also carries) says nothing about the formula's value
    needed = {program.outputs[output]}
    steps = []
    for step in reversed(program.steps):
        if step.out in needed:
            needed.update(step.args)
            steps.append(step)
    calls = [(resolve(s.function), s.function, s.args, s.out, s.params) for s in reversed(steps)]
    rng = np.random.default_rng(_RNG_SEED)
    overflow = np.zeros(size, dtype=bool)
    names: set[str] = set()

    def run(perturb: bool) -> np.ndarray:
        registers: list = [None] * program.n_registers
        for register, value in program.constants:
            registers[register] = value
        registers[: len(inputs)] = inputs
        for function, function_name, arg_registers, out, params in calls:
            arguments = [registers[a] for a in arg_registers]
            result = function(*arguments, *params)
            if _is_float(result):
                if perturb:
                    factor = 1.0 + PERTURBATION * rng.uniform(-1.0, 1.0, size=np.shape(result))
                    result = np.asarray(result * factor)
                elif np.size(result) == size:
                    new = _new_overflow(np.asarray(result).reshape(-1), arguments, size)
                    if new.any():
                        overflow[new] = True
                        names.add(_friendly(function_name))
            registers[out] = result
        result = np.asarray(registers[program.outputs[output]], dtype=np.float64).reshape(-1)
        return result if result.size == size else np.broadcast_to(result[:1], (size,))

    with np.errstate(all="ignore"):
        base = run(perturb=False)
        noise = np.zeros(size)
        for _ in range(PERTURBATION_RUNS):
            noise = np.fmax(noise, np.abs(run(perturb=True) - base))
    noise[~np.isfinite(noise)] = 0.0
    return noise.reshape(shape), overflow.reshape(shape), tuple(sorted(names))


def _is_float(value) -> bool:
    return isinstance(value, np.ndarray | np.floating) and np.asarray(value).dtype.kind == "f"


def _new_overflow(result: np.ndarray, arguments: list, size: int) -> np.ndarray:
    new = np.isinf(result)
    if not new.any():
        return new
    for argument in arguments:
        if not _is_float(argument):
            continue
        flat = np.asarray(argument).reshape(-1)
        if flat.size == size or flat.size == 1:
            new &= np.isfinite(flat) & (flat != 0)
    return new


# -- the comparison ---------------------------------------------------------------------------


def compare_derivatives(points: np.ndarray, autodiff, mine, *, skip: np.ndarray | None = None,
                        skip_reasons: Sequence[str] | str = (), values: np.ndarray | None = None,
                        symbol: str = "f′") -> DerivativeCheck:
    """Judge ``mine`` against ``autodiff`` at ``points`` (x values, or an (n, 2) array of (x, y)).

    ``autodiff`` and ``mine`` are arrays (broadcastable to the points) or ``Evaluation``s from
    ``evaluate``, which add the formulas' measured rounding noise and overflow (see the module
    docstring for the tolerance). ``skip`` (a boolean mask over the points) leaves points out,
    named in the verdict with ``skip_reasons``: one short reason per skipped point (or one string
    for all, or one per point), e.g. "f has a kink there". ``values`` (f at the points) lets the
    judge tell points outside f's domain (left out silently) from points where f is finite but
    autodiff is not (left out, named "f′ is undefined there" with ``symbol`` for f′).
    """
    auto_eval = autodiff if isinstance(autodiff, Evaluation) else Evaluation(np.asarray(autodiff, float))
    mine_eval = mine if isinstance(mine, Evaluation) else Evaluation(np.asarray(mine, float))
    shape = np.shape(auto_eval.values)

    def flat(array, dtype=float) -> np.ndarray:
        return np.broadcast_to(np.asarray(array, dtype), shape).ravel()

    def flat_or_none(array, dtype=float) -> np.ndarray | None:
        return None if array is None else flat(array, dtype)

    a, m = flat(auto_eval.values), flat(mine_eval.values)
    n = a.size
    pts = np.asarray(points, float)
    pts = pts.ravel() if pts.ndim <= 1 or (pts.ndim == 2 and pts.shape[1] == 1) else pts.reshape(-1, pts.shape[-1])
    if len(pts) != n:
        raise ValueError(f"{len(pts)} points but {n} derivative values")
    a_over = flat_or_none(auto_eval.overflow, bool)
    m_over = flat_or_none(mine_eval.overflow, bool)

    ignored: dict[str, np.ndarray] = {}  # reason -> mask, in the order first met

    def ignore(mask: np.ndarray, reasons: np.ndarray | str) -> None:
        if isinstance(reasons, str):
            reasons = np.full(n, reasons, dtype=object)
        for reason in dict.fromkeys(reasons[mask]):
            ignored[reason] = ignored.get(reason, np.zeros(n, bool)) | (mask & (reasons == reason))

    excluded = np.zeros(n, bool)
    if skip is not None:
        excluded = np.asarray(skip, bool).ravel().copy()
        if excluded.size != n:
            raise ValueError(f"skip has {excluded.size} entries for {n} points")
        ignore(excluded, _skip_reasons(excluded, skip_reasons))

    # outside f's domain: left out silently, as the plots leave a gap
    outside = ~np.isfinite(flat(values)) if values is not None else np.isnan(a)
    outside &= ~excluded
    excluded |= outside

    # f is finite but autodiff is not: f′ does not exist there (or autodiff overflowed)
    with np.errstate(invalid="ignore"):
        same_infinity = np.isinf(a) & (m == a)
    no_derivative = ~excluded & ~np.isfinite(a) & ~same_infinity
    if no_derivative.any():
        reasons = np.where(np.isnan(a), f"{symbol} is undefined there", f"{symbol} is infinite there").astype(object)
        if a_over is not None:
            reasons[a_over] = "autodiff overflows there"
        ignore(no_derivative, reasons)
        excluded |= no_derivative

    candidates = ~excluded
    finite_auto = candidates & np.isfinite(a)
    with np.errstate(invalid="ignore", over="ignore"):
        magnitude = np.abs(a)
        scale = float(magnitude[finite_auto & (magnitude <= HUGE)].max(initial=0.0))
        atol = np.full(n, TINY)
        for noise in (auto_eval.noise, mine_eval.noise):
            if noise is not None:
                atol = atol + flat(noise)
        if auto_eval.noise is None or mine_eval.noise is None:
            atol = atol + ATOL_SCALE * scale
        diff = np.abs(m - a)
        diff[same_infinity] = 0.0
        close = candidates & (same_infinity | (np.isfinite(m) & (diff <= RTOL * magnitude + atol)))
    off = candidates & ~close

    # overflow on one side only: not a wrong answer
    with np.errstate(invalid="ignore"):
        m_huge = np.isfinite(m) & (np.abs(m) > HUGE) & (magnitude <= HUGE)
        a_huge = (magnitude > HUGE) & np.isfinite(m) & (np.abs(m) <= HUGE)
    if m_over is not None:
        # also where it agrees only because both are below TINY: an overflow that left 0 for 1e-305
        mine_overflow = (off & (m_over | m_huge)) | (close & m_over & (m == 0) & (a != 0))
        close &= ~mine_overflow
    else:
        mine_overflow = off & (np.isinf(m) | m_huge)
    auto_overflow = off & ~mine_overflow & np.isfinite(m) & (a_over if a_over is not None else a_huge)
    if auto_overflow.any():
        ignore(auto_overflow, "autodiff overflows there")
    off &= ~mine_overflow & ~auto_overflow

    # the student's formula undefined where autodiff gives a number
    undefined = off & ~np.isfinite(m)
    wrong = off & ~undefined
    tolerated = undefined.sum() <= TOLERATED_UNDEFINED and _isolated(undefined, pts, candidates)
    failed_undefined = np.zeros(n, bool) if tolerated else undefined
    tolerated_undefined = undefined if tolerated else np.zeros(n, bool)

    compared_mask = close | wrong | failed_undefined
    agreeing = int(close.sum())
    failures = int(wrong.sum() + failed_undefined.sum())
    needed = min(MIN_AGREEING, int(candidates.sum() + 1) // 2)
    agree = failures == 0 and agreeing >= max(needed, 1)

    finite_diff = (close | wrong) & np.isfinite(diff)
    max_abs = float(diff[finite_diff].max()) if finite_diff.any() else float("nan")
    # relative differences where autodiff is above the floor (at its zeros they say nothing)
    relevant = finite_diff & (magnitude > atol)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(relevant, diff / magnitude, 0.0)
        rel_anywhere = np.where(magnitude > 0, diff / magnitude, np.inf)
    max_rel = float(rel[relevant].max()) if relevant.any() else float("nan")

    example = None
    if wrong.any():
        # the most telling wrong point: the largest relative difference (yours 1, autodiff 0 beats
        # a difference in the 9th digit of a huge value), of those the largest difference
        indices = np.flatnonzero(wrong)
        r = rel_anywhere[indices]
        top = indices[r >= r.max() * (1 - 1e-6)]
        worst = top[np.argmax(diff[top])]
        example = (pts[worst], float(m[worst]), float(a[worst]))

    return DerivativeCheck(
        agree=bool(agree), max_abs_diff=max_abs, max_rel_diff=max_rel, disagree_at=pts[wrong],
        compared=int(compared_mask.sum()), agreeing=agreeing,
        ignored=tuple((reason, pts[mask]) for reason, mask in ignored.items()),
        overflow_at=pts[mine_overflow], overflowing=mine_eval.overflowing if mine_overflow.any() else (),
        undefined_at=pts[tolerated_undefined], undefined_autodiff=a[tolerated_undefined],
        failed_undefined_at=pts[failed_undefined], hint=_hint(m[wrong], a[wrong], max_rel if wrong.any() else 0.0),
        example=example, range_points=pts)


def _skip_reasons(mask: np.ndarray, skip_reasons: Sequence[str] | str) -> np.ndarray:
    """One reason per point (object array), from one per skipped point, one for all, or one per point."""
    reasons = np.full(mask.size, "f is not differentiable there", dtype=object)
    if isinstance(skip_reasons, str):
        reasons[mask] = skip_reasons
        return reasons
    given = list(skip_reasons)
    skipped = int(mask.sum())
    if len(given) == skipped:
        reasons[mask] = given
    elif len(given) == mask.size:
        reasons[mask] = np.asarray(given, dtype=object)[mask]
    elif len(given) == 1:
        reasons[mask] = given[0]
    elif given:
        raise ValueError(f"{len(given)} skip reasons for {skipped} skipped points")
    return reasons


def _isolated(mask: np.ndarray, pts: np.ndarray, candidates: np.ndarray) -> bool:
    """No two marked points are neighbours along x (for f(x, y): always true; few points only)."""
    if not mask.any() or pts.ndim != 1:
        return True
    order = np.argsort(pts[candidates], kind="stable")
    marked = mask[candidates][order]
    return not np.any(marked[1:] & marked[:-1])


def _hint(mine: np.ndarray, auto: np.ndarray, max_rel: float) -> str:
    """The pattern of the error at the wrong points, as a teacher would name it."""
    if len(mine) < 3:
        return ""
    if np.all(mine == 0):
        return "yours is 0 there"
    if np.all(auto != 0):
        with np.errstate(over="ignore", under="ignore"):
            ratio = mine / auto
        r0 = float(np.median(ratio))
        if r0 != 0 and np.all(np.abs(ratio - r0) <= 1e-6 * abs(r0)):
            if abs(r0 + 1) <= 1e-9:
                return "the sign is wrong"
            if abs(r0 - 1) > 1e-3:
                return f"yours is {number_text(r0)} × autodiff's there: a constant factor is off"
    with np.errstate(over="ignore"):
        offset = mine - auto
    d0 = float(np.median(offset))
    if np.all(np.abs(offset - d0) <= 1e-9 * max(np.abs(auto).max(), abs(d0))):
        sign = "+" if d0 > 0 else "−"
        return f"yours is autodiff's {sign} {number_text(abs(d0))} there: a derivative has no added constant"
    if max_rel < 1e-3:
        return f"close, but not exact (relative difference {number_text(max_rel)}): a rounded constant?"
    return ""


def nonsmooth_points(compiled, x: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Sample points of f(x) where f′ does not exist (a kink, a jump …), by the verdict at each end of
    the segments across which a switching function changes branch: the points to leave out of the
    comparison, and why ("f has a kink there")."""
    skip = np.zeros(len(x), dtype=bool)
    reasons: list[str] = []
    changes = np.flatnonzero(compiled.branch_changes(x)) if len(x) > 1 else np.zeros(0, dtype=int)
    for i in sorted({int(j) for c in changes for j in (c, c + 1)})[:20]:
        verdict = compiled.derivative_at(float(x[i]))
        if not verdict.exists:
            skip[i] = True
            reasons.append(f"f has a {verdict.kind} there" if verdict.kind in ("kink", "jump", "hole")
                           else "f′ is undefined there")
    return skip, reasons
