"""File ▸ Export…, Copy image, animations and sessions, driven through the real window."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PyQt5.QtCore import Qt
from PyQt5.QtGui import QImage, QKeySequence
from PyQt5.QtWidgets import QApplication, QLabel, QMessageBox

import derivgui
from derivgui.files.exporting import ExportCancelled, ExportError
from derivgui.ui.export.dialog import install_export_actions
from derivgui.ui.export.scene import ExportRequest, ExportScene, export_animation, export_delta_sweep, image_array
from tests.ui.conftest import type_expression

F_BLUE = (0x1F, 0x77, 0xB4)


@pytest.fixture
def actions(window):
    return install_export_actions(window)


@pytest.fixture
def warnings(monkeypatch):
    """QMessageBox.warning recorded instead of shown (a modal box would block the test)."""
    calls = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: calls.append(args[1:3]) or QMessageBox.Ok)
    return calls


def decode(path) -> QImage:
    image = QImage(str(path))
    assert not image.isNull(), f"{path} does not decode"
    return image


def rgb(image: QImage) -> np.ndarray:
    return image_array(image)[..., 2::-1]  # BGRA → RGB


def assert_not_blank(image: QImage, min_colors: int = 20) -> np.ndarray:
    pixels = rgb(image).reshape(-1, 3)
    packed = (pixels[:, 0].astype(np.uint32) << 16) | (pixels[:, 1].astype(np.uint32) << 8) | pixels[:, 2]
    assert len(np.unique(packed)) >= min_colors
    assert (pixels != 255).any(axis=1).mean() > 0.01  # more than a few stray pixels are drawn
    return pixels


def count_near(pixels: np.ndarray, color, tol: int = 40) -> int:
    return int((np.abs(pixels.astype(int) - np.array(color)).sum(axis=1) < tol).sum())


def leftovers(folder) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


def set_point(window, a: float, delta: float) -> None:
    window.point.setValue(a)
    window.step.setValue(delta)


# -- menu -------------------------------------------------------------------------------------


def test_actions_are_in_the_file_menu_with_shortcuts(window, actions):
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "File")
    texts = [a.text().replace("&", "") for a in file_menu.actions() if not a.isSeparator()]
    for text in ("Open session…", "Save session…", "Export…", "Export animation…", "Copy image", "Quit"):
        assert text in texts
    assert texts[-1] == "Quit"
    assert actions.export_action.shortcut() == QKeySequence("Ctrl+E")
    assert actions.copy_action.shortcut() == QKeySequence("Ctrl+Shift+C")
    assert actions.save_action.shortcut() == QKeySequence("Ctrl+S")
    assert actions.open_action.shortcut() == QKeySequence("Ctrl+O")
    assert install_export_actions(window) is actions  # installing twice adds nothing


# -- 2D ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(1234, 567), (333, 777), (3000, 1800)])
def test_png_has_the_requested_size_and_shows_the_curve(tmp_path, window, actions, size):
    path = tmp_path / "plot.png"
    assert actions.export(ExportRequest(str(path), width=size[0], height=size[1])) == [str(path)]
    image = decode(path)
    assert (image.width(), image.height()) == size
    pixels = assert_not_blank(image)
    assert count_near(pixels, F_BLUE) > 0.2 * size[0]  # the curve f runs across the picture
    assert leftovers(tmp_path) == []


def test_png_size_does_not_depend_on_the_window(tmp_path, window, actions):
    """The picture is laid out off-screen: the window's pixel size and ratio play no part."""
    window.resize(700, 500)
    QApplication.processEvents()
    a = tmp_path / "a.png"
    actions.export(ExportRequest(str(a), width=1600, height=1000))
    window.resize(1300, 900)
    QApplication.processEvents()
    b = tmp_path / "b.png"
    actions.export(ExportRequest(str(b), width=1600, height=1000))
    assert (decode(a).width(), decode(a).height()) == (decode(b).width(), decode(b).height()) == (1600, 1000)


