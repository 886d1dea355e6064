"""The numbers behind the 3D view: the sampled surface, its colours, and the point's overlays.

Qt-free; the 3D widget only turns these arrays into GL items.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from derivgui.core.geometry import SecantReport, robust_range, secant_report

NOTEBOOK_RANGE = ((0.0, 10.0), (0.0, 10.0))
DEFAULT_RANGE = ((-6.0, 6.0), (-6.0, 6.0))
# The notebook draws x^2*y + y (its NumPy spelling is y*(x^2+1)) over [0, 10]².
_NOTEBOOK_SPELLINGS = ("x^2*y + y", "y*(x^2+1)", "y*(x**2+1)", "x**2*y + y")


def default_surface_range(normalized: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """The surface domain a new two-variable expression opens with."""
    from derivgui.core.parse import parse

    if normalized in {parse(s).normalized for s in _NOTEBOOK_SPELLINGS}:
        return NOTEBOOK_RANGE
    return DEFAULT_RANGE


@dataclass(frozen=True)
class SurfaceGrid:
    x: np.ndarray  # (nx,)
    y: np.ndarray  # (ny,)
    z: np.ndarray  # (nx, ny), NaN/inf where f is not finite
    dzdx: np.ndarray
    dzdy: np.ndarray

    def z_range(self) -> tuple[float, float]:
        """Robust height range: percentiles, so a pole does not flatten the rest."""
        return robust_range(self.z, (1, 99), 100)


def sample_surface(value_and_grad, x_range, y_range, nx: int, ny: int) -> SurfaceGrid:
    x = np.linspace(*x_range, nx)
    y = np.linspace(*y_range, ny)
    z, (dzdx, dzdy) = value_and_grad(x[:, None], y[None, :])
    return SurfaceGrid(x, y, z, dzdx, dzdy)


def grid_faces(nx: int, ny: int) -> np.ndarray:
    """Two triangles per grid cell, as vertex indices of an (nx, ny) grid flattened row-major."""
    i, j = np.meshgrid(np.arange(nx - 1), np.arange(ny - 1), indexing="ij")
    v00 = (i * ny + j).ravel()
    v10 = v00 + ny
    v01 = v00 + 1
    v11 = v10 + 1
    return np.concatenate([np.stack([v00, v10, v11], 1), np.stack([v00, v11, v01], 1)]).astype(np.int32)


def finite_faces(faces: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The faces whose three corners are finite: non-finite values leave holes, not spikes."""
    ok = np.isfinite(z.ravel())
    return faces[ok[faces].all(axis=1)]


# Moreland's "coolwarm" diverging map (the notebook's plt.cm.coolwarm), as control points.
_COOLWARM = np.array([
    [0.000, 0.230, 0.299, 0.754],
    [0.125, 0.353, 0.472, 0.890],
    [0.250, 0.484, 0.631, 0.976],
    [0.375, 0.619, 0.762, 0.997],
    [0.500, 0.865, 0.865, 0.865],
    [0.625, 0.958, 0.767, 0.670],
    [0.750, 0.958, 0.602, 0.482],
    [0.875, 0.889, 0.408, 0.318],
    [1.000, 0.706, 0.016, 0.150],
])


def coolwarm(t: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """RGBA in [0, 1] for t in [0, 1] (clipped); NaN maps to grey."""
    t = np.asarray(t, dtype=float)
    tt = np.clip(np.nan_to_num(t, nan=0.5), 0.0, 1.0)
    rgba = np.empty(tt.shape + (4,))
    for k in range(3):
        rgba[..., k] = np.interp(tt, _COOLWARM[:, 0], _COOLWARM[:, k + 1])
    rgba[..., 3] = alpha
    return rgba


@dataclass(frozen=True)
class PointReport:
    """Everything the 3D overlays and readouts need at (a, b) with steps (Δa, Δb)."""

    a: float
    b: float
    f: float
    grad_x: float
    grad_y: float
    along_x: SecantReport  # the slice x ↦ f(x, b): secant with step Δa, tangent ∂f/∂x
    along_y: SecantReport  # the slice y ↦ f(a, y): secant with step Δb, tangent ∂f/∂y

    @property
    def grad_norm(self) -> float:
        return float(np.hypot(self.grad_x, self.grad_y))


def slice_along_x(value_and_grad, b: float):
    """x ↦ f(x, b) as a one-variable value-and-derivative function (derivative ∂f/∂x)."""
    def vg(x):
        value, (gx, _gy) = value_and_grad(x, b)
        return value, (gx,)
    return vg


def slice_along_y(value_and_grad, a: float):
    """y ↦ f(a, y) as a one-variable value-and-derivative function (derivative ∂f/∂y)."""
    def vg(y):
        value, (_gx, gy) = value_and_grad(a, y)
        return value, (gy,)
    return vg


def point_report(value_and_grad, a: float, b: float, delta_a: float, delta_b: float) -> PointReport:
    along_x = secant_report(slice_along_x(value_and_grad, b), a, delta_a)
    along_y = secant_report(slice_along_y(value_and_grad, a), b, delta_b)
    return PointReport(a, b, along_x.f_a, along_x.tangent_slope, along_y.tangent_slope, along_x, along_y)


def tangent_plane_patch(report: PointReport, half_x: float, half_y: float, n: int = 2):
    """Corner grid of the tangent plane z = f + fx (x − a) + fy (y − b) around the point."""
    xs = np.linspace(report.a - half_x, report.a + half_x, n)
    ys = np.linspace(report.b - half_y, report.b + half_y, n)
    z = report.f + report.grad_x * (xs[:, None] - report.a) + report.grad_y * (ys[None, :] - report.b)
    return xs, ys, z


def gradient_along_line(value_and_grad, a: float, b: float, t: np.ndarray, direction=(1.0, 1.0)):
    """∂f/∂x and ∂f/∂y along the line (a, b) + t·direction (the notebook's diagonal by default)."""
    dx, dy = direction
    _value, (gx, gy) = value_and_grad(a + t * dx, b + t * dy)
    return gx, gy
