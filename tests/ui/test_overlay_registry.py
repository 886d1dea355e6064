"""Overlays registered by name: the registry, the window's actions for them, and the 2D view's use of it.

Written against whatever ``PLOT2D_OVERLAYS`` registers: the built-in overlays come first, and an
overlay added to it (one file and one registration) needs no change here. Where a test needs an
overlay hidden by default, or one registered besides the built-ins, it registers ``Probe``, an
overlay of its own.
"""

from __future__ import annotations

import pyqtgraph as pg
import pytest

import derivgui.ui.overlays.menu as menu_module
import derivgui.ui.view2d.plot2d as plot2d_module
from derivgui.numeric.geometry import SecantReport, judged_secant_report
from derivgui.ui.overlays import PLOT2D_OVERLAYS, Overlay, OverlayRegistry
from derivgui.ui.overlays.base import Z_LINES, Z_MARKS, ViewRange
from derivgui.ui.overlays.items import Segments
from derivgui.ui.overlays.lines import Secant
from derivgui.ui.overlays.menu import OVERLAY_MENU, THREE_D_ONLY, overlay_menu
from derivgui.ui.overlays.surface import SURFACE_OVERLAYS
from derivgui.ui.view2d.plot2d import Plot2DView
from tests.ui.overlay_helpers import BUILT_IN, THREE_D, legend_texts, line_points, shown_view, stacking_order

REGISTERED = [overlay.name for overlay in PLOT2D_OVERLAYS]
EXTRA = REGISTERED[len(BUILT_IN):]  # registered after the built-ins (none, or more)


class Probe(Overlay):
    """A test's own overlay, hidden by default: the line y = f(a) across the view, counting its updates."""

    name = "probe"
    title = "Probe line"
    tooltip = "a test's overlay: the line y = f(a)"
    default_visible = False
    legend_when_hidden = False

    def build(self, view) -> None:
        self.updates = 0
        self.line = self.add(Segments(pg.mkPen("#777777", width=2), name="probe"),
                             legend="probe" if view.lines_in_legend else None)

    def update(self, report: SecantReport, view_range: ViewRange) -> None:
        self.updates += 1
        (x0, x1), _y = view_range
        self.line.setData([x0, x1], [report.f_a, report.f_a])


class ToolbarProbe(Probe):
    """A registered overlay that asks for the menu bar's row."""

    name = "toolbar_probe"
    title = "Toolbar probe"
    short_title = "probe"
    in_toolbar = True


@pytest.fixture
def probe_registered(monkeypatch):
    """``Probe`` registered after the others, as its line in ``PLOT2D_OVERLAYS`` would register it."""
    monkeypatch.setattr(plot2d_module, "PLOT2D_OVERLAYS", (*PLOT2D_OVERLAYS, Probe))
    monkeypatch.setattr(menu_module, "PLOT2D_OVERLAYS", (*PLOT2D_OVERLAYS, Probe))


def defaults(view: Plot2DView) -> dict[str, bool]:
    return {overlay.name: overlay.default_visible for overlay in view.overlays}


# -- the registry ------------------------------------------------------------------------------


def test_every_2d_view_registers_the_overlays_by_name_in_order(qtbot):
    view = Plot2DView()
    qtbot.addWidget(view)
    assert view.overlays.names() == REGISTERED and REGISTERED[:len(BUILT_IN)] == BUILT_IN
    assert len(set(REGISTERED)) == len(REGISTERED) == len(view.overlays)
    assert [type(overlay) for overlay in view.overlays] == list(PLOT2D_OVERLAYS)
    entries = view.overlays.entries()
    assert entries == [overlay.entry() for overlay in PLOT2D_OVERLAYS]
    assert [(e.name, e.default_visible) for e in entries[:len(BUILT_IN)]] == [(name, True) for name in BUILT_IN]
    for entry in entries:  # each has what its action needs
        assert entry.name and entry.title and entry.tooltip and entry.short_title
    # Each is shown or hidden as it says by default.
    assert [view.overlays.visible(name) for name in REGISTERED] == [e.default_visible for e in entries]
    for overlay in view.overlays:
        assert overlay.items and all(item.isVisible() == overlay.default_visible for item in overlay.items)
    # The items the rest of the code knows by their old names are the overlays' items.
    assert view.secant is view.overlays["secant"].line and view.f_curve is view.overlays["f"].curve
    assert view.guides is view.overlays["guides"].line and view.df_curve is view.overlays["derivative"].curve
    assert view.tangent is view.overlays["tangent"].line