def test_scale_export_is_the_view_times_the_scale(tmp_path, window):
    scene = ExportScene.from_window(window)
    try:
        w, h = scene.view_size()
        image = scene.image(2 * w, 2 * h, scale=2.0)
        assert (image.width(), image.height()) == (2 * w, 2 * h)
        assert_not_blank(image)
    finally:
        scene.close()


def test_lines_grow_with_the_scale(window):
    """HiDPI-correct: at ×2 the curve is about twice as thick, not a hairline."""
    scene = ExportScene.from_window(window)
    try:
        small = rgb(scene.image(800, 500, scale=1.0))
        big = rgb(scene.image(1600, 1000, scale=2.0))
    finally:
        scene.close()

    def thickness(pixels):  # blue pixels per column where the curve is drawn
        mask = np.abs(pixels.astype(int) - np.array(F_BLUE)).sum(axis=2) < 60
        per_column = mask.sum(axis=0)
        return np.median(per_column[per_column > 0])

    assert thickness(big) >= 1.6 * thickness(small)


def test_svg_is_xml_with_the_curve_as_a_path(tmp_path, window, actions):
    path = tmp_path / "plot.svg"
    actions.export(ExportRequest(str(path), width=1600, height=1000))
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("width") == "1600" and root.get("height") == "1000"
    curves = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("stroke") == "#1f77b4"]
    paths = [p for g in curves for p in g.iter("{http://www.w3.org/2000/svg}path")]
    assert paths and max(len(p.get("d", "")) for p in paths) > 1000  # the sampled curve, as one path
    title = root.find("{http://www.w3.org/2000/svg}title")
    assert title is not None and "1/(1+exp(-x))" in title.text


def test_pdf_is_a_pdf(tmp_path, window, actions):
    path = tmp_path / "plot.pdf"
    actions.export(ExportRequest(str(path), width=1600, height=1000))
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    assert b"/MediaBox" in data and len(data) > 5000


def test_csv_matches_compile_expr(tmp_path, qtbot, window, actions):
    type_expression(qtbot, window, "tanh(x)")
    path = tmp_path / "curve.csv"
    actions.export(ExportRequest(str(path)))
    rows = list(csv.reader(io.StringIO(path.read_text())))
    assert rows[0] == ["x", "f", "df_dx"]
    table = np.array(rows[1:], dtype=float)
    assert table.shape == (1001, 3)
    x0, x1 = window.plot2d.visible_x_range()
    assert table[0, 0] == pytest.approx(x0) and table[-1, 0] == pytest.approx(x1)
    f = derivgui.compile_expr("tanh(x)")
    np.testing.assert_array_equal(table[:, 1], f(table[:, 0]))
    np.testing.assert_array_equal(table[:, 2], f.grad(table[:, 0])[0])
    np.testing.assert_allclose(table[:, 2], 1 / np.cosh(table[:, 0]) ** 2, rtol=1e-9)


def test_failed_export_keeps_the_old_file(tmp_path, window, actions, warnings, monkeypatch):
    path = tmp_path / "plot.png"
    path.write_bytes(b"a good picture")
    monkeypatch.setattr(QImage, "save", lambda *a, **k: False)  # the encoder fails
    assert actions.export(ExportRequest(str(path))) is None
    assert path.read_bytes() == b"a good picture"
    assert leftovers(tmp_path) == []
    assert warnings and "could not encode" in warnings[0][1]


def test_unwritable_path_is_reported(tmp_path, window, actions, warnings):
    assert actions.export(ExportRequest(str(tmp_path / "missing" / "plot.png"))) is None
    assert "does not exist" in warnings[0][1]
    assert not (tmp_path / "missing").exists()


def test_copy_image_puts_the_view_on_the_clipboard(window, actions):
    image = actions.copy_image()
    assert image is not None
    clip = QApplication.clipboard().image()
    assert not clip.isNull()
    assert (clip.width(), clip.height()) == (image.width(), image.height())
    ratio = window.devicePixelRatioF()
    size = window.plot2d.viewport().size()
    assert image.width() == round(size.width() * ratio)
    assert "copied" in window.statusBar().currentMessage()


