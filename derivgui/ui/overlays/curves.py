"""The curves f and f′: sampled for the visible range, not moved by a slider step."""

from __future__ import annotations

import pyqtgraph as pg

from derivgui.ui.overlays.base import Overlay
from derivgui.ui.overlays.items import COLORS


class FunctionCurve(Overlay):
    """f over the visible range (named as the view names it: "f(x)", "f(x, b)" in a slice)."""

    name = "f"
    title = "Curve f"
    short_title = "f"
    in_toolbar = True
    tooltip = "show the curve f(x)"

    def build(self, view) -> None:
        self.curve = self.add(pg.PlotDataItem(name=view.function_label, pen=pg.mkPen(COLORS["f"], width=2.5),
                                              connect="finite"), legend=view.function_label, bounds=True)

    def resampled(self, curve) -> None:
        self.curve.setData(curve.x, curve.f)


class DerivativeCurve(Overlay):
    """f′ from autodiff over the visible range."""

    name = "derivative"
    title = "Derivative f′"
    short_title = "f′"
    in_toolbar = True
    tooltip = "show the derivative f′(x) from autodiff"

    def build(self, view) -> None:
        self.curve = self.add(pg.PlotDataItem(name=view.derivative_label, pen=pg.mkPen(COLORS["derivative"], width=2),
                                              connect="finite"), legend=view.derivative_label, bounds=True)

    def resampled(self, curve) -> None:
        self.curve.setData(curve.x, curve.df)