def test_a_registered_overlay_class_is_made_by_every_2d_view(qtbot, probe_registered):
    view = Plot2DView()
    qtbot.addWidget(view)
    assert view.overlays.names() == [*REGISTERED, "probe"] and isinstance(view.overlays["probe"], Probe)
    assert view.overlays.entries()[-1] == ("probe", "Probe line", Probe.tooltip, False, "Probe line", False)
    assert not view.overlays.visible("probe") and not view.overlays["probe"].line.isVisible()


def test_registry_keeps_names_unique_and_ignores_unknown_ones_in_a_mapping(qtbot):
    view = Plot2DView()
    qtbot.addWidget(view)
    with pytest.raises(ValueError, match="name of its own"):
        view.overlays.register(Secant(view))

    class Nameless(Probe):
        name = ""

    with pytest.raises(ValueError, match="name of its own"):
        view.overlays.register(Nameless(view))
    assert view.overlays.names() == REGISTERED
    view.overlays.register(Probe(view))
    with pytest.raises(KeyError):
        view.overlays.set_visible("plane", False)
    # The window passes the model's whole dict: the 3D view's names mean nothing here.
    view.set_overlays({"plane": False, "gradient": True, "secant": False, "probe": True, "unknown": True})
    assert not view.overlays.visible("secant") and not view.secant.isVisible()
    assert view.overlays.visible("probe") and not view.overlays.visible("plane")
    assert "plane" not in view.overlays and "unknown" not in view.overlays
    # A name the dict lacks stays as it was (here: at its default).
    expected = [name for name, shown in defaults(view).items() if name == "probe" or (shown and name != "secant")]
    assert [overlay.name for overlay in view.overlays.shown()] == expected
    assert expected[:4] == ["f", "derivative", "tangent", "guides"] and expected[-1] == "probe"


def test_a_registry_of_its_own_overlay_classes():
    class Dummy(Overlay):
        name = "dummy"
        title = "Dummy"

        def build(self, view) -> None:
            pass

    registry = OverlayRegistry([Dummy(None)])
    assert registry.names() == ["dummy"] and registry.visible("dummy") and "dummy" in registry
    assert registry.set_visible("dummy", False) and not registry.visible("dummy")
    assert not registry.set_visible("dummy", False)  # nothing changed
    assert registry.fed() == ()  # (no update: it does not follow the point)
    assert not registry.visible("nothing")


# -- the window's actions ----------------------------------------------------------------------


def test_the_window_offers_one_action_per_overlay_name():
    names = [entry.name for entry in OVERLAY_MENU]
    extra = list(PLOT2D_OVERLAYS[len(BUILT_IN):])
    # The menu bar's row first (the built-ins, then the 3D view's own), then the menu's only.
    assert names == [*BUILT_IN, *(cls.name for cls in extra if cls.in_toolbar), *THREE_D,
                     *(cls.name for cls in extra if not cls.in_toolbar)]
    assert len(set(names)) == len(names) and set(names) == {*REGISTERED, *THREE_D}
    assert THREE_D_ONLY == tuple(THREE_D)
    short = {entry.name: entry.short_title for entry in OVERLAY_MENU}
    assert {name: short[name] for name in [*BUILT_IN, *THREE_D]} == {
        "f": "f", "derivative": "f′", "secant": "secant", "tangent": "tangent", "guides": "guides",
        "gradient": "∇f", "slices": "slices", "plane": "plane"}
    for cls in extra:
        assert short[cls.name] == (cls.short_title or cls.title)
    assert [entry.name for entry in OVERLAY_MENU if not entry.in_toolbar] == [cls.name for cls in extra
                                                                             if not cls.in_toolbar]
    # The 2D views' entry wins for a name the 3D view draws too.
    by_name = {entry.name: entry for entry in OVERLAY_MENU}
    assert by_name["secant"] == Secant.entry() and by_name["plane"] == SURFACE_OVERLAYS[-1]