# -- animation --------------------------------------------------------------------------------


def test_delta_sweep_gif(tmp_path, qtbot, window):
    from PIL import Image

    type_expression(qtbot, window, "x^2")
    set_point(window, 1.0, 0.5)
    seen = []
    path = tmp_path / "sweep.gif"
    written = export_delta_sweep(window, str(path), frames=6, progress_callback=lambda d, n: seen.append((d, n)),
                                 width=320, height=200)
    assert written == [str(path)]
    with Image.open(path) as gif:
        assert gif.size == (320, 200)
        assert gif.n_frames == 6
        assert gif.info.get("loop") == 0
    assert seen[0] == (0, 6) and seen[-1] == (6, 6)
    assert window.state.delta_a == 0.5  # the window's state is untouched


def test_png_sequence(tmp_path, qtbot, window):
    scene = ExportScene.from_window(window)
    try:
        written = export_animation(scene, str(tmp_path / "frame_%02d.png"), frames=3, width=200, height=120)
    finally:
        scene.close()
    assert [os.path.basename(p) for p in written] == ["frame_01.png", "frame_02.png", "frame_03.png"]
    for name in written:
        image = decode(name)
        assert (image.width(), image.height()) == (200, 120)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frame_01.png", "frame_02.png", "frame_03.png"]


@pytest.mark.parametrize("name", ["sweep.gif", "frame_%03d.png"])
def test_cancel_writes_nothing(tmp_path, window, name):
    existing = tmp_path / ("sweep.gif" if name.endswith(".gif") else "frame_001.png")
    existing.write_bytes(b"the previous export")
    scene = ExportScene.from_window(window)
    try:
        with pytest.raises(ExportCancelled):
            export_animation(scene, str(tmp_path / name), frames=10, width=160, height=100,
                             progress=lambda done, total: done < 3)
    finally:
        scene.close()
    assert existing.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == [existing.name]


def test_turntable_needs_a_surface(tmp_path, window):
    scene = ExportScene.from_window(window)
    try:
        with pytest.raises(ExportError, match="surface"):
            export_animation(scene, str(tmp_path / "t.gif"), kind="turntable", frames=3, width=100, height=100)
    finally:
        scene.close()
    assert list(tmp_path.iterdir()) == []


# -- the dialog -------------------------------------------------------------------------------


def test_dialog_exports_png(tmp_path, qtbot, window, actions):
    actions.export_action.trigger()
    dialog = actions.dialog
    assert dialog is not None and dialog.objectName() == "exportDialog" and dialog.isVisible()
    path = tmp_path / "from-dialog.png"
    dialog.path_edit.setText(str(path))
    dialog.width_spin.setValue(640)
    dialog.height_spin.setValue(400)
    assert "640 × 400" in dialog.summary.text()
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.Ok), Qt.LeftButton)
    assert not dialog.isVisible()
    image = decode(path)
    assert (image.width(), image.height()) == (640, 400)
    assert str(path) in window.statusBar().currentMessage()


def test_dialog_format_changes_the_extension_and_fields(tmp_path, window, actions):
    dialog = actions.open_dialog()
    dialog.path_edit.setText(str(tmp_path / "grid.png"))
    dialog.set_format("csv")
    assert dialog.path_edit.text().endswith("grid.csv")
    assert dialog.samples_spin.isVisibleTo(dialog) and not dialog.frames_spin.isVisibleTo(dialog)
    dialog.set_format("png-sequence")
    assert dialog.path_edit.text().endswith("grid_%03d.png")
    assert dialog.frames_spin.isVisibleTo(dialog)
    dialog.set_format("svg")
    assert dialog.path_edit.text().endswith("grid.svg")
    dialog.scale_radio.setChecked(True)
    dialog.scale_spin.setValue(3.0)
    w, h = dialog.view_size
    assert dialog.size() == (3 * w, 3 * h)
    dialog.reject()


