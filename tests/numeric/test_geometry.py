"""Framing helpers of the 2D plots."""

from __future__ import annotations

import pytest

from derivgui.numeric.geometry import range_still_fits


@pytest.mark.parametrize(("current", "lo", "hi", "fits"), [
    (None, 0.0, 1.0, False),  # nothing framed yet
    ((0.0, 10.0), 1.0, 9.0, True),
    ((0.0, 10.0), 0.0, 10.0, True),  # touching the edges is inside
    ((0.0, 10.0), -0.1, 9.0, False),  # leaves it below
    ((0.0, 10.0), 1.0, 10.1, False),  # leaves it above
    ((0.0, 10.0), 4.0, 8.9, False),  # fills less than half: too loose
    ((0.0, 10.0), 4.0, 9.0, True),  # exactly half
])
def test_range_still_fits(current, lo, hi, fits):
    assert range_still_fits(current, lo, hi) is fits
