"""The numbers behind the 3D view: the sampled surface, its colours, and the point's overlays.

Qt-free; the 3D widget only turns these arrays into GL items.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from derivgui.numeric.geometry import SecantReport, robust_range, secant_report, with_verdict

NOTEBOOK_RANGE = ((0.0, 10.0), (0.0, 10.0))
DEFAULT_RANGE = ((-6.0, 6.0), (-6.0, 6.0))
# The notebook draws x^2*y + y (its NumPy spelling is y*(x^2+1)) over [0, 10]².
_NOTEBOOK_SPELLINGS = ("x^2*y + y", "y*(x^2+1)", "y*(x**2+1)", "x**2*y + y")


def default_surface_range(normalized: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """The surface domain a new two-variable expression opens with."""
    from derivgui.expr.parse import parse

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


def sample_surface(value_and_grad, x_range: tuple[float, float], y_range: tuple[float, float], nx: int, ny: int,
                   rows_per_call: int | None = None, cancelled=None) -> SurfaceGrid | None:
    """f and its gradient on an nx × ny grid.

    ``rows_per_call`` evaluates that many rows of x at a time: off the GUI thread, a compiled
    function (one lock per kernel) is then never held for long by the sampling, and
    ``cancelled()`` is asked between calls (None is returned when it says so).
    """
    x = np.linspace(*x_range, nx)
    y = np.linspace(*y_range, ny)
    if rows_per_call is None or rows_per_call >= nx:
        z, (dzdx, dzdy) = value_and_grad(x[:, None], y[None, :])
        return SurfaceGrid(x, y, z, dzdx, dzdy)
    z, dzdx, dzdy = (np.empty((nx, ny)) for _ in range(3))
    for start in range(0, nx, rows_per_call):
        if cancelled is not None and cancelled():
            return None
        rows = slice(start, start + rows_per_call)
        z[rows], (dzdx[rows], dzdy[rows]) = value_and_grad(x[rows, None], y[None, :])
    return SurfaceGrid(x, y, z, dzdx, dzdy)


def grid_faces(nx: int, ny: int) -> np.ndarray:
    """Two triangles per grid cell, as vertex indices of an (nx, ny) grid flattened row-major."""
    return _grid_faces(nx, ny).astype(np.int32)


@lru_cache(maxsize=4)
def _grid_faces(nx: int, ny: int) -> np.ndarray:
    """``grid_faces`` as uint32 (what GL indexes with), cached and read-only: every surface of a
    resolution shares it."""
    i, j = np.meshgrid(np.arange(nx - 1), np.arange(ny - 1), indexing="ij")
    v00 = (i * ny + j).ravel()
    v10 = v00 + ny
    v01 = v00 + 1
    v11 = v10 + 1
    faces = np.concatenate([np.stack([v00, v10, v11], 1), np.stack([v00, v11, v01], 1)]).astype(np.uint32)
    faces.flags.writeable = False
    return faces


def finite_faces(faces: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The faces whose three corners are finite: non-finite values leave holes, not spikes."""
    ok = np.isfinite(z.ravel())
    if ok.all():
        return faces
    return faces[ok[faces].all(axis=1)]


def to_box(values, lo: float, hi: float, half: float) -> np.ndarray:
    """Data in [lo, hi] → scene coordinates in [−half, half]: the one map from data to the 3D
    scene, for the surface's vertices and the overlays drawn on it alike."""
    return (np.asarray(values, float) - lo) * (2 * half / (hi - lo)) - half


@dataclass(frozen=True)
class SurfaceMesh:
    """A sampled surface as the arrays a GL mesh draws: one vertex per grid point, shared by faces.

    Built by ``surface_mesh`` (NumPy only, so it may run off the GUI thread).
    """

    grid: SurfaceGrid
    z_range: tuple[float, float]
    positions: np.ndarray  # (n, 3) float32, scene coordinates
    normals: np.ndarray  # (n, 3) float32, unit normals in the scene's (scaled) coordinates
    colors: np.ndarray  # (n, 4) uint8 RGBA
    faces: np.ndarray  # (m, 3) uint32, only faces whose corners are finite