def test_a_registered_overlay_gets_an_action_after_the_built_ins(monkeypatch):
    monkeypatch.setattr(menu_module, "PLOT2D_OVERLAYS", (*PLOT2D_OVERLAYS, ToolbarProbe, Probe))
    menu = overlay_menu()
    names = [entry.name for entry in menu]
    row = [entry.name for entry in menu if entry.in_toolbar]
    # In the menu bar's row after the 2D views' (keeping the built-ins' Ctrl+1… shortcuts), or in the menu only.
    assert row == [*BUILT_IN, *(cls.name for cls in PLOT2D_OVERLAYS[len(BUILT_IN):] if cls.in_toolbar),
                   "toolbar_probe", *THREE_D]
    assert names[:len(row)] == row and names[-1] == "probe"
    entry = {entry.name: entry for entry in menu}
    assert entry["probe"] == ("probe", "Probe line", Probe.tooltip, False, "Probe line", False)
    assert entry["toolbar_probe"].short_title == "probe" and not entry["toolbar_probe"].default_visible
    assert [e.name for e in OVERLAY_MENU] == [e.name for e in menu if "probe" not in e.name]  # (computed at import)


# -- the 2D view ------------------------------------------------------------------------------


def test_set_overlays_shows_and_hides_by_name_and_leaves_the_others(qtbot, compiled):
    view = shown_view(qtbot, compiled, "x^2", 1.0)
    view.set_overlays(dict(zip(BUILT_IN, (True, False, True, False, False), strict=True)))
    assert [view.overlays.visible(name) for name in BUILT_IN] == [True, False, True, False, False]
    assert not view.df_curve.isVisible() and not view.tangent.isVisible() and not view.guides.isVisible()
    assert not view.labels["a"].isVisible()  # the guides' labels go with them
    assert [view.overlays.visible(name) for name in EXTRA] == [defaults(view)[name] for name in EXTRA]


def test_a_hidden_overlay_is_not_fed_and_catches_up_when_shown(qtbot, compiled):
    view = shown_view(qtbot, compiled, "x^2", 1.0)
    view.set_overlays({"secant": False})
    before = view.secant.getData()[0].tolist()
    view.set_report(judged_secant_report(compiled("x^2"), -2.0, 0.5))
    assert view.secant.getData()[0].tolist() == before  # left alone while hidden
    assert view.overlays["secant"] not in view.overlays.fed()
    view.set_overlays({"secant": True})
    x, y = view.secant.getData()
    assert y[0] + (y[1] - y[0]) / (x[1] - x[0]) * (-2.0 - x[0]) == pytest.approx(4.0)  # through (−2, f(−2))


def test_an_overlay_hidden_by_default_is_not_fed_and_adds_no_legend_entry(qtbot, compiled, probe_registered):
    view = shown_view(qtbot, compiled, "x^2", 1.0)
    probe = view.overlays["probe"]
    legend = legend_texts(view)
    assert not view.overlays.visible("probe") and not probe.line.isVisible()
    assert "probe" not in legend and probe not in view.overlays.fed()
    assert probe.updates == 0 and line_points(view, "probe") == [] and probe.segments() == []  # never fed while hidden
    view.set_overlays({"secant": False})  # another overlay: this one stays hidden
    assert not view.overlays.visible("probe") and probe.updates == 0
    view.set_overlay_visible("probe", True)
    assert probe in view.overlays.fed() and probe.updates == 1
    assert legend_texts(view) == [*legend, "probe"]
    assert line_points(view, "probe") == [(-3.0, 1.0), (3.0, 1.0)]  # caught up with the point
    # Where the labels and the legend are placed, its line counts as the secant's does.
    assert len(probe.segments()) == 1
    view.set_report(judged_secant_report(compiled("x^2"), 2.0, 0.5))
    assert probe.updates == 2 and line_points(view, "probe") == [(-3.0, 4.0), (3.0, 4.0)]
    view.set_overlay_visible("probe", False)
    assert legend_texts(view) == legend and probe.segments() == []
    view.set_report(judged_secant_report(compiled("x^2"), 1.0, 0.5))
    assert probe.updates == 2  # not fed again while hidden


