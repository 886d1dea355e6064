"""The window tells the truth at kinks, jumps, holes and vertical tangents."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ui.conftest import type_expression


def _at(qtbot, window, text: str, a: float, delta: float = 0.5):
    type_expression(qtbot, window, text)
    window.point.setValue(a)
    window.step.setValue(delta)
    qtbot.waitUntil(lambda: window.plot2d._report is not None and window.plot2d._report.a == a)
    return window.plot2d.tangent.getData()


def test_kink_draws_two_half_tangents_and_says_so(qtbot, window):
    xs, ys = _at(qtbot, window, "abs(x)", 0.0)
    assert window.readouts.tangent.text() == "no derivative: left −1, right 1"
    assert len(xs) == 3 and xs[1] == 0.0 and ys[1] == 0.0
    assert (ys[0] - ys[1]) / (xs[0] - xs[1]) == pytest.approx(-1.0)
    assert (ys[2] - ys[1]) / (xs[2] - xs[1]) == pytest.approx(1.0)


def test_the_derivative_curve_has_no_riser_at_a_kink(qtbot, window):
    _at(qtbot, window, "abs(x)", 1.0)
    curve = window.plot2d.curve
    finite = np.isfinite(curve.df)
    steps = np.abs(np.diff(curve.df[finite]))
    connected = finite[:-1] & finite[1:]
    assert not np.any(np.abs(np.diff(curve.df))[connected] > 1.0)  # no segment joins −1 to 1
    assert steps.max() >= 1.0 - 1e-12  # the jump is still there, just not drawn


def test_jump_draws_no_tangent(qtbot, window):
    xs, _ys = _at(qtbot, window, "floor(x)", 2.0)
    assert window.readouts.tangent.text() == "no derivative: f jumps from 1 to 2"
    assert len(xs) == 0


def test_vertical_tangent_is_a_vertical_line(qtbot, window):
    xs, ys = _at(qtbot, window, "cbrt(x)", 0.0)
    assert window.readouts.tangent.text() == "vertical tangent: no derivative"
    assert list(xs) == [0.0, 0.0] and ys[0] != ys[1]


def test_hole_is_an_open_circle_with_its_limit(qtbot, window):
    xs, _ys = _at(qtbot, window, "(x^2-1)/(x-1)", 1.0)
    assert len(xs) == 0
    hx, hy = window.plot2d.hole.getData()
    assert list(hx) == [1.0] and hy[0] == pytest.approx(2.0, abs=1e-6)
    assert window.readouts.f_a.text() == "undefined"
    assert "f(a) undefined (a hole: the limit is 2)" in window.readouts.problem.text()


def test_tie_of_max_and_min_is_smooth(qtbot, window):
    xs, ys = _at(qtbot, window, "max(x, 1) min(x, 1)", 1.0)
    assert window.readouts.tangent.text() == "1"
    assert (ys[1] - ys[0]) / (xs[1] - xs[0]) == pytest.approx(1.0)


def test_partial_readouts_give_the_verdict_per_axis(qtbot, window):
    type_expression(qtbot, window, "abs(x) + y")
    window.point.setValue(0.0)
    window.point_y.setValue(1.0)
    qtbot.waitUntil(lambda: window.readouts_x.tangent.text() == "no derivative: left −1, right 1")
    assert window.readouts_y.tangent.text() == "1"


def test_every_hole_in_view_is_an_open_circle(qtbot, window):
    _at(qtbot, window, "(x^3-8)/(x^2-4)", 3.0)
    hx, hy = window.plot2d.hole.getData()
    assert list(hx) == [2.0] and hy[0] == pytest.approx(3.0, abs=1e-6)


def test_error_plot_says_there_is_no_tangent_at_a_kink(qtbot, window):
    _at(qtbot, window, "abs(x)", 0.0)
    qtbot.waitUntil(lambda: "No tangent at a" in window.error_plot.note.text(), timeout=5000)
    assert len(window.error_plot.forward.getData()[0] or []) == 0


def test_an_expression_undefined_everywhere_claims_no_derivative(qtbot, window):
    type_expression(qtbot, window, "1/0")
    qtbot.waitUntil(lambda: "undefined everywhere" in window.formula.text(), timeout=20000)
    assert "= 0" not in window.formula.text()


def test_error_plot_does_not_deny_a_vertical_tangent(qtbot, window):
    _at(qtbot, window, "cbrt(x)", 0.0)
    qtbot.waitUntil(lambda: "No finite tangent slope at a" in window.error_plot.note.text(), timeout=5000)