def test_dialog_file_name_and_format_agree(tmp_path, qtbot, window, actions):
    dialog = actions.open_dialog("png")
    edit = dialog.path_edit
    edit.setText(str(tmp_path / "plot.png"))
    assert dialog.export_button.isEnabled()
    # Typing another format's extension chooses that format.
    edit.selectAll()
    qtbot.keyClicks(edit, str(tmp_path / "plot.svg"))
    assert dialog.fmt() == "svg" and edit.text() == str(tmp_path / "plot.svg")
    edit.setText(str(tmp_path / "frame_%03d.png"))
    assert dialog.fmt() == "png-sequence" and dialog.frames_spin.isVisibleTo(dialog)
    edit.setText(str(tmp_path / "table.csv"))
    assert dialog.fmt() == "csv"
    # Choosing a format renames the file.
    dialog.set_format("pdf")
    assert edit.text() == str(tmp_path / "table.pdf")
    dialog.reject()


@pytest.mark.parametrize("name", ["plot.jpg", "plot", "plot.png.bak"])
def test_dialog_refuses_a_name_the_format_cannot_have(tmp_path, qtbot, window, actions, name):
    """A .jpg name with PNG chosen used to get PNG bytes."""
    dialog = actions.open_dialog("png")
    dialog.path_edit.setText(str(tmp_path / name))
    assert dialog.fmt() == "png"
    assert not dialog.export_button.isEnabled()
    assert dialog.error_label.isVisibleTo(dialog) and "unknown format" in dialog.error_label.text()
    dialog.accept()
    assert dialog.isVisible() and list(tmp_path.iterdir()) == []
    dialog.path_edit.setText(str(tmp_path / "plot.png"))
    assert dialog.export_button.isEnabled() and not dialog.error_label.isVisibleTo(dialog)
    dialog.reject()


def test_dialog_export_button_is_off_while_the_size_is_too_large(tmp_path, window, actions):
    dialog = actions.open_dialog("gif")
    dialog.path_edit.setText(str(tmp_path / "big.gif"))
    assert dialog.export_button.isEnabled()
    dialog.width_spin.setValue(2000)
    dialog.height_spin.setValue(2000)
    dialog.frames_spin.setValue(120)
    assert not dialog.export_button.isEnabled()
    assert "400 million pixels" in dialog.summary.text() and "400 million pixels" in dialog.export_button.toolTip()
    dialog.frames_spin.setValue(10)
    assert dialog.export_button.isEnabled()
    dialog.set_format("csv")
    dialog.samples_spin.setValue(100_000)
    assert dialog.export_button.isEnabled()
    dialog.path_edit.setText(str(tmp_path / "grid.png"))
    dialog.width_spin.setValue(9000)
    dialog.height_spin.setValue(9000)  # 81 million pixels
    assert not dialog.export_button.isEnabled() and "64 million pixels" in dialog.summary.text()
    dialog.reject()


def test_dialog_caption_for_still_pictures(tmp_path, qtbot, window, actions):
    set_point(window, 0.5, 0.25)
    dialog = actions.open_dialog("png")
    assert dialog.caption_check.isVisibleTo(dialog) and not dialog.caption_check.isChecked()
    for fmt, shown in (("svg", True), ("pdf", True), ("csv", False), ("gif", False), ("png", True)):
        dialog.set_format(fmt)
        assert dialog.caption_check.isVisibleTo(dialog) == shown
    dialog.caption_check.setChecked(True)
    assert dialog.request().caption
    path = tmp_path / "captioned.png"
    dialog.path_edit.setText(str(path))
    dialog.width_spin.setValue(900)
    dialog.height_spin.setValue(560)
    dialog.accept()
    assert not dialog.isVisible()
    plain = tmp_path / "plain.png"
    actions.export(ExportRequest(str(plain), width=900, height=560))
    with_caption, without = rgb(decode(path)), rgb(decode(plain))
    changed = np.argwhere((with_caption != without).any(axis=2))
    assert len(changed) > 500
    assert changed[:, 0].max() < 560 / 3 and changed[:, 1].min() > 900 / 2  # the top-right corner only
    assert actions.open_dialog("png").caption_check.isChecked()  # remembered for the next export
    actions.dialog.reject()


