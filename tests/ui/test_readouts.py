"""The slope readouts draw cheaply and look as the rich-text labels they replaced."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PyQt5.QtCore import QEvent, QPointF, Qt
from PyQt5.QtGui import QEnterEvent, QImage, QStaticText, QTransform
from PyQt5.QtWidgets import QApplication, QGroupBox, QLabel, QVBoxLayout

from derivgui.numeric.geometry import digits_text, secant_report
from derivgui.ui.panels.controls import CachedFrameGroupBox
from derivgui.ui.panels.readouts import (
    ALONG_X,
    ALONG_Y,
    ONE_VARIABLE,
    SlopeReadouts,
    cancellation_html,
    cancellation_parts,
)


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


def cube(x):
    return x**3, (3 * x**2,)


@pytest.mark.parametrize("names", [ONE_VARIABLE, ALONG_X])
@pytest.mark.parametrize(("f", "a", "delta"), [
    (sin_and_cos, 1.0, 0.5),  # nothing shared, a one-line sentence
    (sin_and_cos, -2.0, 1e-7),  # digits highlighted, a two-line sentence
    (sin_and_cos, 1.0, 1e-17),  # a + Δa == a: everything shared
    (reciprocal, 0.0, 1e-3),  # f(a) not finite
    (cube, 1e5, -1e-6),  # digits shared across a power of ten: 1.0000000000|000000e+15, 0.9999999999|700001e+15
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


# -- one secant slope, one count of lost digits ----------------------------------------------------

def _compiled(text: str):
    import derivgui

    return derivgui.compile_expr(text).value_and_grad


def test_exp_readout_slope_is_the_drawn_lines_slope(qtbot):
    """exp at a = 10, Δa = 1e-15: a + Δa is rounded, the step taken is h = 2^-49 ≈ 1.78e-15, and the
    readout, the drawn secant and (f(a + h) − f(a))/h are one number: 20480 (not 36379.79)."""
    from derivgui.ui.view2d.plot2d import Plot2DView

    exp = _compiled("exp(x)")
    a, delta = 10.0, 1e-15
    h = (a + delta) - a
    (f_a, f_ah), _ = exp(np.array([a, a + h]))
    report = secant_report(exp, a, delta)
    readouts = SlopeReadouts()
    qtbot.addWidget(readouts)
    readouts.show_report(report)
    view = Plot2DView()
    qtbot.addWidget(view)
    view.set_function(exp, (9.0, 11.0))
    view.set_report(report)
    xs, ys = view.secant._x, view.secant._y  # the line drawn across the view
    drawn = (ys[1] - ys[0]) / (xs[1] - xs[0])
    shown = float(readouts.secant.text())
    assert shown == (f_ah - f_a) / h == 20480.0
    assert drawn == pytest.approx(shown, rel=1e-9)
    (pa, pad), (fa, fad) = view.points._x, view.points._y  # the two points drawn
    assert (pa, pad) == (a, a + h)
    assert (fad - fa) / (pad - pa) == shown  # the line's slope is the points' slope
    assert "Δa is rounded at a's scale: the step taken is h = 1.7763568394e-15" in readouts.problem.text()
    assert float(readouts.error.text()) == pytest.approx(20480.0 - f_a, rel=1e-3)


def test_exact_step_shows_no_h(qtbot):
    readouts = SlopeReadouts()
    qtbot.addWidget(readouts)
    readouts.show_report(secant_report(sin_and_cos, 1.0, 0.5))
    assert "h =" not in readouts.problem.text()


def test_cube_at_1e5_highlights_shared_digits(qtbot):
    """x³ at a = 1e5, Δa = −1e-6: f(a) = 1e15 and f(a + Δa) = 9.99999999970e14 agree in 11 places
    across the power of ten; the inspector highlights them and its count matches the digits lost."""
    readouts = SlopeReadouts()
    qtbot.addWidget(readouts)
    report = secant_report(_compiled("x^3"), 1e5, -1e-6)
    readouts.show_report(report)
    rows, sentence = cancellation_parts(report, ONE_VARIABLE)
    (_, u_text, u_n), (_, v_text, v_n) = rows
    assert u_text[:u_n] == "1.0000000000" and v_text[:v_n] == "0.9999999999"
    assert sentence == "11 leading digits shared: the difference keeps ≈ 5.5 of ~16 digits (10.5 lost)"
    assert readouts.problem.text().startswith("10.5 of ~16 digits cancelled")
    assert "background:#ffd5d5" in readouts.cancellation.text()


def _counts(readouts: SlopeReadouts) -> tuple[int | None, float | None, float | None]:
    """The shared count and digits lost of the inspector, and the digits cancelled of the sentence above."""
    sentence = readouts.cancellation._sentence
    shared = re.match(r"(\d+) leading digits shared", sentence)
    lost = re.search(r"\((\d+\.\d) (?:of ~16 digits )?lost\)", sentence)
    above = re.match(r"(\d+\.\d) of ~16 digits cancelled", readouts.problem.text())
    return (int(shared[1]) if shared else None, float(lost[1]) if lost else None,
            float(above[1]) if above else None)


@pytest.mark.parametrize(("expr", "a"), [("exp(x)", 10.0), ("x^3", 1e5), ("x^2", 1.0), ("sin(x)", -2.0),
                                          ("1/x", 3e-3), ("x^3", -7.77)])
def test_counts_agree_on_one_screen(qtbot, expr, a):
    """For every Δa of the slider's range: one number of digits lost, written the same in both
    sentences; the shared count within 1 of it and never more than 16 ("of ~16")."""
    f = _compiled(expr)
    readouts = SlopeReadouts()
    qtbot.addWidget(readouts)
    seen_shared = set()
    for delta in [s * 10.0 ** e for e in np.arange(0.0, -17.25, -0.25) for s in (1.0, -1.0)]:
        report = secant_report(f, a, delta)
        readouts.show_report(report)
        shared, lost, above = _counts(readouts)
        assert lost is not None and lost == float(digits_text(report.digits_lost))
        if above is not None:
            assert above == lost
        if shared is not None:
            assert shared <= 16 and abs(shared - report.digits_lost) < 1
            seen_shared.add(shared)
        else:  # f(a + Δa) == f(a)
            assert readouts.cancellation._sentence.startswith("All digits shared") and lost == 16.0
        texts = readouts.problem.text() + readouts.cancellation._sentence
        assert not re.search(r"\b1[7-9](\.\d)? (leading digits|of ~16)", texts)
    assert max(seen_shared) >= 14


@pytest.mark.parametrize(("names", "expr", "a", "delta"), [
    (ONE_VARIABLE, "exp(x)", 10.0, 1e-15),
    (ONE_VARIABLE, "x^3", 1e5, -1e-6),
    (ALONG_Y, "x^3", -1e5, 1e-6),
    (ALONG_X, "x^2", 1.0, 3e-16),  # rounding noise
    (ONE_VARIABLE, "x^2", 1.0, 1e-17),  # no step
])
def test_texts_fit_their_fixed_labels(qtbot, names, expr, a, delta):
    readouts = SlopeReadouts(names)
    qtbot.addWidget(readouts)
    readouts.show_report(secant_report(_compiled(expr), a, delta))
    for label in (readouts.f_a, readouts.f_a_delta, readouts.secant, readouts.error):
        assert label.fontMetrics().horizontalAdvance(label.text()) <= label.contentsRect().width(), label.text()
    inspector = readouts.cancellation
    mono, metrics = inspector._layout_fonts()
    captions = max(metrics.horizontalAdvance(caption + "\u00a0") for caption, _d, _n in inspector._rows)
    digits = max(metrics.horizontalAdvance(d) for _c, d, _n in inspector._rows)
    assert captions + 3 * inspector.PAD + digits <= inspector.contentsRect().width()
    sentence = QStaticText(inspector._sentence)
    sentence.setTextFormat(Qt.PlainText)
    sentence.setTextWidth(inspector.contentsRect().width())
    sentence.prepare(QTransform(), inspector.font())
    table = len(inspector._rows) * (metrics.height() + 2 * inspector.PAD)
    assert table + sentence.size().height() <= inspector.contentsRect().height()
