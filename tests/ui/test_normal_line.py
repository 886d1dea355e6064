"""The normal line at a (``derivgui/ui/overlays/normal_line.py``): one overlay file and its registration."""

from __future__ import annotations

import pytest

from derivgui.numeric.geometry import judged_secant_report
from derivgui.ui.overlays import PLOT2D_OVERLAYS
from derivgui.ui.overlays.menu import OVERLAY_MENU
from derivgui.ui.overlays.normal_line import NormalLine
from derivgui.ui.view2d.plot2d import Plot2DView
from tests.ui.overlay_helpers import BUILT_IN, THREE_D, legend_texts, line_points, shown_view, stacking_order

# -- its registration ------------------------------------------------------------------------


def test_the_normal_line_is_registered_after_the_built_ins(qtbot):
    assert NormalLine in PLOT2D_OVERLAYS[len(BUILT_IN):]
    view = Plot2DView()
    qtbot.addWidget(view)
    names = view.overlays.names()
    assert names[:len(BUILT_IN)] == BUILT_IN and "normal" in names[len(BUILT_IN):]
    assert isinstance(view.overlays["normal"], NormalLine)
    entry = view.overlays.entries()[names.index("normal")]
    name, title, tooltip, default_visible = entry[:4]
    assert (name, title, default_visible) == ("normal", "Normal line", False) and "perpendicular" in tooltip
    with pytest.raises(ValueError, match="name of its own"):
        view.overlays.register(NormalLine(view))


def test_the_window_offers_the_normal_line_in_its_menu_after_the_others():
    names = [entry.name for entry in OVERLAY_MENU]
    assert names[:len(BUILT_IN) + len(THREE_D)] == [*BUILT_IN, *THREE_D] and names[-1] == "normal"
    entry = OVERLAY_MENU[-1]
    assert (entry.title, entry.short_title, entry.default_visible, entry.in_toolbar) == (
        "Normal line", "Normal line", False, False)


def test_the_normal_line_is_shown_by_name_and_other_names_are_ignored(qtbot):
    view = Plot2DView()
    qtbot.addWidget(view)
    view.set_overlays({"plane": False, "gradient": True, "secant": False, "normal": True})
    assert view.overlays.visible("normal") and view.overlays["normal"].line.isVisible()
    assert not view.overlays.visible("secant") and not view.overlays.visible("plane")
    assert "normal" in [overlay.name for overlay in view.overlays.shown()]
    view.set_overlays({name: True for name in BUILT_IN})  # a dict without it leaves it as it was
    assert view.overlays.visible("normal")


def test_the_normal_line_lies_under_the_student_curve(qtbot):
    view = Plot2DView()
    qtbot.addWidget(view)
    order = stacking_order(view, view.overlays["normal"].line)
    assert order == sorted(order)


# -- what it draws ---------------------------------------------------------------------------


def test_the_normal_line_is_hidden_by_default_and_adds_no_legend_entry(qtbot, compiled):
    view = shown_view(qtbot, compiled, "x^2", 1.0)
    legend = legend_texts(view)
    assert not view.overlays.visible("normal") and not view.overlays["normal"].line.isVisible()
    assert view.overlays["normal"] not in view.overlays.fed()
    assert "normal" not in legend and line_points(view, "normal") == []  # never fed while hidden
    view.set_overlay_visible("normal", True)
    assert legend_texts(view) == [*legend, "normal"]
    view.set_overlay_visible("normal", False)
    assert legend_texts(view) == legend


def test_the_normal_line_of_x_squared_at_1_has_slope_minus_one_half(qtbot, compiled):
    view = shown_view(qtbot, compiled, "x^2", 1.0)
    view.set_overlay_visible("normal", True)
    points = line_points(view, "normal")
    assert len(points) == 2 and points[0] != points[1]
    for x, y in points:
        assert y == pytest.approx(1.0 - (x - 1.0) / 2.0)
    # Where the curve's labels and the legend are placed, its line counts as the secant's does.
    assert view.overlays["normal"].segments()


def test_the_normal_line_of_x_squared_at_0_is_vertical(qtbot, compiled):
    view = shown_view(qtbot, compiled, "x^2", 0.0)
    view.set_overlay_visible("normal", True)
    (x0, y0), (x1, y1) = line_points(view, "normal")
    assert x0 == x1 == 0.0 and (y0, y1) == view.visible_y_range()


def test_abs_at_0_has_no_normal_line(qtbot, compiled):
    view = shown_view(qtbot, compiled, "abs(x)", 0.0)
    view.set_overlay_visible("normal", True)
    assert line_points(view, "normal") == []
    view.set_report(judged_secant_report(compiled("abs(x)"), 1.0, 0.5))  # where there is a tangent, slope 1
    (x0, y0), (x1, y1) = line_points(view, "normal")
    assert (y1 - y0) / (x1 - x0) == pytest.approx(-1.0)


def test_the_normal_line_at_a_vertical_tangent_is_horizontal(qtbot, compiled):
    view = shown_view(qtbot, compiled, "cbrt(x)", 0.0)
    assert view._report.verdict.kind == "vertical"
    view.set_overlay_visible("normal", True)
    (x0, y0), (x1, y1) = line_points(view, "normal")
    assert y0 == y1 == 0.0 and (x0, x1) == view.visible_x_range()


def test_a_slice_plot_shows_the_normal_line_without_a_legend_entry(qtbot, compiled):
    view = shown_view(qtbot, compiled, "x^2", 1.0, lines_in_legend=False)
    legend = legend_texts(view)
    view.set_overlays({"normal": True})
    assert legend_texts(view) == legend and len(line_points(view, "normal")) == 2


@pytest.mark.gl
def test_the_surface_page_passes_the_normal_line_to_its_slice_plots(qtbot):
    from derivgui.ui.view3d.page3d import SurfacePage

    page = SurfacePage()
    qtbot.addWidget(page)
    try:
        page.set_overlays({"plane": False, "normal": True, "f": False, "unknown": True})
        assert page.view._overlay_visible == {"plane": False}
        for plot in (page.slice_x, page.slice_y):
            assert plot.overlays.visible("normal") and not plot.overlays.visible("f")
            assert "normal" not in legend_texts(plot)
        page.set_overlays({"secant": False, "tangent": True, "gradient": False, "slices": True, "plane": True,
                           "guides": False, "f": True, "derivative": True})
        assert page.slice_x.overlays.visible("normal")  # not in the dict: left as it was
        names = [entry.name for entry in page.overlay_entries()]
        assert names[:len(BUILT_IN)] == BUILT_IN and names[-len(THREE_D):] == THREE_D and "normal" in names
    finally:
        page.stop_timers()
