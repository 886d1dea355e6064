"""What the tests of the 2D view's overlays share: the built-in names, a view on screen, its lines and legend.

The ``compiled`` fixture they take (one compile per text and test module) is in ``tests/ui/conftest.py``.
"""

from __future__ import annotations

import math

from derivgui.numeric.geometry import judged_secant_report
from derivgui.ui.view2d.plot2d import Plot2DView

BUILT_IN = ["f", "derivative", "secant", "tangent", "guides"]
THREE_D = ["gradient", "slices", "plane"]  # the 3D view's own, after the 2D views' (secant, tangent)


def shown_view(qtbot, compiled, text: str, a: float, **kwargs) -> Plot2DView:
    """A Plot2DView on screen showing ``text`` over [-3, 3] × [-3, 3] with the point at ``a``."""
    view = Plot2DView(**kwargs)
    qtbot.addWidget(view)
    view.resize(600, 450)
    view.show()
    qtbot.waitExposed(view)
    function = compiled(text)
    view.set_function(function.value_and_grad, x_range=(-3.0, 3.0))
    view.getPlotItem().getViewBox().setRange(xRange=(-3.0, 3.0), yRange=(-3.0, 3.0), padding=0)
    view.resample()
    view.set_report(judged_secant_report(function, a, 0.5))
    return view


def line_points(view: Plot2DView, name: str) -> list[tuple[float, float]]:
    """The finite points of the line of the overlay ``name`` (its ``line`` item)."""
    x, y = view.overlays[name].line.getData()
    return [(px, py) for px, py in zip(x.tolist(), y.tolist(), strict=True) if math.isfinite(px) and math.isfinite(py)]


def stacking_order(view: Plot2DView, line) -> list[int]:
    """Where ``line`` and the curves, lines and marks around it stand in the view's stacking order.

    Sorted when ``line`` lies over the built-in lines (f, f′, secant, tangent) and under the student
    curve, the guides, the points and the labels.
    """
    stacked = view.getPlotItem().getViewBox().childGroup.childItems()  # (Qt: in stacking order)
    return [stacked.index(item) for item in (view.f_curve, view.df_curve, view.secant, view.tangent, line,
                                             view.mine_curve, view.guides, view.points, view.labels["fa"])]


def legend_texts(view: Plot2DView) -> list[str]:
    return [label.text for _sample, label in view.legend.items]