def test_caption_in_svg_and_pdf(tmp_path, window, actions):
    set_point(window, 0.5, 0.25)
    svg = tmp_path / "c.svg"
    actions.export(ExportRequest(str(svg), width=900, height=560, caption=True))
    root = ET.parse(svg).getroot()
    group = next(g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("id") == "derivgui-caption")
    texts = [t.text for t in group.iter("{http://www.w3.org/2000/svg}text")]
    assert texts[0] == "f(x) = 1/(1+exp(-x))"
    assert texts[1] == "a = 0.5   Δa = 0.25"
    assert texts[2].startswith("secant slope 0.2") and texts[3].startswith("f′(a) = 0.235")
    plain, captioned = tmp_path / "p.pdf", tmp_path / "c.pdf"
    actions.export(ExportRequest(str(plain), width=900, height=560))
    actions.export(ExportRequest(str(captioned), width=900, height=560, caption=True))
    assert captioned.read_bytes().startswith(b"%PDF-")
    assert len(captioned.read_bytes()) > len(plain.read_bytes()) + 500  # the caption's text and font


def test_caption_flag_of_the_command(tmp_path):
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")

    def run(*args):
        return subprocess.run([sys.executable, "-m", "derivgui", "export", *args], env=env, capture_output=True,
                              text=True, timeout=180)

    for name, extra in (("plain.png", ()), ("caption.png", ("--caption",))):
        result = run("tanh(x)", "-o", str(tmp_path / name), "--size", "900x560", *extra)
        assert result.returncode == 0 and result.stderr == "", result.stderr
    with_caption, without = rgb(decode(tmp_path / "caption.png")), rgb(decode(tmp_path / "plain.png"))
    changed = np.argwhere((with_caption != without).any(axis=2))
    assert len(changed) > 500 and changed[:, 1].min() > 450
    result = run("tanh(x)", "-o", str(tmp_path / "c.svg"), "--caption")
    assert result.returncode == 0 and 'id="derivgui-caption"' in (tmp_path / "c.svg").read_text()
    result = run("tanh(x)", "-o", str(tmp_path / "t.csv"), "--caption")
    assert result.returncode == 1 and "--caption is for still pictures" in result.stderr
    assert not (tmp_path / "t.csv").exists()
    assert "--caption" in run("--help").stdout


def test_dialog_animation_with_progress(tmp_path, qtbot, window, actions, monkeypatch):
    from PIL import Image

    import derivgui.ui.export.dialog as export_dialog

    seen = []
    original = export_dialog.export_file

    def watching(scene, request, progress=None, cancelled=None):
        def progress_and_look(done, total):
            dialog = actions.progress
            seen.append((done, total, dialog.isVisible(), dialog.maximum(), dialog.windowModality()))
            return progress(done, total)

        return original(scene, request, progress=progress_and_look, cancelled=cancelled)

    monkeypatch.setattr(export_dialog, "export_file", watching)
    actions.animation_action.trigger()
    dialog = actions.dialog
    assert dialog.fmt() == "gif"
    path = tmp_path / "anim.gif"
    dialog.path_edit.setText(str(path))
    dialog.frames_spin.setValue(3)
    dialog.width_spin.setValue(240)
    dialog.height_spin.setValue(150)
    dialog.accept()
    with Image.open(path) as gif:
        assert gif.n_frames == 3 and gif.size == (240, 150)
    assert [s[:2] for s in seen] == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert all(visible and maximum == 3 and modality == Qt.WindowModal for _, _, visible, maximum, modality in seen)
    assert actions.progress is None  # closed afterwards
    assert not dialog.isVisible()


