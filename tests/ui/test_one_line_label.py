"""OneLineLabel: clipped with "…", a fixed height, and its whole text one click (or key) away."""

from __future__ import annotations

import pytest
from PyQt5.QtCore import Qt
from PyQt5.QtGui import QGuiApplication
from PyQt5.QtWidgets import QApplication, QVBoxLayout, QWidget

from derivgui.ui.panels.one_line_label import ELLIPSIS, OneLineLabel

LONG = "autodiff:  f′(x) = " + " + ".join(f"{k}·cos({k}·x)·exp(−x²/{k})" for k in range(1, 40))


@pytest.fixture
def label(qtbot):
    host = QWidget()
    layout = QVBoxLayout(host)
    label = OneLineLabel("the derivative autodiff built", sample="autodiff:  ∂f/∂x = √(x² + y⁻¹)·σ(−x)")
    label.setObjectName("derivativeFormulaLabel")
    layout.addWidget(label)
    qtbot.addWidget(host)
    host.resize(400, 80)
    host.show()
    qtbot.waitExposed(host)
    yield label
    host.close()


def test_a_long_text_is_elided_with_an_ellipsis_and_kept_whole(label):
    height = label.height()
    label.setText(LONG)
    assert label.text() == LONG
    assert label.is_clipped()
    shown = label.elided_text()
    assert shown.endswith(ELLIPSIS) and len(shown) < len(LONG)
    assert LONG.startswith(shown[:-1].rstrip())
    assert label.fontMetrics().horizontalAdvance(shown) <= label.contentsRect().width()
    assert LONG in label.toolTip()
    assert label.height() == height  # fixed: a new text never relays the window out
    label.setText("autodiff:  f′(x) = cos(x)")
    assert not label.is_clipped() and label.elided_text() == "autodiff:  f′(x) = cos(x)"


def test_a_click_opens_the_whole_text_to_copy(qtbot, label):
    label.setText(LONG)
    qtbot.mouseClick(label, Qt.LeftButton)
    dialog = label.full_text_dialog()
    assert dialog is not None and dialog.isVisible()
    assert dialog.text() == LONG
    assert dialog.edit.isReadOnly()
    assert dialog.edit.textInteractionFlags() & Qt.TextSelectableByMouse
    QApplication.clipboard().clear()
    qtbot.mouseClick(dialog.copy_button, Qt.LeftButton)
    assert QGuiApplication.clipboard().text() == LONG
    # a new formula while it is open shows there too
    label.setText("autodiff:  f′(x) = 2·x")
    assert dialog.text() == "autodiff:  f′(x) = 2·x"
    dialog.close()


@pytest.mark.parametrize("key", [Qt.Key_Return, Qt.Key_Enter, Qt.Key_Space])
def test_the_keyboard_opens_it_too(qtbot, label, key):
    assert label.focusPolicy() & Qt.TabFocus
    label.setText(LONG)
    label.setFocus()
    qtbot.keyClick(label, key)
    dialog = label.full_text_dialog()
    assert dialog is not None and dialog.isVisible() and dialog.text() == LONG
    dialog.close()


def test_an_empty_label_opens_nothing(qtbot, label):
    label.setText("")
    qtbot.mouseClick(label, Qt.LeftButton)
    assert label.full_text_dialog() is None
