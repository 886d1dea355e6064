"""The lines at the point: the secant, the tangent and the notebook's dashed guides."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PyQt5.QtCore import Qt

from derivgui.numeric.geometry import SecantReport, line_through
from derivgui.ui.overlays.base import Z_MARKS, Overlay, ViewRange
from derivgui.ui.overlays.items import COLORS, Segments


class Secant(Overlay):
    """The secant through (a, f(a)) and (a + Δa, f(a + Δa)), across the view."""

    name = "secant"
    title = "Secant"
    short_title = "secant"
    in_toolbar = True
    tooltip = "show the secant through (a, f(a)) and (a + Δa, f(a + Δa))"

    def build(self, view) -> None:
        # Within pyqtgraph's auto-range, as a curve; named in the legend of a view with lines_in_legend.
        self.line = self.add(Segments(pg.mkPen(COLORS["secant"], width=2), name="secant"),
                             legend="secant" if view.lines_in_legend else None, bounds=True)

    def update(self, report: SecantReport, view_range: ViewRange) -> None:
        (x0, x1), _y = view_range
        self.line.setData(*line_through(report.a, report.f_a, report.secant_slope, x0, x1))


class Tangent(Overlay):
    """The tangent at a, or what stands for it where f′(a) does not exist (``tangent_lines``)."""

    name = "tangent"
    title = "Tangent"
    short_title = "tangent"
    in_toolbar = True
    tooltip = "show the tangent at a, slope f′(a)"

    def build(self, view) -> None:
        self.line = self.add(Segments(pg.mkPen(COLORS["tangent"], width=2, style=Qt.DashLine), name="tangent"),
                             legend="tangent" if view.lines_in_legend else None, bounds=True)

    def update(self, report: SecantReport, view_range: ViewRange) -> None:
        (x0, x1), y_range = view_range
        self.line.setData(*tangent_lines(report, x0, x1, y_range))


class Guides(Overlay):
    """The notebook's dashed guides: from each point down to the x axis and across to the y axis.

    The view shows the labels of a, a + Δa, f(a) and f(a + Δa) with them (``Plot2DView._place_overlays``).
    """

    name = "guides"
    title = "Guides"
    short_title = "guides"
    in_toolbar = True
    tooltip = "show the dashed guides and the a, f(a) labels"
    z = Z_MARKS

    def build(self, view) -> None:
        self.line = self.add(Segments(pg.mkPen(COLORS["guide"], width=1.2, style=Qt.DashLine), connect="pairs"))

    def update(self, report: SecantReport, view_range: ViewRange) -> None:
        a, ad, fa, fad = report.a, report.a + report.delta, report.f_a, report.f_a_delta
        self.line.setData([a, a, ad, ad, 0.0, a, 0.0, ad], [0.0, fa, 0.0, fad, fa, fa, fad, fad])


def tangent_lines(report: SecantReport, x0: float, x1: float,
                  y_range: tuple[float, float]) -> tuple[list[float], list[float]]:
    """What the tangent overlay draws across [x0, x1] for the verdict at a.

    Smooth: the tangent line. A kink: the two one-sided tangent half-lines meeting at (a, f(a)),
    each vertical where its slope is infinite (a cusp). A vertical tangent: the line x = a. A jump,
    a hole or an undefined point: nothing, since there is no tangent to draw.
    """
    verdict = report.verdict
    a, fa = report.a, report.f_a
    if verdict is None or verdict.exists:
        xs, ys = line_through(a, fa, report.tangent_slope, x0, x1)
        return list(xs), list(ys)
    y0, y1 = y_range
    if verdict.kind == "vertical":
        return [a, a], [y0, y1]
    if verdict.kind != "kink":
        return [], []

    def end(slope: float, x_end: float, side: float) -> tuple[float, float]:
        if math.isinf(slope):  # going away from a on this side, f rises where the slope's sign says
            rises = (slope > 0) == (side > 0)
            return a, (y1 if rises else y0)
        return x_end, fa + slope * (x_end - a)

    left, right = end(verdict.left, x0, -1.0), end(verdict.right, x1, 1.0)
    return [left[0], a, right[0]], [left[1], fa, right[1]]
