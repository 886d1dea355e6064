"""The normal line at a: through (a, f(a)), perpendicular to the tangent."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PyQt5.QtCore import Qt

from derivgui.numeric.geometry import SecantReport
from derivgui.ui.overlays.base import Overlay, ViewRange
from derivgui.ui.overlays.items import Segments

COLOR = "#8c564b"


class NormalLine(Overlay):
    """The line through (a, f(a)) perpendicular to the tangent in data coordinates: slope −1/f′(a).

    Where f′(a) = 0 it is the vertical line x = a; where the tangent is vertical, the horizontal
    line y = f(a); where there is no tangent (a kink, a jump, a hole, f(a) undefined) there is
    no normal either, and nothing is drawn.
    """

    name = "normal"
    title = "Normal line"
    tooltip = "show the normal line at a: through (a, f(a)), perpendicular to the tangent (slope −1/f′(a))"
    default_visible = False
    legend_when_hidden = False  # the legend grows only while it shows

    def build(self, view) -> None:
        self.line = self.add(Segments(pg.mkPen(COLOR, width=2, style=Qt.DashDotLine), name="normal"),
                             legend="normal" if view.lines_in_legend else None)

    def update(self, report: SecantReport, view_range: ViewRange) -> None:
        self.line.setData(*normal_line(report, *view_range))


def normal_line(report: SecantReport, x_range: tuple[float, float],
                y_range: tuple[float, float]) -> tuple[list[float], list[float]]:
    """The normal's end points across the view ([], [] where there is none).

    A steep normal (|f′(a)| small) is cut by the view's top and bottom, x = a − f′(a)·(y − f(a)),
    so that a slope near 0 gives a line near x = a rather than ends at ±inf.
    """
    verdict = report.verdict
    a, fa, slope = report.a, report.f_a, report.tangent_slope
    (x0, x1), (y0, y1) = x_range, y_range
    if not math.isfinite(fa):
        return [], []
    if verdict is not None and verdict.kind == "vertical":
        return [x0, x1], [fa, fa]
    if (verdict is not None and not verdict.exists) or not math.isfinite(slope):
        return [], []
    if abs(slope) * (y1 - y0) <= (x1 - x0):  # steeper than the view's diagonal
        return [a - slope * (y0 - fa), a - slope * (y1 - fa)], [y0, y1]
    return [x0, x1], [fa - (x0 - a) / slope, fa - (x1 - a) / slope]