def test_cancel_button_of_the_progress_dialog(tmp_path, window, actions, monkeypatch):
    import derivgui.ui.export.dialog as export_dialog

    original = export_dialog.export_file

    def press_cancel_at_frame_two(scene, request, progress=None, cancelled=None):
        def progress_then_cancel(done, total):
            progress(done, total)
            if done == 2:
                actions.progress.cancel()  # what the Cancel button does

        return original(scene, request, progress=progress_then_cancel, cancelled=cancelled)

    monkeypatch.setattr(export_dialog, "export_file", press_cancel_at_frame_two)
    path = tmp_path / "anim.gif"
    path.write_bytes(b"older animation")
    assert actions.export(ExportRequest(str(path), frames=10, width=160, height=100)) is None
    assert path.read_bytes() == b"older animation"
    assert leftovers(tmp_path) == []
    assert "cancelled" in window.statusBar().currentMessage()


def test_dialog_shows_errors_and_stays_open(tmp_path, window, actions):
    dialog = actions.open_dialog("png")
    dialog.path_edit.setText(str(tmp_path / "no" / "such" / "folder.png"))
    dialog.accept()
    assert dialog.isVisible()
    assert "does not exist" in dialog.error_label.text()
    dialog.reject()


# -- 3D ---------------------------------------------------------------------------------------


@pytest.mark.gl
def test_surface_png_at_any_size(tmp_path, qtbot, window, actions):
    type_expression(qtbot, window, "x^2*y + y")
    for size in ((900, 600), (1601, 803)):
        path = tmp_path / f"surface{size[0]}.png"
        assert actions.export(ExportRequest(str(path), width=size[0], height=size[1])) == [str(path)]
        image = decode(path)
        assert (image.width(), image.height()) == size
        pixels = assert_not_blank(image, min_colors=200)
        blue = count_near(pixels, (59, 76, 192), tol=90)  # the low end of the coolwarm surface
        assert blue > 1000


@pytest.mark.gl
def test_surface_svg_is_refused_and_csv_is_the_grid(tmp_path, qtbot, window, actions, warnings):
    type_expression(qtbot, window, "x^2*y + y")
    assert actions.export(ExportRequest(str(tmp_path / "s.svg"))) is None
    assert "2D view" in warnings[0][1]
    assert not (tmp_path / "s.svg").exists()
    path = tmp_path / "grid.csv"
    actions.export(ExportRequest(str(path), samples=11))
    table = np.genfromtxt(path, delimiter=",", names=True)
    assert table.dtype.names == ("x", "y", "f", "df_dx", "df_dy")
    assert len(table) == 121
    x, y = table["x"], table["y"]
    np.testing.assert_allclose(table["f"], x**2 * y + y)
    np.testing.assert_allclose(table["df_dx"], 2 * x * y)
    np.testing.assert_allclose(table["df_dy"], x**2 + 1)
    assert (x.min(), x.max(), y.min(), y.max()) == (0, 10, 0, 10)


@pytest.mark.gl
def test_surface_sweep_and_turntable_restore_the_view(tmp_path, qtbot, window):
    type_expression(qtbot, window, "sin(sqrt(x^2+y^2))")
    view = window.plot3d
    azimuth = view.opts["azimuth"]
    scene = ExportScene.from_window(window)
    try:
        export_animation(scene, str(tmp_path / "turn_%02d.png"), kind="turntable", frames=3, width=240, height=160)
        export_animation(scene, str(tmp_path / "sweep.gif"), frames=3, width=240, height=160)
    finally:
        scene.close()
    frames = [decode(tmp_path / f"turn_{i:02d}.png") for i in (1, 2, 3)]
    assert not np.array_equal(rgb(frames[0]), rgb(frames[1]))  # the camera turned
    assert view.opts["azimuth"] == azimuth
    assert window.state.delta_a == 1.0


