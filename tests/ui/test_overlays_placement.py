"""Nothing important is covered or clipped, and what is undefined or out of range is said, not drawn as valid.

Legends sit where the point and its labels are not; the guide labels stay beside their points and
inside the view; f(a) undefined is a hollow marker on the x axis with words; in 3D the height
axis's labels stay off the surface, a small gradient's arrow is long enough to see (its scale in
the readout), and a point off the surface's range is said to be.
"""

from __future__ import annotations

import numpy as np
import pytest
from PyQt5.QtCore import QPointF, QRectF
from PyQt5.QtGui import QFontMetricsF, QImage, QPainterPath, QPolygonF, QVector4D

from derivgui.model.lessons import load_lessons
from tests.ui.conftest import type_expression
from tests.ui.test_lesson_screens import settle
from tests.ui.test_lessons import load


def view_rect(plot) -> QRectF:
    """The plot area (view box) in scene coordinates."""
    return plot.getPlotItem().getViewBox().sceneBoundingRect()


def scene_point(plot, x: float, y: float) -> QPointF:
    return plot.getPlotItem().getViewBox().mapViewToScene(QPointF(x, y))


def shown_labels(plot) -> dict[str, QRectF]:
    return {key: label.sceneBoundingRect() for key, label in plot.labels.items() if label.isVisible()}


def area(rect: QRectF) -> float:
    return 0.0 if rect.isEmpty() else rect.width() * rect.height()


def assert_labels_apart_and_inside(plot) -> None:
    labels = shown_labels(plot)
    inside = view_rect(plot).adjusted(-1, -1, 1, 1)
    for key, rect in labels.items():
        assert inside.contains(rect), f"{plot.objectName()}: the label {key!r} leaves the view"
    keys = sorted(labels)
    for i, first in enumerate(keys):
        for second in keys[i + 1:]:
            assert area(labels[first] & labels[second]) < 4, f"{first!r} and {second!r} overlap"


LESSONS_3D = [lesson for lesson in load_lessons() if lesson.two_variables]


@pytest.mark.gl
@pytest.mark.parametrize("lesson", LESSONS_3D, ids=lambda lesson: lesson.id)
def test_slice_legends_keep_clear_of_the_point_and_its_labels(qtbot, window, lesson):
    load(qtbot, window, lesson.id)
    settle(qtbot, window, lesson)
    page = window.page3d
    for plot in (page.slice_x, page.slice_y):
        report = plot._report
        legend = plot.legend.sceneBoundingRect()
        at = scene_point(plot, report.a, report.f_a)
        assert view_rect(plot).contains(at)
        assert not legend.adjusted(-8, -8, 8, 8).contains(at), f"{plot.objectName()}: the legend covers the point"
        for key, rect in shown_labels(plot).items():
            assert area(legend & rect) == 0, f"{plot.objectName()}: the legend covers the label {key!r}"
        assert_labels_apart_and_inside(plot)


@pytest.mark.gl
def test_slice_labels_name_both_coordinates(qtbot, window):
    type_expression(qtbot, window, "x^2*y + y")
    window.point.setValue(1.0)
    window.point_y.setValue(2.0)
    window.step.setValue(3.0)
    window.step_y.setValue(4.0)
    page = window.page3d
    qtbot.waitUntil(lambda: not page._framing and not page._jobs, timeout=10000)
    slice_x, slice_y = page.slice_x, page.slice_y
    assert [slice_x.labels[k].toPlainText() for k in ("fa", "fa+da")] == ["f(a, b)", "f(a + Δa, b)"]
    assert [slice_y.labels[k].toPlainText() for k in ("fa", "fa+da")] == ["f(a, b)", "f(a, b + Δb)"]
    for plot in (slice_x, slice_y):
        qtbot.waitUntil(lambda plot=plot: plot._report is not None and plot.labels["fa+da"].isVisible(),
                        timeout=5000)
        assert plot.labels["fa"].isVisible()
        assert_labels_apart_and_inside(plot)


