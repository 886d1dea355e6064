"""The window on the screens a class uses: small screens, restored panels, presentation, glyphs, help."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PyQt5.QtCore import QPoint, QRect, QSize, Qt
from PyQt5.QtGui import QFont, QFontMetrics
from PyQt5.QtWidgets import (
    QAbstractButton,
    QAction,
    QDockWidget,
    QDoubleSpinBox,
    QGroupBox,
    QLabel,
    QListWidget,
    QMenu,
    QSlider,
    QTabBar,
    QTextBrowser,
    QToolButton,
    QWidget,
)

from derivgui.model.lessons import load_lessons
from tests.ui.conftest import open_window, type_expression

TWO_D_ESSENTIALS = ("pointSpin", "deltaSpin", "secantSlopeLabel", "tangentSlopeLabel", "slopeErrorLabel",
                    "fAtPointLabel", "fAtStepLabel")


def visible_part(window: QWidget, widget: QWidget) -> QRect:
    """The part of ``widget`` inside every ancestor (a scroll area's viewport clips) and the window."""
    rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        rect &= QRect(parent.mapTo(window, QPoint(0, 0)), parent.size())
        parent = parent.parentWidget()
    return rect & window.rect()


def assert_fully_visible(window: QWidget, name: str, cls=QWidget, min_size: tuple[int, int] = (1, 1)) -> QWidget:
    widget = window.findChild(cls, name)
    assert widget is not None, name
    assert widget.isVisible(), f"{name} is hidden"
    assert visible_part(window, widget).size() == widget.size(), f"{name} is clipped (needs scrolling)"
    assert widget.width() >= min_size[0] and widget.height() >= min_size[1], f"{name} is {widget.size()}"
    return widget


def fit(qtbot, window, width: int, height: int) -> None:
    """The window at ``width`` × ``height``, its panels as they start at that size."""
    window.resize(width, height)
    qtbot.waitUntil(lambda: window.size() == QSize(width, height), timeout=5000)
    window.apply_default_layout()
    qtbot.wait(150)


def test_the_minimum_width_fits_a_small_screen(qtbot, window):
    for width, height in ((1500, 950), (1024, 700)):  # the Examples on the left, then tabbed below
        fit(qtbot, window, width, height)
        for text in ("x*y", "x^2"):  # the 3D page does not widen the window either
            type_expression(qtbot, window, text)
            qtbot.wait(50)
            assert window.minimumSizeHint().width() <= 1000, (width, text)
            assert window.minimumSizeHint().height() <= 620, (width, text)
    assert window.size() == QSize(1024, 700)


@pytest.mark.parametrize("width, height", [(1024, 700), (1280, 720), (1366, 768), (1600, 1000)])
def test_plot_point_step_and_slopes_show_without_scrolling(qtbot, window, width, height):
    fit(qtbot, window, width, height)
    assert window.size() == QSize(width, height)
    assert_fully_visible(window, "plot2d", pg.PlotWidget, min_size=(400, 240))
    for name in TWO_D_ESSENTIALS:
        assert_fully_visible(window, name)
    for name in ("pointSlider", "deltaSlider"):
        assert_fully_visible(window, name, QSlider, min_size=(120, 1))
    assert_fully_visible(window, "playButton", QToolButton)
    # the side panel is never cut off at the right: its readouts are whole
    side = window.findChild(QWidget, "sidePanel")
    assert side.width() >= side.minimumSizeHint().width()


@pytest.mark.gl
def test_3d_at_1366_shows_surface_slices_and_both_partials(qtbot, window):
    fit(qtbot, window, 1366, 768)
    type_expression(qtbot, window, "sin(sqrt(x^2+y^2))")
    qtbot.wait(300)
    import pyqtgraph.opengl as gl

    assert_fully_visible(window, "plot3d", gl.GLViewWidget, min_size=(400, 220))
    for name in ("sliceXPlot", "sliceYPlot"):
        assert_fully_visible(window, name, pg.PlotWidget, min_size=(150, 150))
    for name in ("gradientXLabel", "gradientYLabel", "secantXSlopeLabel", "secantYSlopeLabel", "pointSpin",
                 "deltaSpin", "pointYSpin", "deltaYSpin"):
        assert_fully_visible(window, name)


def test_narrow_windows_tab_the_examples_with_the_error_plot(qtbot, window):
    fit(qtbot, window, 1024, 700)
    assert window.tabifiedDockWidgets(window.error_dock) == [window.lessons_dock]
    assert window.error_plot.plot.height() >= 100
    fit(qtbot, window, 1500, 950)
    assert window.dockWidgetArea(window.lessons_dock) == Qt.LeftDockWidgetArea
    assert window.dockWidgetArea(window.error_dock) == Qt.BottomDockWidgetArea


def test_an_unusable_saved_dock_size_is_not_restored(qtbot, settings):
    first = open_window(qtbot, settings, compiled=False)
    first.resizeDocks([first.error_dock], [15], Qt.Vertical)  # dragged as far down as it goes
    qtbot.waitUntil(lambda: first.error_plot.plot.height() < 90, timeout=3000)
    first.close()

    second = open_window(qtbot, settings, compiled=False)
    qtbot.waitUntil(lambda: second.error_plot.plot.height() >= 100, timeout=3000)
    second.close()


def test_a_usable_saved_dock_size_is_restored(qtbot, settings):
    first = open_window(qtbot, settings, compiled=False)
    first.resizeDocks([first.error_dock], [330], Qt.Vertical)
    qtbot.waitUntil(lambda: abs(first.error_dock.height() - 330) <= 2, timeout=3000)
    height = first.error_dock.height()
    first.close()

    second = open_window(qtbot, settings, compiled=False)
    qtbot.wait(100)
    assert abs(second.error_dock.height() - height) <= 2
    second.close()


def test_panels_come_back_as_left_in_2d_after_quitting_in_3d(qtbot, window, settings):
    assert window.error_dock.isVisible() and window.lessons_dock.isVisible()
    type_expression(qtbot, window, "x*y")
    assert not window.error_dock.isVisible()
    window.close()

    second = open_window(qtbot, settings)
    assert second.is_two_variables() and not second.error_dock.isVisible()
    assert second.lessons_dock.isVisible()
    type_expression(qtbot, second, "x^2")
    assert second.error_dock.isVisible(), "the error plot is back in 2D"
    # and one the user closed in 2D stays closed
    second.error_dock.close()
    type_expression(qtbot, second, "x*y")
    second.close()

    third = open_window(qtbot, settings)
    type_expression(qtbot, third, "x^3")
    assert not third.error_dock.isVisible()
    assert third.lessons_dock.isVisible()
    third.close()


def test_presentation_enlarges_hides_the_panels_and_restores_them(qtbot, window, settings):
    window.lessons_dock.close()  # the user's choice stands after the presentation
    qtbot.wait(50)
    line_font = window.editor.line.font().pointSizeF()
    value_font = window.findChild(QLabel, "secantSlopeLabel").font().pointSizeF()
    f_width = window.plot2d.f_curve.opts["pen"].widthF()
    secant_width = window.plot2d.secant.opts["pen"].widthF()
    dot_size = window.plot2d.points.opts["size"]
    assert window.plot2d.getPlotItem().getAxis("bottom").style["tickFont"] is None
    action = window.findChild(QAction, "presentationAction")
    assert action.isCheckable() and action.shortcut().toString() == "F11"
    assert action in window.findChild(QMenu, "viewMenu").actions()

    action.trigger()
    qtbot.wait(50)
    assert window.is_presenting()
    assert not window.error_dock.isVisible() and not window.lessons_dock.isVisible()
    assert window.editor.line.font().pointSizeF() > line_font * 1.2
    assert window.findChild(QLabel, "secantSlopeLabel").font().pointSizeF() > value_font
    assert window.plot2d.f_curve.opts["pen"].widthF() >= 1.5 * f_width
    assert window.plot2d.secant.opts["pen"].widthF() >= 1.5 * secant_width
    assert window.plot2d.points.opts["size"] > dot_size
    assert window.plot2d.getPlotItem().getAxis("bottom").style["tickFont"] is not None
    label = window.findChild(QLabel, "secantSlopeLabel")
    assert QFontMetrics(label.font()).horizontalAdvance("-0.149738499348") <= label.width()
    # a new expression in 3D and back keeps the docks away while presenting
    type_expression(qtbot, window, "x*y")
    type_expression(qtbot, window, "x^2")
    assert not window.error_dock.isVisible()
    window.close()  # quitting while presenting: the next start has the panels as before it
    second = open_window(qtbot, settings)
    assert not second.is_presenting()
    assert second.error_dock.isVisible() and not second.lessons_dock.isVisible()
    second.close()


def test_presentation_toggles_back(qtbot, window):
    line_font = window.editor.line.font().pointSizeF()
    f_width = window.plot2d.f_curve.opts["pen"].widthF()
    label = window.findChild(QLabel, "secantSlopeLabel")
    label_size = label.size()
    window.presentation_action.trigger()
    qtbot.wait(50)
    window.presentation_action.trigger()
    qtbot.wait(50)
    assert not window.is_presenting()
    assert window.error_dock.isVisible() and window.lessons_dock.isVisible()
    assert window.editor.line.font().pointSizeF() == line_font
    assert window.plot2d.f_curve.opts["pen"].widthF() == f_width
    assert label.size() == label_size
    assert window.plot2d.getPlotItem().getAxis("bottom").style["tickFont"] is None


def ui_texts(window) -> list[tuple[str, QFont]]:
    """Every text of the window a student can see, with the font it is drawn in."""
    texts: list[tuple[str, QFont]] = []
    widgets = [window, *window.findChildren(QWidget)]
    for widget in widgets:
        font = widget.font()
        if isinstance(widget, QLabel):
            texts.append((widget.text(), font))
        elif isinstance(widget, QAbstractButton):
            texts.append((widget.text(), font))
        elif isinstance(widget, QGroupBox):
            texts.append((widget.title(), font))
        elif isinstance(widget, QTabBar):
            texts += [(widget.tabText(i), font) for i in range(widget.count())]
        elif isinstance(widget, QListWidget):
            texts += [(widget.item(i).text(), font) for i in range(widget.count())]
        elif isinstance(widget, QTextBrowser):
            texts.append((widget.toPlainText(), font))
        elif isinstance(widget, QDoubleSpinBox):
            texts.append((widget.suffix() + widget.prefix(), font))
        if isinstance(widget, QDockWidget) or widget.isWindow():
            texts.append((widget.windowTitle(), font))
        if widget.toolTip():
            texts.append((widget.toolTip(), QFont()))
    for action in window.findChildren(QAction):
        texts.append((action.text(), window.menuBar().font()))
        texts.append((action.toolTip(), QFont()))
    for menu in window.menuBar().findChildren(QMenu):
        texts.append((menu.title(), window.menuBar().font()))
    for plot in window.findChildren(pg.PlotWidget):
        item = plot.getPlotItem()
        for name in ("left", "bottom"):
            texts.append((item.getAxis(name).labelText, QFont()))
        if item.legend is not None:
            texts += [(label.text, QFont()) for _sample, label in item.legend.items]
        texts += [(child.textItem.toPlainText(), child.textItem.font())
                  for child in item.getViewBox().addedItems if isinstance(child, pg.TextItem)]
    return texts


def missing_glyphs(texts: list[tuple[str, QFont]]) -> dict[str, str]:
    """Characters no DejaVu font used here draws (Qt would show a box), with a text that has them."""
    fallbacks = [QFontMetrics(QFont(family)) for family in ("DejaVu Sans", "DejaVu Sans Mono")]
    missing: dict[str, str] = {}
    for text, font in texts:
        metrics = QFontMetrics(font)
        for ch in set(text):
            if ord(ch) < 128 or ch.isspace() or ch in missing:
                continue
            if not metrics.inFontUcs4(ord(ch)) and not any(m.inFontUcs4(ord(ch)) for m in fallbacks):
                missing[ch] = text
    return missing


@pytest.mark.gl
def test_every_glyph_in_the_window_is_in_the_fonts(qtbot, window):
    texts = ui_texts(window)
    window.sweep.start(0.5)  # the pause glyph
    texts += ui_texts(window)
    window.sweep.stop()
    for lesson in load_lessons():
        window.controller.load_lesson(lesson)
        qtbot.waitUntil(lambda lesson=lesson: window.compiled is not None
                        and window.compiled.text == lesson.expression, timeout=20000)
        texts += ui_texts(window)
    window.controller.reveal_answer()
    window.presentation_action.trigger()
    texts += ui_texts(window)
    window.presentation_action.trigger()
    texts += [(dialog.findChild(QTextBrowser).toPlainText(), dialog.findChild(QTextBrowser).font())
              for dialog in (window.show_shortcuts(), window.show_syntax())]
    assert "❚❚" in "".join(text for text, _font in texts)
    assert missing_glyphs(texts) == {}


def test_the_glyph_check_finds_a_missing_glyph():
    assert "⏸" in missing_glyphs([("⏸ pause", QFont())])


def test_keyboard_shortcuts_lists_every_shortcut(qtbot, window):
    dialog = window.show_shortcuts()
    text = dialog.findChild(QTextBrowser).toPlainText()
    actions = [a for a in window.findChildren(QAction) if any(not k.isEmpty() for k in a.shortcuts())]
    assert len(actions) >= 15
    for action in actions:
        for key in action.shortcuts():
            assert key.toString(key.NativeText) in text, (action.text(), key.toString())
        assert action.text().replace("&", "") in text
    for key in ("F5", "Space", "F11", "Ctrl+L", "F1"):
        assert key in text
    # a new action is listed at once: the list is read from the actions
    extra = QAction("Do a new thing", window)
    extra.setShortcut("Ctrl+Shift+J")
    window.addAction(extra)
    assert "Ctrl+Shift+J" in window.show_shortcuts().findChild(QTextBrowser).toPlainText()
    menu_texts = [a.text() for a in window.findChild(QMenu, "helpMenu").actions()]
    assert "&Keyboard shortcuts" in menu_texts


def test_expression_syntax_lists_the_unicode_it_takes(qtbot, window):
    text = window.show_syntax().findChild(QTextBrowser).toPlainText()
    for symbol in "π²³·×−÷√":
        assert symbol in text


def test_the_syntax_help_examples_parse():
    from derivgui.expr.parse import parse
    from derivgui.ui.help import UNICODE_SYNTAX

    for _symbol, _meaning, examples in UNICODE_SYNTAX:
        for example in examples.split(", "):
            parse(example)
