"""The two-variable page: surface, gradient readouts, slices, switching, and a real GL render."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt5.QtWidgets import QDoubleSpinBox, QLabel

from tests.ui.conftest import type_expression

pytestmark = pytest.mark.gl


def label(window, name: str) -> str:
    return window.findChild(QLabel, name).text()


def spin(window, name: str) -> QDoubleSpinBox:
    return window.findChild(QDoubleSpinBox, name)


def set_point(window, a, b, da, db):
    spin(window, "pointSpin").setValue(a)
    spin(window, "pointYSpin").setValue(b)
    spin(window, "deltaSpin").setValue(da)
    spin(window, "deltaYSpin").setValue(db)


def test_notebook_gradient_at_1_2(qtbot, window):
    type_expression(qtbot, window, "x^2*y + y")
    import pyqtgraph.opengl as gl

    view = window.findChild(gl.GLViewWidget, "plot3d")
    assert view is not None and window.views.currentWidget() is window.page3d
    set_point(window, 1.0, 2.0, 0.5, 0.5)
    assert float(label(window, "gradientXLabel")) == pytest.approx(4.0)
    assert float(label(window, "gradientYLabel")) == pytest.approx(2.0)
    assert window.state.surface_x_range == (0.0, 10.0) and window.state.surface_y_range == (0.0, 10.0)
    assert "4.472135955" in label(window, "gradientNormLabel")


def test_exercise_gradient_matches_analytic(qtbot, window):
    type_expression(qtbot, window, "sin(sqrt(x^2+y^2))")
    a, b = 1.5, -0.7
    set_point(window, a, b, 0.1, 0.1)
    r = np.hypot(a, b)
    assert float(label(window, "gradientXLabel")) == pytest.approx(np.cos(r) * a / r, rel=1e-10)
    assert float(label(window, "gradientYLabel")) == pytest.approx(np.cos(r) * b / r, rel=1e-10)
    assert window.state.surface_x_range == (-6.0, 6.0)


def test_secants_approach_partials(qtbot, window):
    type_expression(qtbot, window, "sin(sqrt(x^2+y^2))")
    errors = []
    for step in (1e-1, 1e-3, 1e-5):
        set_point(window, 1.0, 2.0, step, step)
        errors.append((abs(float(label(window, "slopeXErrorLabel"))), abs(float(label(window, "slopeYErrorLabel")))))
    for (ex0, ey0), (ex1, ey1) in zip(errors, errors[1:], strict=False):
        assert ex1 < ex0 / 10 and ey1 < ey0 / 10
    assert errors[-1][0] < 1e-4 and errors[-1][1] < 1e-4


def test_switching_2d_3d_2d_keeps_state(qtbot, window):
    type_expression(qtbot, window, "x^2")
    set_point(window, 0.75, -1.25, 0.125, -0.5)
    window.toggle_actions["secant"].trigger()
    type_expression(qtbot, window, "x*y")
    assert window.views.currentWidget() is window.page3d
    assert spin(window, "pointSpin").value() == 0.75
    assert spin(window, "deltaSpin").value() == 0.125
    assert spin(window, "pointYSpin").value() == -1.25
    assert spin(window, "deltaYSpin").value() == -0.5
    assert float(label(window, "gradientXLabel")) == pytest.approx(-1.25)
    type_expression(qtbot, window, "x^2")
    assert window.views.currentWidget() is window.plot2d
    assert not window.findChild(QDoubleSpinBox, "pointYSpin").isVisible()
    assert spin(window, "pointSpin").value() == 0.75
    assert window.state.overlay("secant") is False
    assert float(label(window, "tangentSlopeLabel")) == pytest.approx(1.5)


def test_custom_surface_range_is_kept(qtbot, window):
    type_expression(qtbot, window, "x*y")
    spin(window, "xMinSpin").setValue(-2.0)
    assert window.state.surface_x_range == (-2.0, 6.0)
    assert window.page3d.x_range == (-2.0, 6.0)
    type_expression(qtbot, window, "x^2*y + y")
    assert window.state.surface_x_range == (-2.0, 6.0)


def test_gradient_plot_keeps_its_t_axis_while_the_new_range_fits(qtbot, window):
    type_expression(qtbot, window, "sin(x)*cos(y)")
    view_box = window.page3d.gradient_line.getPlotItem().getViewBox()

    def t_range() -> tuple[float, float]:
        return tuple(view_box.viewRange()[0])

    qtbot.waitUntil(lambda: not window.page3d._framing, timeout=5000)
    assert t_range() == pytest.approx((-6.0, 6.0))
    spin(window, "xMinSpin").setValue(-5.0)  # t runs over ±5.5 now: inside ±6, and fills most of it
    qtbot.waitUntil(lambda: not window.page3d._framing, timeout=5000)
    assert t_range() == pytest.approx((-6.0, 6.0))
    spin(window, "xMinSpin").setValue(3.0)  # ±1.5 would fill an eighth of ±6: framed anew
    qtbot.waitUntil(lambda: not window.page3d._framing, timeout=5000)
    assert t_range() == pytest.approx((-1.5, 1.5))


def test_non_finite_values_leave_holes(qtbot, window):
    type_expression(qtbot, window, "log(x*y)")
    qtbot.waitUntil(lambda: window.page3d.resolution == 200, timeout=5000)
    mesh = window.plot3d.surface.opts["meshdata"]
    full = 2 * 199 * 199
    assert 0.2 * full < len(mesh.faces()) < 0.8 * full  # log(x*y) is defined on two quadrants


def test_resolution_is_draft_then_fine(qtbot, window):
    type_expression(qtbot, window, "x*y + 1")
    assert window.page3d.resolution >= 100
    qtbot.waitUntil(lambda: window.page3d.resolution == 200, timeout=5000)


def test_camera_is_not_reset_when_the_point_moves(qtbot, window):
    type_expression(qtbot, window, "x*y")
    window.plot3d.orbit(35, 10)
    camera = dict(window.plot3d.cameraParams())
    set_point(window, 2.0, -3.0, 0.25, 0.25)
    assert window.plot3d.cameraParams() == camera
    window.reset_camera()
    assert window.plot3d.cameraParams()["azimuth"] == -60.0


def test_overlays_can_be_toggled(qtbot, window):
    type_expression(qtbot, window, "x*y")
    window.toggle_actions["plane"].trigger()
    assert not window.plot3d.plane.visible()
    window.toggle_actions["gradient"].trigger()
    assert not window.plot3d.gradient_arrow.visible()
    window.toggle_actions["plane"].trigger()
    set_point(window, 1.0, 1.0, 0.5, 0.5)
    assert window.plot3d.plane.visible()


def test_slice_panels_follow_the_point(qtbot, window):
    type_expression(qtbot, window, "x^2*y + y")
    set_point(window, 1.0, 2.0, 0.5, 0.5)
    curve = window.page3d.slice_x.curve
    finite = np.isfinite(curve.f)
    np.testing.assert_allclose(curve.f[finite], curve.x[finite] ** 2 * 2 + 2, rtol=1e-12)
    curve_y = window.page3d.slice_y.curve
    np.testing.assert_allclose(curve_y.f, 2 * curve_y.x, rtol=1e-12)
    gx = window.page3d.grad_x_curve.getData()[1]
    assert np.isfinite(gx).all()
    # Their legends name the curves only, briefly; the main view's names the secant and tangent too.
    names = [[label.text for _sample, label in plot.legend.items] for plot in (window.page3d.slice_x, window.plot2d)]
    assert names[0] == ["f(x, b)", "∂f/∂x"]
    assert names[1][2:] == ["secant", "tangent"]


def test_render_shows_surface_colours(qtbot, window):
    type_expression(qtbot, window, "x^2*y + y")
    image = window.plot3d.render_image(640, 480)
    assert (image.width(), image.height()) == (640, 480)
    pixels = np.array([[image.pixelColor(x, y).getRgb()[:3] for x in range(0, 640, 4)] for y in range(0, 480, 4)])
    flat = pixels.reshape(-1, 3).astype(int)
    blue = ((flat[:, 2] > 150) & (flat[:, 0] < 120)).sum()
    red = ((flat[:, 0] > 150) & (flat[:, 2] < 110)).sum()
    assert blue > 200, "the low (blue) end of coolwarm is missing"
    assert red > 20, "the high (red) end of coolwarm is missing"
    assert len({tuple(p // 32) for p in flat}) > 10


def colour_counts(image) -> tuple[int, int]:
    """(bluish, reddish) pixels of a QImage, sampled every 4 px: the two ends of coolwarm."""
    pixels = np.array([[image.pixelColor(x, y).getRgb()[:3] for x in range(0, image.width(), 4)]
                       for y in range(0, image.height(), 4)]).reshape(-1, 3).astype(int)
    blue = ((pixels[:, 2] > 150) & (pixels[:, 0] < 120)).sum()
    red = ((pixels[:, 0] > 150) & (pixels[:, 2] < 110)).sum()
    return int(blue), int(red)


def test_frames_are_shown_by_a_native_display_and_the_window_stays_raster(qtbot, window):
    """The GL view sits in a native host and its frames reach the screen through a native raster
    child; nothing else in the window is made native (each native widget is its own X window)."""
    from PyQt5.QtCore import Qt
    from PyQt5.QtWidgets import QWidget

    type_expression(qtbot, window, "x^2*y + y")
    qtbot.waitUntil(lambda: window.page3d.resolution == 200, timeout=5000)
    display = window.findChild(QWidget, "plot3dDisplay")
    assert display is not None and display.parent() is window.plot3d and display.isVisible()
    assert display.geometry() == window.plot3d.rect()
    qtbot.waitUntil(lambda: display.image is not None, timeout=5000)
    qtbot.wait(300)  # the refined surface, drawn in pieces
    blue, red = colour_counts(display.image)
    assert blue > 200 and red > 20
    natives = {w.objectName() for w in window.findChildren(QWidget) if w.testAttribute(Qt.WA_NativeWindow)}
    assert natives == {"plot3dHost", "plot3dDisplay"}


def test_grab_of_the_view_draws_the_scene(qtbot, window):
    type_expression(qtbot, window, "x^2*y + y")
    qtbot.waitUntil(lambda: window.page3d.resolution == 200, timeout=5000)
    image = window.plot3d.grab().toImage()
    assert (image.width(), image.height()) == (window.plot3d.width(), window.plot3d.height())
    blue, red = colour_counts(image)
    assert blue > 200 and red > 20


def test_a_new_range_drops_the_pending_refinement(qtbot, window):
    type_expression(qtbot, window, "sin(x) * cos(y)")
    spin(window, "xMinSpin").setValue(-3.0)
    spin(window, "xMinSpin").setValue(-1.0)  # before the refinement of -3.0 arrived
    qtbot.waitUntil(lambda: window.plot3d.grid.z.shape == (200, 200) and window.plot3d.x_range == (-1.0, 6.0),
                    timeout=5000)
    qtbot.wait(300)  # nothing older arrives later
    assert window.plot3d.x_range == (-1.0, 6.0) and window.plot3d.grid.x[0] == -1.0
    assert window.page3d.resolution == 200


def test_slice_labels_step_aside_while_the_point_moves_and_are_placed_when_it_rests(qtbot, window):
    type_expression(qtbot, window, "x^2*y + y")
    page = window.page3d
    qtbot.waitUntil(lambda: page.slice_x.labels["fa"].isVisible(), timeout=5000)
    window.findChild(QDoubleSpinBox, "pointSpin").setValue(0.5)  # a step: slices get a new point
    labels = [plot.labels["fa"] for plot in (page.slice_x, page.slice_y)]
    assert not any(label.isVisible() for label in labels)  # not placed on every step of a drag
    qtbot.waitUntil(lambda: all(label.isVisible() for label in labels), timeout=2000)
    x, y = page.slice_x.points.getData()
    label_x = labels[0].pos().x()
    assert abs(label_x - x[0]) < 0.5 * (x[1] - x[0]) + 2.0  # beside a = 0.5, where the point rests