def test_guide_labels_stay_beside_their_points_and_in_view(qtbot, window):
    lesson = load(qtbot, window, "what-is-a-derivative")  # x from 0 to 100
    settle(qtbot, window, lesson)
    plot = window.plot2d
    report = plot._report
    for key, (x, y) in (("fa", (report.a, report.f_a)), ("fa+da", (report.a + report.delta, report.f_a_delta))):
        label = plot.labels[key]
        assert label.isVisible(), key
        rect, at = label.sceneBoundingRect(), scene_point(plot, x, y)
        # beside its point: a corner of the label within a few pixels of it
        gap = min(abs(rect.left() - at.x()), abs(rect.right() - at.x())) + min(abs(rect.top() - at.y()),
                                                                                abs(rect.bottom() - at.y()))
        assert gap < 25, f"{key} is {gap:.0f} px from its point"
    assert plot.labels["a"].isVisible()
    assert_labels_apart_and_inside(plot)
    # The y axis off the view (x from 50 to 100): the labels stay, beside their points.
    plot.getPlotItem().getViewBox().setRange(xRange=(50, 100), padding=0)
    qtbot.waitUntil(lambda: plot.visible_x_range()[0] == pytest.approx(50), timeout=2000)
    qtbot.wait(50)
    assert plot.labels["fa"].isVisible() and plot.labels["fa+da"].isVisible()
    assert_labels_apart_and_inside(plot)
    # The legend covers neither the points nor their labels.
    legend = plot.legend.sceneBoundingRect()
    for rect in shown_labels(plot).values():
        assert area(legend & rect) == 0
    assert not legend.contains(scene_point(plot, report.a, report.f_a))


def test_a_point_off_the_view_takes_its_labels_with_it(qtbot, window):
    type_expression(qtbot, window, "x^2")
    window.point.setValue(1.0)
    window.step.setValue(0.5)
    plot = window.plot2d
    plot.getPlotItem().getViewBox().setRange(xRange=(3, 6), padding=0)
    qtbot.waitUntil(lambda: plot.visible_x_range()[0] == pytest.approx(3), timeout=2000)
    qtbot.wait(50)
    assert not any(plot.labels[key].isVisible() for key in ("a", "a+da", "fa", "fa+da"))


def hollow_at(plot, x: float, y: float) -> bool:
    """The pixels just inside the marker's ring are the background's, not a fill."""
    image = plot.grab().toImage().convertToFormat(QImage.Format_RGB32)
    centre = plot.mapFromScene(scene_point(plot, x, y))
    ratio = plot.devicePixelRatioF()
    for dx, dy in ((0, -3), (0, 3), (-3, -2), (3, 2)):  # off the x axis's line through the centre
        colour = image.pixelColor(round((centre.x() + dx) * ratio), round((centre.y() + dy) * ratio))
        if min(colour.red(), colour.green(), colour.blue()) < 200:
            return False
    return True


def test_undefined_f_a_is_a_hollow_marker_on_the_axis_with_words(qtbot, window):
    type_expression(qtbot, window, "log(x)")
    window.point.setValue(-0.2)
    window.step.setValue(0.1)
    plot = window.plot2d
    qtbot.waitUntil(lambda: plot._report is not None and plot._report.a == -0.2, timeout=5000)
    qtbot.wait(50)
    x, y = plot.undefined_marker.getData()
    assert list(x) == [-0.2] and list(y) == [0.0]  # on the x axis
    assert plot.undefined_marker.opts["brush"].color().alpha() == 0  # hollow
    assert hollow_at(plot, -0.2, 0.0)
    label = plot.labels["undefined"]
    assert label.isVisible() and label.toPlainText() == "f(a) undefined"
    assert view_rect(plot).contains(label.sceneBoundingRect())
    # No filled point at (a, 0), nor the handle's target there.
    px, py = plot.points.getData()
    assert not any(xi == -0.2 and np.isfinite(yi) for xi, yi in zip(px, py, strict=True))
    assert plot.handle.pen.color().alpha() == 0
    assert not plot.labels["fa"].isVisible()
    # Back where f is defined: the point, its handle and its label, and no marker.
    window.point.setValue(1.5)
    qtbot.waitUntil(lambda: plot._report.a == 1.5, timeout=5000)
    assert len(plot.undefined_marker.getData()[0]) == 0 and not label.isVisible()
    assert plot.handle.pen.color().alpha() == 255 and plot.labels["fa"].isVisible()


