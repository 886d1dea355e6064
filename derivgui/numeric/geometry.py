"""The numbers behind the pictures: secants, tangents, sampled curves and their honest readouts.

Everything here is NumPy on already-compiled functions, so a slider step costs microseconds and
tests need no display.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext

import numpy as np

from derivgui.numeric.verdict import PointVerdict

ValueAndGrad = Callable[..., tuple[np.ndarray, tuple[np.ndarray, ...]]]


@dataclass(frozen=True)
class SecantReport:
    """What the readouts show for one (a, Δa): slopes, their difference, and whether to trust them.

    The secant is the line through the two points actually evaluated, (a, f(a)) and
    (a + Δa, f(a + Δa)) with a + Δa rounded to a float, so its slope divides by the step actually
    taken, ``step`` = h = (a + Δa) − a, not by the nominal Δa: the readout, the drawn line and the
    error plot all mean this one slope.
    """

    a: float
    delta: float
    f_a: float
    f_a_delta: float  # f(a + Δa)
    tangent_slope: float  # f'(a) from autodiff
    secant_slope: float  # (f(a + Δa) − f(a)) / h; nan when it cannot be formed
    problem: str | None  # why the secant slope is meaningless, in words; None when it is fine
    digits_lost: float  # digits_lost_in_difference(f(a), f(a + Δa))
    step: float  # h = (a + Δa) − a, the step actually taken
    verdict: PointVerdict | None = None  # whether f′(a) exists (see ``with_verdict``); None: not judged

    @property
    def difference(self) -> float:
        return self.secant_slope - self.tangent_slope

    @property
    def step_is_rounded(self) -> bool:
        """Whether h differs from Δa in the digits the readouts show (a + Δa rounds at a's scale)."""
        return self.step != 0.0 and format_number(self.step) != format_number(self.delta)

    @property
    def step_note(self) -> str:
        """Why the secant slope does not divide by Δa, when that shows in its digits; "" otherwise."""
        if not self.step_is_rounded:
            return ""
        return f"Δa is rounded at a's scale: the step taken is h = {format_number(self.step)}"


def judged_secant_report(compiled, a: float, delta: float) -> SecantReport:
    """``secant_report`` of a compiled f(x), with the verdict on f′(a) (see ``verdict``)."""
    return with_verdict(secant_report(compiled.value_and_grad, a, delta), compiled.derivative_at(a))


def with_verdict(report: SecantReport, verdict: PointVerdict) -> SecantReport:
    """The report with the verdict at a: the tangent slope is f′(a) where it exists (at a tie of
    max or min the mean of both sides, as the verdict computes it), NaN where it does not."""
    slope = verdict.value if verdict.value is not None else math.nan
    return dataclasses.replace(report, verdict=verdict, tangent_slope=slope)


def digits_lost_in_difference(u: float, v: float) -> float:
    """How many leading decimal digits ``v - u`` cancels: log10(max(|u|, |v|) / |v - u|).

    The one measure of cancellation every readout shows (through ``digits_text``). It lies in
    [0, 16]: 16 means nothing is left of a float64's ~16 significant digits (v == u); two
    different floats lose at most log10(2^53) ≈ 15.95.
    """
    if not (math.isfinite(u) and math.isfinite(v)):
        return 0.0
    diff = abs(v - u)
    scale = max(abs(u), abs(v))
    if diff == 0.0:
        return 16.0 if scale > 0 else 0.0
    if scale == 0.0:
        return 0.0
    return min(16.0, max(0.0, math.log10(scale / diff)))


def digits_text(lost: float) -> str:
    """``digits_lost`` as every readout writes it: one decimal ("10.5")."""
    return f"{lost:.1f}"


NOISE_DIGITS = 15.0  # from this many digits lost (as written) the secant slope is called rounding noise


def secant_slope(x0, f0, x1, f1):
    """The slope of the line through (x0, f0) and (x1, f1): (f1 − f0) / (x1 − x0).

    The one definition of a secant's slope (the readouts, the drawn line and the error plot): x1
    is the point actually evaluated, a + Δa rounded to a float, so x1 − x0 is the step actually
    taken. Works on floats and NumPy arrays alike.
    """
    return (f1 - f0) / (x1 - x0)


def secant_report(value_and_grad: ValueAndGrad, a: float, delta: float) -> SecantReport:
    """Evaluate f at a and a+Δa and f'(a) in one call, and judge what the secant slope is worth."""
    a_delta = a + delta
    values, grads = value_and_grad(np.array([a, a_delta]))
    f_a, f_ad = float(values[0]), float(values[1])
    tangent = float(grads[0][0])
    step = a_delta - a  # the step actually taken, after rounding a + Δa
    problem = None
    lost = digits_lost_in_difference(f_a, f_ad)
    if step == 0.0:
        secant = math.nan
        problem = "a + Δa rounds to a in floating point: no step is taken, so there is no secant"
    elif not (math.isfinite(f_a) and math.isfinite(f_ad)):
        secant = math.nan
        problem = "f is not finite at a or a + Δa"
    else:
        secant = secant_slope(a, f_a, a_delta, f_ad)  # divides by step, not by delta
        if f_ad == f_a and tangent != 0.0:
            problem = "f(a + Δa) equals f(a) in floating point: all digits cancelled, the secant slope is 0 by rounding"
        elif float(digits_text(lost)) >= NOISE_DIGITS and tangent != 0.0:
            problem = (f"{digits_text(lost)} of ~16 digits cancelled in f(a + Δa) − f(a): "
                       "the secant slope is mostly rounding noise")
    return SecantReport(a, delta, f_a, f_ad, tangent, secant, problem, lost, step)


def line_through(x0: float, y0: float, slope: float, x_min: float, x_max: float) -> tuple[np.ndarray, np.ndarray]:
    """End points of the line through (x0, y0) with ``slope`` across [x_min, x_max]."""
    xs = np.array([x_min, x_max], dtype=float)
    if not (math.isfinite(y0) and math.isfinite(slope)):
        return xs, np.full(2, np.nan)
    return xs, y0 + slope * (xs - x0)


def break_discontinuities(x: np.ndarray, f: np.ndarray, df: np.ndarray, y_span: float) -> np.ndarray:
    """Indices i where the segment from sample i to i+1 jumps instead of following the curve.

    A plotted polyline joins every pair of finite samples, so ``tan`` or ``1/x`` would draw
    spikes across their poles and ``floor`` vertical risers. A segment is a jump when it is
    visible (more than 1/200 of the view's height) and either goes against the derivative at
    both ends (a pole) or is ten times larger than the derivative allows (a step).
    """
    if len(x) < 2:
        return np.zeros(0, dtype=int)
    dx = np.diff(x)
    with np.errstate(invalid="ignore"):  # inf − inf where f overflows: NaN, not a jump
        dy = np.diff(f)
    d0, d1 = df[:-1], df[1:]
    visible = np.abs(dy) > y_span / 200.0
    with np.errstate(invalid="ignore", over="ignore"):
        against = (np.sign(dy) * np.sign(d0) < 0) & (np.sign(dy) * np.sign(d1) < 0)
        allowed = np.maximum(np.abs(d0), np.abs(d1)) * dx
        too_big = np.abs(dy) > 10.0 * allowed
    jumps = visible & (against | too_big) & np.isfinite(dy)
    return np.flatnonzero(jumps)


@dataclass(frozen=True)
class SampledCurve:
    x: np.ndarray
    f: np.ndarray
    df: np.ndarray  # NaN where f is not finite or the curve jumps


def sample_curve(value_and_grad: ValueAndGrad, x_min: float, x_max: float, n: int, y_span: float,
                 branch_changes: Callable[[np.ndarray], np.ndarray] | None = None) -> SampledCurve:
    """``n`` samples of f and f' on [x_min, x_max], with NaN inserted where the curve jumps.

    NaN breaks the polyline (pyqtgraph's ``connect="finite"``), so poles and steps show as gaps.
    ``branch_changes(x)`` (``CompiledExpression.branch_changes``) marks the segments across which
    a switching function (abs, max, floor …) changes branch: f′ is broken there when it jumps
    visibly, so abs′ has no vertical riser at 0.
    """
    x = np.linspace(x_min, x_max, max(int(n), 2))
    f, (df,) = value_and_grad(x)
    f_jumps = break_discontinuities(x, f, df, y_span)
    df_jumps = f_jumps
    if branch_changes is not None:
        with np.errstate(invalid="ignore"):
            visible = np.abs(np.diff(df)) > y_span / 200.0
        df_jumps = np.union1d(f_jumps, np.flatnonzero(branch_changes(x) & visible))
    if len(df_jumps):
        # Insert a NaN sample in the middle of each jumping segment (f keeps its value where only f′ jumps).
        mid = (x[df_jumps] + x[df_jumps + 1]) / 2
        f_mid = np.where(np.isin(df_jumps, f_jumps), np.nan, np.interp(mid, x, f))
        x = np.insert(x, df_jumps + 1, mid)
        f = np.insert(f, df_jumps + 1, f_mid)
        df = np.insert(df, df_jumps + 1, np.nan)
    return SampledCurve(x, f, df)


def robust_range(values: np.ndarray, percentiles: tuple[float, float] = (2, 98), min_count: int = 50,
                 pad: float = 0.0) -> tuple[float, float]:
    """A range that shows the values without letting poles (1/x, tan) flatten everything else:
    percentiles once there are enough finite values, padded by ``pad`` of the span."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return -1.0, 1.0
    lo, hi = np.percentile(finite, percentiles) if finite.size > min_count else (finite.min(), finite.max())
    lo, hi = float(lo), float(hi)
    if hi - lo < 1e-12 * max(1.0, abs(hi)):
        lo, hi = lo - 1.0, hi + 1.0
    span = hi - lo
    return lo - pad * span, hi + pad * span


def robust_y_range(values: np.ndarray) -> tuple[float, float]:
    """The 2D view's y range for a curve."""
    return robust_range(values, (2, 98), 50, pad=0.08)


def range_still_fits(current: tuple[float, float] | None, lo: float, hi: float, loosest: float = 0.5) -> bool:
    """Whether an axis showing ``current`` can stay as it is for data spanning [lo, hi]: they lie
    inside it and fill at least ``loosest`` of it.

    An axis that stays put is not re-rendered (pyqtgraph regenerates its ticks and text on every
    range change: ~5 ms an axis, measured), and the user's eye keeps its bearings.
    """
    if current is None:
        return False
    return current[0] <= lo and hi <= current[1] and hi - lo >= loosest * (current[1] - current[0])


def format_number(value: float, digits: int = 12) -> str:
    """A number with ``digits`` significant digits, and words for the non-finite cases."""
    if math.isnan(value):
        return "undefined"
    if math.isinf(value):
        return "+∞" if value > 0 else "−∞"
    # ASCII minus and no decoration, so the text reads back with float().
    return f"{value:.{digits}g}"


@dataclass(frozen=True)
class Cancellation:
    """f(a) and f(a + Δa) side by side at a common exponent, with the leading digits that cancel."""

    f_a_text: str
    f_a_delta_text: str
    shared: int  # leading digits (at the common exponent) that cancel in the difference, 0 to 16: highlight these
    digits_lost: float  # digits_lost_in_difference: |shared − digits_lost| < 1
    equal: bool = False  # the two numbers are the same float: every digit cancels


def _at_exponent(value: Decimal, exponent: int, decimals: int) -> str:
    """``value`` written as m·10^exponent with ``decimals`` decimals, as %e writes its exponent."""
    mantissa = value.scaleb(-exponent).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)
    return f"{mantissa:.{decimals}f}e{exponent:+03d}"


