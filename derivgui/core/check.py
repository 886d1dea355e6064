"""Check a student's own derivative against autodiff, the notebook's ``np.allclose`` way."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RTOL = 1e-5  # np.allclose's defaults: the notebook's check
ATOL = 1e-8


@dataclass(frozen=True)
class DerivativeCheck:
    agree: bool  # np.allclose(mine, autodiff) over the points where both are finite
    max_abs_diff: float
    max_rel_diff: float
    disagree_at: np.ndarray  # the sample points (x, or rows of (x, y)) where they differ
    compared: int  # how many points were compared

    def verdict(self, name: str = "your derivative") -> str:
        if self.compared == 0:
            return "✗ nothing to compare: the derivatives are not finite on the visible range"
        if self.agree:
            return (f"✓ correct: {name} agrees with autodiff (np.allclose) on {self.compared} points; "
                    f"max |difference| {self.max_abs_diff:.3g}")
        where = _describe_points(self.disagree_at)
        return (f"✗ not the derivative: max |difference| {self.max_abs_diff:.3g} "
                f"(relative {self.max_rel_diff:.3g}); differs at {len(self.disagree_at)} points, {where}")


def _describe_points(points: np.ndarray) -> str:
    if len(points) == 0:
        return ""
    if points.ndim == 1:
        return f"first at x = {points[0]:.4g}" if len(points) == 1 else \
            f"from x = {points.min():.4g} to x = {points.max():.4g}"
    x, y = points[0]
    return f"first at (x, y) = ({x:.4g}, {y:.4g})"


def compare_derivatives(points: np.ndarray, autodiff: np.ndarray, mine: np.ndarray) -> DerivativeCheck:
    """Compare two derivative arrays sampled at ``points`` (x values, or an (n, 2) array of (x, y)).

    Points where autodiff is not finite (poles, kinks) are left out, as the notebook's plots do;
    where autodiff is finite but the student's is not, that counts as a difference.
    """
    autodiff = np.asarray(autodiff, float).ravel()
    mine = np.broadcast_to(np.asarray(mine, float), autodiff.shape).ravel()
    keep = np.isfinite(autodiff)
    a, m = autodiff[keep], mine[keep]
    pts = np.asarray(points)[keep] if np.asarray(points).ndim == 1 else np.asarray(points).reshape(-1, 2)[keep]
    if a.size == 0:
        return DerivativeCheck(False, float("nan"), float("nan"), np.zeros(0), 0)
    with np.errstate(all="ignore"):
        diff = np.abs(m - a)
        close = diff <= ATOL + RTOL * np.abs(a)
        close &= np.isfinite(m)
        rel = diff / np.maximum(np.abs(a), ATOL)
    finite_diff = diff[np.isfinite(diff)]
    max_abs = float(finite_diff.max()) if finite_diff.size == len(diff) else float("inf")
    max_rel = float(np.nanmax(np.where(np.isfinite(rel), rel, np.inf)))
    return DerivativeCheck(bool(close.all()), max_abs, max_rel, pts[~close], int(a.size))


def evaluate_formula(compiled, args: tuple) -> np.ndarray:
    """The student's formula at the sample points. It may use fewer variables than f does
    (∂f/∂y of x²y + y is x² + 1, a function of x alone), so it takes only its own."""
    values = compiled(*args[: len(compiled.variables)])
    return np.broadcast_to(values, np.broadcast_shapes(*(np.shape(a) for a in args)))