def test_a_hole_is_still_an_open_circle_at_its_limit(qtbot, window):
    type_expression(qtbot, window, "(x^2-1)/(x-1)")
    window.point.setValue(1.0)
    plot = window.plot2d
    qtbot.waitUntil(lambda: plot._report is not None and plot._report.a == 1.0, timeout=5000)
    hx, hy = plot.hole.getData()
    assert list(hx) == [1.0] and hy[0] == pytest.approx(2.0, abs=1e-6)
    assert len(plot.undefined_marker.getData()[0]) == 0 and not plot.labels["undefined"].isVisible()
    assert plot.handle.pos().y() == pytest.approx(2.0, abs=1e-6)


def test_error_plot_legend_is_above_the_plot_and_the_step_label_inside(qtbot, window):
    type_expression(qtbot, window, "sin(x)")
    window.point.setValue(1.0)
    error_plot = window.error_plot
    plot = error_plot.plot
    for delta, text in ((1e-4, "current Δa"), (1.0, "current Δa"), (15.0, "current Δa →")):
        window.step.setValue(delta)
        qtbot.waitUntil(lambda delta=delta: error_plot.current.value() == pytest.approx(np.log10(delta))
                        and error_plot.errors is not None and error_plot.errors.tangent_slope == pytest.approx(
                            np.cos(1.0)), timeout=5000)
        qtbot.wait(50)
        marker = error_plot.current
        assert marker._label.toPlainText() == text
        view = marker.viewRect()
        to_device = marker.deviceTransform(plot.viewportTransform())
        _line, top_left, size = marker._geometry(to_device)
        label = size.translated(top_left)
        area_px = to_device.mapRect(view)
        assert area_px.adjusted(-1, -1, 1, 1).contains(label), f"Δa = {delta}: the label leaves the plot"
        legend = plot.mapFromScene(error_plot.legend.sceneBoundingRect()).boundingRect()
        assert not legend.intersects(label.toAlignedRect()), f"Δa = {delta}: the legend covers the label"
        if error_plot.errors is not None and delta <= 1:  # the label lies off the curves
            for curve in (error_plot.forward, error_plot.central):
                xs, ys = curve.getData()
                finite = np.isfinite(ys)
                under = [label.contains(to_device.map(QPointF(x, y))) for x, y in zip(xs[finite], ys[finite],
                                                                                      strict=True)]
                assert not any(under), f"Δa = {delta}: the step's label covers a curve"
    qtbot.waitUntil(lambda: "best forward step" in error_plot.best_label.toPlainText(), timeout=5000)
    legend = error_plot.legend.sceneBoundingRect()
    assert area(legend & view_rect(plot)) == 0  # above the plot area, covering no curve
    assert any(label is error_plot.best_label for _sample, label in error_plot.legend.items)


# -- 3D ---------------------------------------------------------------------------------------


def project(view, points) -> np.ndarray:
    """Scene points → the view's pixels (x right, y down)."""
    width, height = view.width(), view.height()
    region = (0, 0, width, height)
    matrix = view.projectionMatrix(region, region) * view.viewMatrix()
    out = []
    for p in points:
        v = matrix.map(QVector4D(float(p[0]), float(p[1]), float(p[2]), 1.0))
        out.append(((v.x() / v.w() + 1) / 2 * width, (1 - v.y() / v.w()) / 2 * height))
    return np.array(out)


@pytest.mark.gl
@pytest.mark.parametrize("azimuth", [-60.0, 30.0, 135.0, 210.0])
def test_height_labels_stand_left_of_the_box(qtbot, window, azimuth):
    from derivgui.ui.view3d.plot3d import HALF_XY, HALF_Z

    type_expression(qtbot, window, "x^2*y + y")
    view = window.plot3d
    view.setCameraPosition(azimuth=azimuth)
    qtbot.wait(100)
    labels = view.tick_labels
    corners = [(sx * HALF_XY, sy * HALF_XY, sz * HALF_Z) for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)]
    outline = QPainterPath()
    outline.addPolygon(QPolygonF([QPointF(*p) for p in convex_hull(project(view, corners))]))
    outline.closeSubpath()
    right_aligned = [label for label in labels if label.align == "right"]
    assert len(right_aligned) >= 3  # the height ticks and the axis title
    for label, at in zip(right_aligned, project(view, [label.pos for label in right_aligned]), strict=True):
        rect = label.text_rect(QPointF(*at), QFontMetricsF(label.font)).adjusted(1, 1, -1, -1)
        # outside the box's outline on the screen: the surface, inside the box, is never behind them
        assert not outline.intersects(rect), f"{label.text!r} is drawn over the box"


