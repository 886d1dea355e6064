"""Why a tiny Δa goes wrong: the error of finite-difference slopes against the step.

For a smooth f the forward difference errs by about |f″|·h/2 (truncation, slope 1 on a log-log
plot) and the central one by |f‴|·h²/6 (slope 2), while rounding f to ~16 digits adds about
ε·|f|/h (slope −1). The sum is a V whose bottom, near √ε ≈ 1e-8 for the forward difference and
∛ε ≈ 1e-5 for the central one, is the best step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from derivgui.numeric.geometry import secant_slope

EPSILON = float(np.finfo(float).eps)


@dataclass(frozen=True)
class StepErrors:
    steps: np.ndarray  # |Δa|, from large to small
    forward: np.ndarray  # |(f(a+Δa) − f(a))/h − f′(a)|, h = (a+Δa) − a the step taken (secant_slope)
    central: np.ndarray  # |(f(a+Δa) − f(a−Δa))/((a+Δa) − (a−Δa)) − f′(a)|
    tangent_slope: float

    def best_forward_step(self) -> float:
        return _argmin_step(self.steps, self.forward)

    def best_central_step(self) -> float:
        return _argmin_step(self.steps, self.central)


def _argmin_step(steps: np.ndarray, errors: np.ndarray) -> float:
    finite = np.isfinite(errors)
    if not finite.any():
        return float("nan")
    masked = np.where(finite, errors, np.inf)
    # Ties at exactly 0 (exact rounding luck): take the largest step that reaches the minimum.
    return float(steps[int(np.argmin(masked))])


def step_errors(value_and_grad, a: float, largest: float = 1.0, smallest: float = 1e-16,
                count: int = 161, tangent: float | None = None) -> StepErrors:
    """Forward and central difference errors at ``a`` for ``count`` steps spaced evenly in log,
    against ``tangent`` (f′(a) from the verdict; by default the program's autodiff value)."""
    steps = np.logspace(np.log10(largest), np.log10(smallest), count)
    points = np.concatenate([[a], a + steps, a - steps])
    values, (slopes,) = value_and_grad(points)
    f_a, f_plus, f_minus = values[0], values[1:count + 1], values[count + 1:]
    tangent = float(slopes[0]) if tangent is None else tangent
    with np.errstate(all="ignore"):
        # The slope through the points actually evaluated, as the secant readout and the drawn
        # secant have it: a ± Δa is rounded to a float, and the slope divides by the step taken.
        forward = np.abs(secant_slope(a, f_a, points[1:count + 1], f_plus) - tangent)
        central = np.abs(secant_slope(points[count + 1:], f_minus, points[1:count + 1], f_plus) - tangent)
    return StepErrors(steps, forward, central, tangent)


def fitted_slope(steps: np.ndarray, errors: np.ndarray, low: float, high: float) -> float:
    """The log-log slope of ``errors`` against ``steps`` between ``low`` and ``high``."""
    keep = (steps >= low) & (steps <= high) & np.isfinite(errors) & (errors > 0)
    if keep.sum() < 2:
        return float("nan")
    slope, _intercept = np.polyfit(np.log10(steps[keep]), np.log10(errors[keep]), 1)
    return float(slope)


def reference_line(steps: np.ndarray, order: int, anchor_step: float, anchor_error: float) -> np.ndarray:
    """C·hᵒʳᵈᵉʳ through (anchor_step, anchor_error): the O(Δa) and O(Δa²) guides."""
    return anchor_error * (steps / anchor_step) ** order