def test_a_slice_plot_shows_an_overlay_without_a_legend_entry(qtbot, compiled, probe_registered):
    view = shown_view(qtbot, compiled, "x^2", 1.0, lines_in_legend=False)
    legend = legend_texts(view)
    assert all(text not in legend for text in ("secant", "tangent"))
    view.set_overlays({"probe": True})
    assert legend_texts(view) == legend and len(line_points(view, "probe")) == 2


def test_the_student_curve_lies_over_the_lines_and_under_the_guides_and_points(qtbot):
    view = Plot2DView()
    qtbot.addWidget(view)
    lines = [item for overlay in view.overlays if overlay.z == Z_LINES for item in overlay.items]
    marks = [item for overlay in view.overlays if overlay.z == Z_MARKS for item in overlay.items]
    assert lines[:4] == [view.f_curve, view.df_curve, view.secant, view.tangent] and marks[0] is view.guides
    assert len(lines) + len(marks) == sum(len(overlay.items) for overlay in view.overlays)
    stacked = view.getPlotItem().getViewBox().childGroup.childItems()  # (Qt: in stacking order)
    order = [stacked.index(item) for item in (*lines, view.mine_curve, *marks, view.points, view.labels["fa"])]
    assert order == sorted(order)


def test_a_registered_overlay_lies_under_the_student_curve(qtbot, probe_registered):
    view = Plot2DView()
    qtbot.addWidget(view)
    order = stacking_order(view, view.overlays["probe"].line)
    assert order == sorted(order)


def test_a_legend_sample_clicked_toggles_its_overlay(qtbot, compiled):
    view = shown_view(qtbot, compiled, "x^2", 1.0)
    toggled = []
    view.overlay_toggled.connect(lambda name, on: toggled.append((name, on)))
    view.tangent.setVisible(False)  # what pyqtgraph's legend sample does on a click
    view.legend.sigSampleClicked.emit(view.tangent)
    assert toggled == [("tangent", False)] and not view.overlays.visible("tangent")
    view.tangent.setVisible(True)
    view.set_report(judged_secant_report(compiled("x^2"), 2.0, 0.5))  # moved while hidden...
    view.legend.sigSampleClicked.emit(view.tangent)
    x, y = view.tangent.getData()
    assert (y[1] - y[0]) / (x[1] - x[0]) == pytest.approx(4.0)  # ...and shown where the point is now
    assert toggled == [("tangent", False), ("tangent", True)]


def test_a_legend_sample_clicked_hides_an_overlay_and_its_entry(qtbot, compiled, probe_registered):
    view = shown_view(qtbot, compiled, "x^2", 1.0)
    legend = legend_texts(view)
    view.set_overlay_visible("probe", True)
    toggled = []
    view.overlay_toggled.connect(lambda name, on: toggled.append((name, on)))
    probe = view.overlays["probe"]
    probe.line.setVisible(False)
    view.legend.sigSampleClicked.emit(probe.line)
    assert toggled == [("probe", False)] and not view.overlays.visible("probe")
    assert legend_texts(view) == legend  # (it has no entry while hidden)


@pytest.mark.gl
def test_the_surface_page_passes_names_to_its_views(qtbot, probe_registered):
    from derivgui.ui.view3d.page3d import SurfacePage

    page = SurfacePage()
    qtbot.addWidget(page)
    try:
        for plot in (page.slice_x, page.slice_y):  # (2D views: each makes every registered overlay)
            assert plot.overlays.names() == [*REGISTERED, "probe"] and not plot.overlays.visible("probe")
        page.set_overlays({"plane": False, "probe": True, "f": False, "unknown": True})
        assert page.view._overlay_visible == {"plane": False}
        for plot in (page.slice_x, page.slice_y):
            assert plot.overlays.visible("probe") and not plot.overlays.visible("f")
            assert "probe" not in legend_texts(plot)  # the slice plots name the curves only
        page.set_overlays({"secant": False, "tangent": True, "gradient": False, "slices": True, "plane": True,
                           "guides": False, "f": True, "derivative": True})
        assert page.view._overlay_visible["secant"] is False and page.view._overlay_visible["gradient"] is False
        assert not page.slice_x.overlays.visible("guides") and page.slice_y.overlays.visible("f")
        assert page.slice_x.overlays.visible("probe")  # not in the dict: left as it was
        assert [entry.name for entry in page.overlay_entries()] == [*REGISTERED, "probe", *THREE_D]
    finally:
        page.stop_timers()