def convex_hull(points: np.ndarray) -> list[tuple[float, float]]:
    """The convex hull of 2D points, counter-clockwise (Andrew's monotone chain)."""
    pts = sorted(map(tuple, points.tolist()))

    def cross(o, a, b) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list = []
    upper: list = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


@pytest.mark.gl
def test_a_small_gradient_is_drawn_long_enough_with_its_scale_said(qtbot, window):
    from derivgui.ui.view3d.plot3d import ARROW_MIN_PX

    type_expression(qtbot, window, "0.01*(x^2*y + y)")
    window.point.setValue(1.0)
    window.point_y.setValue(2.0)
    view = window.plot3d
    qtbot.waitUntil(lambda: view.report is not None and view.report.a == 1.0 and view.report.b == 2.0,
                    timeout=5000)
    shaft = view.gradient_arrow.pos[:2]
    start, tip = project(view, shaft)
    assert np.hypot(*(tip - start)) >= ARROW_MIN_PX - 0.5
    scale = view.gradient_scale
    assert scale > 1  # stretched: the true arrow (|∇f| = 0.045) is a few pixels long
    # gradient_scale is the drawn length over the true one, as the readout says
    report = view.report
    drawn = view._to_world(report.a + report.grad_x * scale, report.b + report.grad_y * scale, view.z_range[0])[0]
    np.testing.assert_allclose(drawn[:2], shaft[1][:2], atol=1e-9)
    assert "drawn ×" in window.findChild(type(window.gradient_norm), "gradientNormLabel").text()


@pytest.mark.gl
def test_a_point_off_the_surface_is_said_and_pinned_to_the_box(qtbot, window):
    from derivgui.ui.view3d.plot3d import HALF_XY

    lesson = load(qtbot, window, "gradient-x2y-plus-y")  # x, y from 0 to 10
    settle(qtbot, window, lesson)
    view = window.plot3d
    window.point.setValue(-2.0)
    qtbot.waitUntil(lambda: view.report.a == -2.0, timeout=5000)
    assert "(a, b) = (-2, 2) is outside the surface range" in view.outside_note.replace("−", "-")
    assert view.note_item.visible() and view.note_item.labels[0].text == view.outside_note
    x, y, _z = view.marker.pos[0]
    assert abs(x) <= HALF_XY + 1e-9 and abs(y) <= HALF_XY + 1e-9  # on the box's edge, not floating beside it
    for item in (view.tangent_lines, view.secant_lines, view.plane, view.gradient_arrow, view.slice_y):
        assert not item.visible()
    assert view.slice_x.visible()  # y = b is on the surface: its slice is drawn
    image = view.render_image(400, 300)  # an export says it too
    assert image.width() == 400
    window.point.setValue(1.0)
    qtbot.waitUntil(lambda: view.report.a == 1.0, timeout=5000)
    assert view.outside_note == "" and not view.note_item.visible()
    assert view.tangent_lines.visible() and view.slice_y.visible() and view.plane.visible()


@pytest.mark.gl
@pytest.mark.parametrize("size", [(1280, 720), (1600, 1000)])
def test_gradient_title_fits_its_plot(qtbot, window, size):
    from derivgui.ui.view3d.page3d import GRADIENT_TITLES

    window.resize(*size)
    type_expression(qtbot, window, "x^2*y + y")
    plot = window.page3d.gradient_line
    qtbot.waitUntil(lambda: plot.isVisible(), timeout=5000)
    qtbot.wait(100)
    item = plot.getPlotItem()
    assert item.titleLabel.text in GRADIENT_TITLES[:-1]  # more than "∇f"
    assert item.geometry().width() <= plot.width() + 0.5  # the title does not widen the plot past its widget
    assert item.titleLabel.item.boundingRect().width() <= item.getViewBox().width() + 8
