"""The arrays behind the 3D view: sampling in pieces, the mesh, its normals and colours."""

from __future__ import annotations

import numpy as np
import pytest

from derivgui.compiler.engine import compile_expr
from derivgui.numeric.geometry import secant_report
from derivgui.numeric.surface import (
    coolwarm,
    coolwarm_rgba8,
    grid_faces,
    point_report,
    sample_surface,
    slice_along_x,
    slice_along_y,
    surface_mesh,
)


def plane(x, y):
    """f = 2x - y, with its gradient (2, -1)."""
    x, y = np.broadcast_arrays(np.asarray(x, float), np.asarray(y, float))
    return 2 * x - y, (np.full(x.shape, 2.0), np.full(x.shape, -1.0))


def test_sampling_in_pieces_is_the_same_grid():
    f = compile_expr("sin(x) * y + x^2")
    whole = sample_surface(f.value_and_grad, (-2, 3), (-1, 4), 37, 23)
    pieces = sample_surface(f.value_and_grad, (-2, 3), (-1, 4), 37, 23, rows_per_call=5)
    for name in ("x", "y", "z", "dzdx", "dzdy"):
        np.testing.assert_array_equal(getattr(whole, name), getattr(pieces, name))


def test_sampling_stops_when_cancelled():
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 2

    assert sample_surface(plane, (0, 1), (0, 1), 50, 10, rows_per_call=10, cancelled=cancelled) is None
    assert len(calls) == 3


def test_mesh_positions_fill_the_box_and_normals_follow_the_gradient():
    grid = sample_surface(plane, (0.0, 4.0), (-1.0, 1.0), 21, 11)
    mesh = surface_mesh(grid, half_xy=5.0, half_z=3.0)
    assert mesh.positions.shape == (21 * 11, 3) and mesh.positions.dtype == np.float32
    assert mesh.positions[:, 0].min() == pytest.approx(-5) and mesh.positions[:, 0].max() == pytest.approx(5)
    assert mesh.positions[:, 1].min() == pytest.approx(-5) and mesh.positions[:, 1].max() == pytest.approx(5)
    np.testing.assert_array_equal(mesh.faces, grid_faces(21, 11))
    # A plane's normal, in the scaled scene: the gradient scaled by (scene z per unit f) / (scene x per unit x).
    z_lo, z_hi = mesh.z_range
    sx, sy, sz = 10 / 4.0, 10 / 2.0, 6 / (z_hi - z_lo)
    expected = np.array([-2 * sz / sx, 1 * sz / sy, 1.0])
    expected /= np.linalg.norm(expected)
    inside = np.abs(mesh.positions[:, 2]) < 3 * 1.15  # not clamped into a cap
    np.testing.assert_allclose(mesh.normals[inside], np.broadcast_to(expected, (inside.sum(), 3)), atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(mesh.normals, axis=1), 1.0, atol=1e-6)


def test_mesh_drops_faces_at_non_finite_values_and_caps_poles():
    f = compile_expr("1/(x^2 + y^2)")
    grid = sample_surface(f.value_and_grad, (-1, 1), (-1, 1), 21, 21)  # a pole at the centre vertex
    mesh = surface_mesh(grid, 5.0, 3.0)
    assert len(mesh.faces) == 2 * 20 * 20 - 6  # the six triangles around the centre vertex
    assert np.abs(mesh.positions[:, 2]).max() <= 3 * 1.15 + 1e-6
    capped = np.isclose(mesh.positions[:, 2], 3 * 1.15)
    assert capped.any()
    np.testing.assert_allclose(mesh.normals[capped], [[0, 0, 1]] * capped.sum())


def test_8_bit_colours_match_coolwarm():
    t = np.array([0.0, 0.1, 0.5, 0.77, 1.0, np.nan, -3.0, 7.0])
    rgba = coolwarm_rgba8(t)
    assert rgba.dtype == np.uint8 and rgba.shape == (8, 4)
    np.testing.assert_allclose(rgba / 255.0, coolwarm(t), atol=1.5 / 255)


def test_point_report_is_the_two_slices_secant_reports():
    f = compile_expr("sin(sqrt(x^2+y^2))")
    for a, b, da, db in ((1.0, 2.0, 0.5, 0.5), (1.0, 2.0, 1e-17, 1e-9), (0.3, -0.2, 1e-3, -1e-3)):
        report = point_report(f.value_and_grad, a, b, da, db)
        assert report.along_x == secant_report(slice_along_x(f.value_and_grad, b), a, da)
        assert report.along_y == secant_report(slice_along_y(f.value_and_grad, a), b, db)
