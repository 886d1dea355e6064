"""The slope readouts draw cheaply and look as the rich-text labels they replaced."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt5.QtCore import QEvent, QPointF, Qt
from PyQt5.QtGui import QEnterEvent, QImage
from PyQt5.QtWidgets import QApplication, QGroupBox, QLabel, QVBoxLayout

from derivgui.core.geometry import secant_report
from derivgui.ui.controls import CachedFrameGroupBox
from derivgui.ui.readouts import ALONG_X, ONE_VARIABLE, SlopeReadouts, cancellation_html


def pixels(widget) -> np.ndarray:
    image = widget.grab().toImage().convertToFormat(QImage.Format_RGB32)
    data = image.constBits()
    data.setsize(image.sizeInBytes())
    return np.frombuffer(data, np.uint8).reshape(image.height(), image.width(), 4).copy()


def sin_and_cos(x):
    return np.sin(x), (np.cos(x),)


def reciprocal(x):
    with np.errstate(divide="ignore"):
        return 1 / x, (-1 / x**2,)


@pytest.mark.parametrize("names", [ONE_VARIABLE, ALONG_X])
@pytest.mark.parametrize(("f", "a", "delta"), [
    (sin_and_cos, 1.0, 0.5),  # nothing shared, a one-line sentence
    (sin_and_cos, -2.0, 1e-7),  # digits highlighted, a two-line sentence
    (sin_and_cos, 1.0, 1e-17),  # a + Δa == a: everything shared
    (reciprocal, 0.0, 1e-3),  # f(a) not finite
])
def test_cancellation_inspector_looks_as_its_html(qtbot, names, f, a, delta):
    readouts = SlopeReadouts(names)
    qtbot.addWidget(readouts)
    report = secant_report(f, a, delta)
    readouts.show_report(report)
    painted = readouts.cancellation
    html_label = QLabel(cancellation_html(report, names))
    qtbot.addWidget(html_label)
    html_label.setTextFormat(Qt.RichText)
    html_label.setWordWrap(True)
    html_label.setFont(painted.font())
    html_label.setFixedSize(painted.size())
    assert painted.text() == html_label.text()
    assert np.array_equal(pixels(painted), pixels(html_label))


def test_value_labels_are_selectable_under_the_pointer(qtbot):
    readouts = SlopeReadouts()
    qtbot.addWidget(readouts)
    readouts.show()
    qtbot.waitExposed(readouts)
    label = readouts.secant
    assert not label.textInteractionFlags() & Qt.TextSelectableByMouse  # a new text builds no text document
    centre = QPointF(label.rect().center())
    QApplication.sendEvent(label, QEnterEvent(centre, centre, QPointF(label.mapToGlobal(label.rect().center()))))
    assert label.textInteractionFlags() & Qt.TextSelectableByMouse
    QApplication.sendEvent(label, QEvent(QEvent.Leave))
    assert not label.textInteractionFlags() & Qt.TextSelectableByMouse


@pytest.mark.parametrize("size", [(380, 260), (250, 120)])
def test_cached_group_box_looks_as_a_group_box(qtbot, size):
    boxes = []
    for cls in (QGroupBox, CachedFrameGroupBox):
        box = cls("Slopes at a")
        qtbot.addWidget(box)
        QVBoxLayout(box).addWidget(QLabel("0.841470984808"))
        box.resize(400, 300)
        box.show()
        qtbot.waitExposed(box)
        box.resize(*size)  # a new size renders a new frame
        boxes.append(box)
    qtbot.wait(50)
    plain, cached = (pixels(box).astype(int) for box in boxes)
    assert np.abs(plain - cached).max() <= 2  # compositing through a pixmap may round a level or two
    boxes[1].findChild(QLabel).setText("-0.416146836547")
    boxes[0].findChild(QLabel).setText("-0.416146836547")
    qtbot.wait(50)
    assert np.abs(pixels(boxes[0]).astype(int) - pixels(boxes[1]).astype(int)).max() <= 2
