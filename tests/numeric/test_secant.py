"""One meaning of the secant slope (through the points actually evaluated, divided by the step
actually taken) and one count of cancelled digits, everywhere they are shown."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

import derivgui
from derivgui.numeric.geometry import (
    digits_lost_in_difference,
    line_through,
    secant_report,
    secant_slope,
    shared_leading_digits,
)
from derivgui.numeric.steps import step_errors
from derivgui.numeric.surface import point_report, slice_along_x, slice_along_y


@pytest.fixture(scope="module")
def exp():
    return derivgui.compile_expr("exp(x)").value_and_grad


@pytest.fixture(scope="module")
def cube():
    return derivgui.compile_expr("x^3").value_and_grad


def test_exp_at_10_divides_by_the_step_taken(exp):
    a, delta = 10.0, 1e-15
    report = secant_report(exp, a, delta)
    h = (a + delta) - a
    assert h == 2.0 ** -49 and h != delta  # a + Δa is rounded at a's scale: the step is 1.78e-15
    assert report.step == h
    (f_a, f_ah), _ = exp(np.array([a, a + h]))
    assert report.secant_slope == (f_ah - f_a) / h == 20480.0  # not (f_ah - f_a) / Δa = 36379.79
    assert report.problem is None
    assert report.step_is_rounded
    assert report.step_note == "Δa is rounded at a's scale: the step taken is h = 1.7763568394e-15"
    # The drawn secant: through (a, f(a)) with this slope, hence through (a + Δa, f(a + Δa)) too.
    xs, ys = line_through(report.a, report.f_a, report.secant_slope, 9.0, 11.0)
    assert (ys[1] - ys[0]) / (xs[1] - xs[0]) == pytest.approx(20480.0, rel=1e-9)
    assert report.f_a + report.secant_slope * ((a + delta) - a) == report.f_a_delta


def test_error_plot_uses_the_readouts_slope(exp):
    """The forward error at each step is |secant − tangent| of the readout at that Δa."""
    a = 10.0
    errors = step_errors(exp, a)
    for step, forward in zip(errors.steps, errors.forward, strict=True):
        report = secant_report(exp, a, float(step))
        if np.isfinite(forward):
            assert forward == abs(report.difference), step
        else:
            assert report.step == 0.0
    one = step_errors(exp, a, largest=1e-15, smallest=1e-15, count=1)
    assert one.forward[0] == abs(secant_report(exp, a, float(one.steps[0])).difference)
    assert one.forward[0] == pytest.approx(22026.465794806718 - 20480, rel=1e-12)


def test_a_step_that_is_exact_needs_no_note(exp):
    report = secant_report(exp, 1.0, 0.5)
    assert report.step == 0.5 and not report.step_is_rounded and report.step_note == ""
    # Rounded in the last bits only: the 12 digits shown are the same, so no note either.
    report = secant_report(exp, 1.0, 0.1)
    assert report.step != 0.1 and report.step_note == ""


def test_secant_slope_is_through_the_two_points():
    assert secant_slope(1.0, 2.0, 3.0, 6.0) == 2.0
    x = np.array([2.0, 5.0])
    assert np.array_equal(secant_slope(1.0, 1.0, x, x * x), x + 1)


def test_surface_reports_use_the_same_definition(exp):
    f = derivgui.compile_expr("exp(x) * y")
    a, b, da, db = 10.0, 3.0, 1e-15, -1e-15
    report = point_report(f.value_and_grad, a, b, da, db)
    for along, point, delta, one_variable in ((report.along_x, a, da, slice_along_x(f.value_and_grad, b)),
                                              (report.along_y, b, db, slice_along_y(f.value_and_grad, a))):
        assert along.step == (point + delta) - point
        assert along.secant_slope == (along.f_a_delta - along.f_a) / along.step
        assert along == secant_report(one_variable, point, delta)


# -- digits lost and shared ----------------------------------------------------------------------

def test_cube_at_1e5_shares_digits_across_a_power_of_ten(cube):
    report = secant_report(cube, 1e5, -1e-6)
    c = shared_leading_digits(report.f_a, report.f_a_delta)
    # Written at the larger one's exponent the digits line up by place value.
    assert c.f_a_text == "1.0000000000000000e+15"
    assert c.f_a_delta_text == "0.9999999999700001e+15"
    assert c.digits_lost == report.digits_lost == pytest.approx(10.52, abs=0.01)
    assert c.shared == 11  # 1e15 − 999999999970000.1 = 3.0e4: its first 11 places are 0
    assert abs(c.shared - c.digits_lost) < 1


def test_a_carry_across_a_power_of_ten_still_shares_digits():
    c = shared_leading_digits(999999.99999, 1000000.00001)
    assert (c.f_a_text, c.f_a_delta_text) == ("0.9999999999900000e+06", "1.0000000000100000e+06")
    assert c.shared == 11 and abs(c.shared - c.digits_lost) < 1


@pytest.mark.parametrize(("u", "v", "shared"), [
    (1.0, 1.0 + 1e-7, 7),
    (1.0, 2.0, 0),
    (-1.5, 1.5, 0),  # a sum, not a difference: nothing cancels
    (-3.0, -3.0000001, 8),  # -3.0000000|999999998
    (1.0, 1.0 - 2.0 ** -53, 16),  # the closest two floats get: 16, never 17
    (22026.465794806718, 22026.465794806754, 15),  # exp at 10, Δa = 1e-15
    (0.0, 1e-300, 0),
])
def test_shared_digits(u, v, shared):
    c = shared_leading_digits(u, v)
    assert c.shared == shared
    assert not c.equal
    assert c.shared <= 16
    if shared:
        assert abs(c.shared - c.digits_lost) < 1


def test_equal_numbers_share_all_digits_but_count_16():
    c = shared_leading_digits(1.0, 1.0)
    assert c.equal and c.shared == 16 and c.digits_lost == 16.0
    assert not shared_leading_digits(0.0, 0.0).equal


def test_shared_digits_are_the_places_that_cancel_and_agree_with_digits_lost():
    """For many pairs of nearby floats: the count is the place of v − u's leading digit below the
    larger number's, at most 16, within 1 of digits lost, and never below the literal count."""
    rng = np.random.default_rng(7)
    for _ in range(3000):
        u = float(rng.choice([-1, 1]) * 10 ** rng.uniform(-30, 30))
        v = u * (1 + float(rng.choice([-1, 1])) * 10 ** rng.uniform(-16, 0))
        if u == v or not np.isfinite(v):
            continue
        c = shared_leading_digits(u, v)
        lost = digits_lost_in_difference(u, v)
        assert c.digits_lost == lost
        assert 0 <= c.shared <= 16
        if (u > 0) == (v > 0):
            assert abs(c.shared - lost) < 1, (u, v)
            exponent = int(c.f_a_text.split("e")[1])
            assert exponent == int(c.f_a_delta_text.split("e")[1])  # a common exponent
            diff = abs(Decimal(v) - Decimal(u))
            scale = Decimal(10) ** (exponent - c.shared)
            assert scale <= diff < scale * 10  # v − u has its leading digit c.shared places down
            literal = 0
            for cu, cv in zip(c.f_a_text.lstrip("-"), c.f_a_delta_text.lstrip("-"), strict=False):
                if cu != cv:
                    break
                literal += cu.isdigit()
            assert c.shared >= literal


def test_the_problem_sentence_counts_as_digits_lost(exp):
    """When the secant is called noise, the number in its sentence is digits_lost, written once."""
    f = derivgui.compile_expr("x^2").value_and_grad
    noisy = secant_report(f, 1.0, 3e-16)
    assert noisy.problem.startswith(f"{noisy.digits_lost:.1f} of ~16 digits cancelled")
    assert "rounding noise" in noisy.problem