def ink_extent(image: QImage, right_margin: int = 0) -> tuple[float, float]:
    """The share of the width and of the height that the drawing (not white) spans."""
    pixels = rgb(image).astype(int)
    pixels = pixels[:, :pixels.shape[1] - right_margin]
    ink = np.abs(pixels - 255).sum(axis=2) > 60
    ys, xs = np.nonzero(ink)
    return (xs.max() - xs.min()) / ink.shape[1], (ys.max() - ys.min()) / ink.shape[0]


@pytest.mark.gl
@pytest.mark.parametrize("size", [(1600, 1000), (800, 1000), (1200, 500)])
def test_surface_png_is_framed_to_fill_the_picture(qtbot, window, size):
    """A 3D PNG used to show the box in the middle half of an empty picture."""
    from derivgui.ui.export.scene import COLOR_BAR_WIDTH

    type_expression(qtbot, window, "x^2*y + y")
    for scene in (ExportScene.from_window(window), ExportScene.offscreen(window.compiled, window.state)):
        try:
            image = scene.image(*size)
            _, _, ratio = scene.layout(*size)
        finally:
            scene.close()
        wide, high = ink_extent(image, right_margin=round(COLOR_BAR_WIDTH * ratio))
        assert max(wide, high) > 0.85 and min(wide, high) > 0.4, (wide, high)
        assert high < 0.995 and wide < 0.995  # with a margin: no label cut off at the edge


@pytest.mark.gl
def test_dialog_for_a_surface_refuses_a_vector_name(tmp_path, qtbot, window, actions):
    type_expression(qtbot, window, "x^2*y + y")
    dialog = actions.open_dialog("png")
    dialog.path_edit.setText(str(tmp_path / "surface.svg"))
    assert dialog.fmt() == "png" and not dialog.export_button.isEnabled()
    assert "2D view" in dialog.error_label.text()
    dialog.path_edit.setText(str(tmp_path / "surface.gif"))
    assert dialog.fmt() == "gif" and dialog.export_button.isEnabled()
    dialog.reject()


@pytest.mark.gl
def test_surface_keeps_a_camera_the_user_zoomed_in(qtbot, window):
    type_expression(qtbot, window, "x^2*y + y")
    window.plot3d.setCameraPosition(distance=6.0)
    scene = ExportScene.from_window(window)
    try:
        scene.image(800, 500)
        assert scene.view3d().opts["distance"] == 6.0
    finally:
        scene.close()


@pytest.mark.gl
def test_turntable_keeps_one_framing(tmp_path, qtbot, window):
    type_expression(qtbot, window, "sin(sqrt(x^2+y^2))")
    scene = ExportScene.from_window(window)
    distances = []
    original = scene._frame

    def recording(view, width, height):
        original(view, width, height)
        distances.append(view.opts["distance"])

    scene._frame = recording
    try:
        export_animation(scene, str(tmp_path / "turn_%02d.png"), kind="turntable", frames=4, width=400, height=250)
    finally:
        scene.close()
    assert len(distances) == 4 and max(distances) - min(distances) < 1e-6 * max(distances)
    for i in (1, 2, 3, 4):
        wide, high = ink_extent(decode(tmp_path / f"turn_{i:02d}.png"), right_margin=40)
        assert high < 0.995 and wide < 0.995


# -- axes -------------------------------------------------------------------------------------


def test_huge_values_have_one_notation_on_the_axes(qtbot, window):
    """exp(exp(x)) showed "f(x) (x1e+27)" beside ticks like 3.5e+113."""
    type_expression(qtbot, window, "exp(exp(x))")
    for view in (window.plot2d, window.error_plot.plot):
        for name in ("left", "bottom"):
            axis = view.getPlotItem().getAxis(name)
            assert not re.search(r"\(x[0-9]", axis.labelString()) and axis.autoSIPrefixScale == 1.0
    left = window.plot2d.getPlotItem().getAxis("left")
    strings = left.tickStrings([0.0, 1e140, 2e140, 3.5e140], 1.0, 5e139)
    assert strings == ["0", "1e+140", "2e+140", "3.5e+140"]
    # Neighbouring ticks never read the same (pyqtgraph's %g kept six digits).
    strings = left.tickStrings([1e10 - 2, 1e10, 1e10 + 2], 1.0, 2.0)
    assert [float(t) for t in strings] == [1e10 - 2, 1e10, 1e10 + 2]
    assert left.tickStrings([-0.5, 0.0, 0.5], 1.0, 0.5) == ["-0.5", "0", "0.5"]  # ordinary ranges as before