def shared_leading_digits(u: float, v: float) -> Cancellation:
    """Both numbers with 17 significant digits of the larger, at its exponent, and the count of
    leading digits that cancel in v − u.

    At a common exponent the digits line up by place value, so the count holds across a power
    of ten: 1.0000000000000000e+15 and 0.9999999999700001e+15 differ by 0.00000000003e+15, whose
    first 11 places are 0, so their first 11 digits cancel although they are not the same digits.
    Where no digit carries these are exactly the digits the two numbers share (never fewer: a
    carry, as in 1.2350000 and 1.2349999, adds the places it hides). The count is the place of
    the difference's leading digit below the larger number's, so it is within 1 of
    ``digits_lost_in_difference`` and at most 16 (two floats differ by at least 2^-53 of the
    larger); what is left of the difference has ~16 − digits_lost trustworthy digits, which is
    why a tiny Δa makes the secant slope noise.
    """
    if not (math.isfinite(u) and math.isfinite(v)):
        return Cancellation(format_number(u), format_number(v), 0, 0.0)
    exponent = int(f"{max(abs(u), abs(v)):.16e}".split("e")[1])
    lost = digits_lost_in_difference(u, v)
    with localcontext(Context(prec=1100)):  # exact: a float has at most ~770 significant decimal digits
        du, dv = Decimal(u), Decimal(v)
        tu, tv = _at_exponent(du, exponent, 16), _at_exponent(dv, exponent, 16)
        if u == v:
            return Cancellation(tu, tv, 16 if u != 0 else 0, lost, equal=u != 0)
        shared = 0
        if u != 0 and v != 0 and (u > 0) == (v > 0):  # a difference, not a sum: leading places can cancel
            shared = max(0, min(16, exponent - (dv - du).adjusted()))
    return Cancellation(tu, tv, shared, lost)
