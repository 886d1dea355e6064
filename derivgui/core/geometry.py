"""The numbers behind the pictures: secants, tangents, sampled curves and their honest readouts.

Everything here is NumPy on already-compiled functions, so a slider step costs microseconds and
tests need no display.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

ValueAndGrad = Callable[..., tuple[np.ndarray, tuple[np.ndarray, ...]]]


@dataclass(frozen=True)
class SecantReport:
    """What the readouts show for one (a, Δa): slopes, their difference, and whether to trust them."""

    a: float
    delta: float
    f_a: float
    f_a_delta: float  # f(a + Δa)
    tangent_slope: float  # f'(a) from autodiff
    secant_slope: float  # nan when it cannot be formed
    problem: str | None  # why the secant slope is meaningless, in words; None when it is fine
    digits_lost: float  # decimal digits of f(a) cancelled in f(a + Δa) - f(a)

    @property
    def difference(self) -> float:
        return self.secant_slope - self.tangent_slope


def digits_lost_in_difference(u: float, v: float) -> float:
    """How many leading decimal digits ``v - u`` cancels: log10(max(|u|, |v|) / |v - u|).

    16 means nothing is left of a float64's ~16 significant digits.
    """
    if not (math.isfinite(u) and math.isfinite(v)):
        return 0.0
    diff = abs(v - u)
    scale = max(abs(u), abs(v))
    if diff == 0.0:
        return 16.0 if scale > 0 else 0.0
    if scale == 0.0:
        return 0.0
    return max(0.0, math.log10(scale / diff))


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
        secant = (f_ad - f_a) / delta
        if f_ad == f_a and tangent != 0.0:
            problem = "f(a + Δa) equals f(a) in floating point: all digits cancelled, the secant slope is 0 by rounding"
        elif lost >= 15.0 and tangent != 0.0:
            problem = (f"{lost:.0f} of ~16 digits cancelled in f(a + Δa) − f(a): "
                       "the secant slope is mostly rounding noise")
    return SecantReport(a, delta, f_a, f_ad, tangent, secant, problem, lost)


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


def sample_curve(value_and_grad: ValueAndGrad, x_min: float, x_max: float, n: int, y_span: float) -> SampledCurve:
    """``n`` samples of f and f' on [x_min, x_max], with NaN inserted where the curve jumps.

    NaN breaks the polyline (pyqtgraph's ``connect="finite"``), so poles and steps show as gaps.
    """
    x = np.linspace(x_min, x_max, max(int(n), 2))
    f, (df,) = value_and_grad(x)
    jumps = break_discontinuities(x, f, df, y_span)
    if len(jumps):
        # Insert a NaN sample in the middle of each jumping segment.
        mid = (x[jumps] + x[jumps + 1]) / 2
        x = np.insert(x, jumps + 1, mid)
        f = np.insert(f, jumps + 1, np.nan)
        df = np.insert(df, jumps + 1, np.nan)
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
    """f(a) and f(a + Δa) side by side, with the leading digits they share."""

    f_a_text: str
    f_a_delta_text: str
    shared: int  # how many leading significant digits are the same (highlight these)
    digits_lost: float  # decimal digits cancelled in the difference


def shared_leading_digits(u: float, v: float) -> Cancellation:
    """Both numbers with 17 significant digits and the count of leading digits they share.

    Those shared digits vanish in v − u: what is left of the difference has ~16 − shared
    trustworthy digits, which is why a tiny Δa makes the secant slope noise.
    """
    if not (math.isfinite(u) and math.isfinite(v)):
        return Cancellation(format_number(u), format_number(v), 0, 0.0)
    tu, tv = f"{u:.16e}", f"{v:.16e}"
    shared = 0
    if tu[0] == tv[0] and tu.split("e")[1] == tv.split("e")[1]:
        mu = tu.split("e")[0].lstrip("-").replace(".", "")
        mv = tv.split("e")[0].lstrip("-").replace(".", "")
        for cu, cv in zip(mu, mv, strict=True):
            if cu != cv:
                break
            shared += 1
    return Cancellation(tu, tv, shared, digits_lost_in_difference(u, v))