# -- sessions ---------------------------------------------------------------------------------


def test_session_round_trip_restores_the_view(tmp_path, qtbot, window, actions):
    type_expression(qtbot, window, "tanh(x)")
    set_point(window, 0.5, 0.25)
    window.toggle_actions["guides"].setChecked(False)
    window.plot2d.frame(-4.0, 4.0)
    qtbot.waitUntil(lambda: window.state.x_range == pytest.approx((-4.0, 4.0)))
    path = tmp_path / "lesson.derivgui.json"
    assert actions.save_session(str(path)) == str(path)
    saved = json.loads(path.read_text())
    assert saved["format"] == "derivgui-session" and saved["state"]["curves"][0]["text"] == "tanh(x)"
    expected = window.state.to_dict()

    type_expression(qtbot, window, "x^2")
    set_point(window, 2.0, -1e-3)
    window.toggle_actions["guides"].setChecked(True)
    window.plot2d.frame(-1.0, 9.0)

    assert actions.open_session(str(path))
    qtbot.waitUntil(lambda: window.controller.last_result_text == "tanh(x)", timeout=20000)
    qtbot.waitUntil(lambda: window.state.x_range == pytest.approx((-4.0, 4.0)))
    got = window.state.to_dict()
    for key, value in expected.items():
        assert got[key] == (value if isinstance(value, (list, dict)) and not
                            all(isinstance(v, float) for v in value) else pytest.approx(value)), key
    assert window.editor.text() == "tanh(x)"
    assert window.point.value() == 0.5 and window.step.value() == 0.25
    assert not window.toggle_actions["guides"].isChecked()
    assert window.plot2d.visible_x_range() == pytest.approx((-4.0, 4.0))
    assert float(window.findChild(QLabel, "tangentSlopeLabel").text()) == pytest.approx(1 / np.cosh(0.5) ** 2)


def test_corrupt_session_is_reported_and_the_view_kept(tmp_path, qtbot, window, actions, warnings):
    type_expression(qtbot, window, "sin(x)")
    before = window.state.to_dict()
    for content in (b"\x00\x01garbage", b'{"format": "derivgui-session", "version": 99, "state": {}}',
                    b'{"some": "other app"}'):
        path = tmp_path / "bad.json"
        path.write_bytes(content)
        assert actions.open_session(str(path)) is False
    assert len(warnings) == 3
    assert "not valid JSON" in warnings[0][1] or "not UTF-8" in warnings[0][1]
    assert "newer" in warnings[1][1]
    assert "not a derivgui session" in warnings[2][1]
    assert window.state.to_dict() == before
    assert window.editor.text() == "sin(x)"


@pytest.mark.parametrize("content", [
    b"\x00\xff\xfe garbage \x89PNG",
    b'[session]\nstate="{\\"format\\": 1, \\"a\\": \\"oops\\"}"\n',
    b"[session]\nstate=@ByteArray(\\x01\\x02)\n[editor]\nhistory=not json\n",
    b"[session]\nstate=a, b, c\n[editor]\nhistory=[1, 2]\n",
])
def test_corrupt_settings_never_stop_the_app(qtbot, tmp_path, content):
    from PyQt5.QtCore import QSettings

    from derivgui.app.startup import open_window
    from derivgui.model.state import AppState

    path = tmp_path / "derivgui.ini"
    path.write_bytes(content)
    win = open_window(QSettings(str(path), QSettings.IniFormat))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.compiled is not None, timeout=20000)
    assert win.state.expression == AppState().expression
    assert win.state.a == AppState().a
    win.close()