def surface_mesh(grid: SurfaceGrid, half_xy: float, half_z: float, clamp: float = 1.15) -> SurfaceMesh:
    """Positions, normals, colours and faces of ``grid`` scaled into the box [±half_xy]² × [±half_z].

    Heights beyond the robust range are clamped to ``clamp`` × half_z, so a pole becomes a flat
    cap rather than a spike. Normals come from the sampled gradient (smooth shading at no cost).
    """
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        return _surface_mesh(grid, half_xy, half_z, clamp)


def _surface_mesh(grid: SurfaceGrid, half_xy: float, half_z: float, clamp: float) -> SurfaceMesh:
    x, y, z = grid.x, grid.y, grid.z
    z_lo, z_hi = grid.z_range()
    sx = 2 * half_xy / (x[-1] - x[0])
    sy = 2 * half_xy / (y[-1] - y[0])
    sz = 2 * half_z / (z_hi - z_lo)
    nx, ny = z.shape
    finite = np.isfinite(z)
    positions = np.empty((nx, ny, 3), np.float32)
    positions[..., 0] = to_box(x, x[0], x[-1], half_xy)[:, None]
    positions[..., 1] = to_box(y, y[0], y[-1], half_xy)[None, :]
    wz = np.where(finite, to_box(z, z_lo, z_hi, half_z), -half_z)
    capped = np.abs(wz) > clamp * half_z
    positions[..., 2] = np.clip(wz, -clamp * half_z, clamp * half_z)

    normals = np.empty((nx, ny, 3), np.float32)
    gx = np.asarray(grid.dzdx, float) * (sz / sx)
    gy = np.asarray(grid.dzdy, float) * (sz / sy)
    flat = capped | ~np.isfinite(gx) | ~np.isfinite(gy)
    gx = np.where(flat, 0.0, gx)
    gy = np.where(flat, 0.0, gy)
    inv = 1.0 / np.sqrt(gx * gx + gy * gy + 1.0)
    normals[..., 0] = -gx * inv
    normals[..., 1] = -gy * inv
    normals[..., 2] = inv

    t = (z - z_lo) / (z_hi - z_lo)
    colors = coolwarm_rgba8(t)
    faces = finite_faces(_grid_faces(nx, ny), z)
    return SurfaceMesh(grid, (z_lo, z_hi), positions.reshape(-1, 3), normals.reshape(-1, 3),
                       colors.reshape(-1, 4), faces)


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


_COOLWARM_LUT_SIZE = 1024
_COOLWARM_LUT = np.round(coolwarm(np.linspace(0.0, 1.0, _COOLWARM_LUT_SIZE)) * 255).astype(np.uint8)


def coolwarm_rgba8(t: np.ndarray) -> np.ndarray:
    """``coolwarm`` as 8-bit RGBA through a 1024-entry table (what a GL vertex colour needs)."""
    t = np.clip(np.nan_to_num(np.asarray(t, dtype=float), nan=0.5, posinf=1.0, neginf=0.0), 0.0, 1.0)
    return _COOLWARM_LUT[(t * (_COOLWARM_LUT_SIZE - 1) + 0.5).astype(np.intp)]


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
    """Both slices' secant reports from one evaluation at (a, b), (a + Δa, b) and (a, b + Δb)."""
    values, (gx, gy) = value_and_grad(np.array([a, a + delta_a, a]), np.array([b, b, b + delta_b]))
    along_x = secant_report(lambda _x: (values[:2], (gx[:2],)), a, delta_a)
    along_y = secant_report(lambda _y: (values[[0, 2]], (gy[[0, 2]],)), b, delta_b)
    return PointReport(a, b, along_x.f_a, along_x.tangent_slope, along_y.tangent_slope, along_x, along_y)


def judged_point_report(compiled, a: float, b: float, delta_a: float, delta_b: float) -> PointReport:
    """``point_report`` of a compiled f(x, y), each slice with its verdict (see ``verdict``)."""
    report = point_report(compiled.value_and_grad, a, b, delta_a, delta_b)
    along_x, along_y = (with_verdict(r, v) for r, v in zip((report.along_x, report.along_y),
                                                           compiled.derivative_at(a, b), strict=True))
    # No partial derivative, no gradient arrow and no tangent plane (both hide where NaN).
    return dataclasses.replace(report, along_x=along_x, along_y=along_y,
                               grad_x=along_x.tangent_slope, grad_y=along_y.tangent_slope)


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
