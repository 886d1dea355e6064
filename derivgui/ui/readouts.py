"""Numeric readouts of the secant and tangent slopes, honest about lost digits."""

from __future__ import annotations

import html

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QFont, QFontMetrics
from PyQt5.QtWidgets import QGridLayout, QGroupBox, QLabel, QWidget

from derivgui.core.geometry import SecantReport, format_number, shared_leading_digits


def _value_label(name: str, tooltip: str) -> QLabel:
    label = QLabel("—")
    label.setObjectName(name)
    label.setToolTip(tooltip)
    label.setTextInteractionFlags(Qt.TextSelectableByMouse)
    font = QFont("DejaVu Sans Mono")
    font.setStyleHint(QFont.Monospace)
    label.setFont(font)
    # A fixed size keeps a new text from invalidating the panel's layout on every slider step.
    label.setFixedSize(200, QFontMetrics(font).height() + 4)
    return label


ONE_VARIABLE = {
    "title": "Slopes at a",
    "f_a": ("fAtPointLabel", "f(a)"),
    "f_a_delta": ("fAtStepLabel", "f(a + Δa)"),
    "secant": ("secantSlopeLabel", "secant slope"),
    "tangent": ("tangentSlopeLabel", "tangent f′(a)"),
    "error": ("slopeErrorLabel", "secant − tangent"),
    "problem": "slopeProblemLabel",
    "cancellation": "cancellationLabel",
}
ALONG_X = {
    "title": "Along x (y = b fixed)",
    "f_a": ("fAtPoint3DLabel", "f(a, b)"),
    "f_a_delta": ("fAtStepXLabel", "f(a + Δa, b)"),
    "secant": ("secantXSlopeLabel", "secant slope"),
    "tangent": ("gradientXLabel", "∂f/∂x (autodiff)"),
    "error": ("slopeXErrorLabel", "secant − ∂f/∂x"),
    "problem": "slopeXProblemLabel",
    "cancellation": "cancellationXLabel",
}
ALONG_Y = {
    "title": "Along y (x = a fixed)",
    "f_a": ("fAtPoint3DYLabel", "f(a, b)"),
    "f_a_delta": ("fAtStepYLabel", "f(a, b + Δb)"),
    "secant": ("secantYSlopeLabel", "secant slope"),
    "tangent": ("gradientYLabel", "∂f/∂y (autodiff)"),
    "error": ("slopeYErrorLabel", "secant − ∂f/∂y"),
    "problem": "slopeYProblemLabel",
    "cancellation": "cancellationYLabel",
}


class SlopeReadouts(QGroupBox):
    """Secant slope, tangent slope and their difference, with 12 significant digits.

    ``names`` gives objectNames and captions, so the same group serves f(x) and each direction
    of f(x, y).
    """

    def __init__(self, names: dict = ONE_VARIABLE, parent: QWidget | None = None) -> None:
        super().__init__(names["title"], parent)
        self.names = names
        self.f_a = _value_label(names["f_a"][0], names["f_a"][1])
        self.f_a_delta = _value_label(names["f_a_delta"][0], names["f_a_delta"][1])
        self.secant = _value_label(names["secant"][0], "(f(a + Δa) − f(a)) / Δa: the slope of the secant")
        self.tangent = _value_label(names["tangent"][0], "the derivative from PyTensor's automatic differentiation")
        self.error = _value_label(names["error"][0], "secant slope − tangent slope: shrinks like the step")
        self.problem = QLabel("")
        self.problem.setObjectName(names["problem"])
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #a04000;")
        grid = QGridLayout(self)
        rows = [(names[key][1], getattr(self, key)) for key in ("f_a", "f_a_delta", "secant", "tangent", "error")]
        for row, (caption, label) in enumerate(rows):
            grid.addWidget(QLabel(caption), row, 0)
            grid.addWidget(label, row, 1)
        grid.addWidget(self.problem, len(rows), 0, 1, 2)
        self.cancellation = QLabel("")
        self.cancellation.setObjectName(names["cancellation"])
        self.cancellation.setTextFormat(Qt.RichText)
        self.cancellation.setWordWrap(True)
        self.cancellation.setFixedSize(380, 4 * QFontMetrics(self.cancellation.font()).height() + 12)
        self.cancellation.setToolTip("Cancellation inspector: the leading digits f(a) and f(a + Δa) share\n"
                                     "(highlighted) vanish in their difference.")
        grid.addWidget(self.cancellation, len(rows) + 1, 0, 1, 2)

    def show_report(self, report: SecantReport) -> None:
        self.f_a.setText(format_number(report.f_a))
        self.f_a_delta.setText(format_number(report.f_a_delta))
        self.tangent.setText(format_number(report.tangent_slope))
        if report.problem is None:
            self.secant.setText(format_number(report.secant_slope))
            self.error.setText(format_number(report.difference, 4))
            self.problem.setText(self._digits_note(report))
        else:
            short = "no step: a + Δa == a" if report.a + report.delta == report.a else "all digits cancelled"
            if "not finite" in report.problem:
                short = "f is not finite here"
            elif "rounding noise" in report.problem:
                short = "rounding noise"
            self.secant.setText(short)
            self.error.setText("meaningless (see below)")
            self.problem.setText(report.problem)
        self.cancellation.setText(cancellation_html(report, self.names))

    @staticmethod
    def _digits_note(report: SecantReport) -> str:
        if report.digits_lost >= 4:
            return f"{report.digits_lost:.0f} of ~16 digits cancelled in f(a + Δa) − f(a)"
        return ""

    def clear(self) -> None:
        for label in (self.f_a, self.f_a_delta, self.secant, self.tangent, self.error):
            label.setText("—")
        self.problem.setText("")


def _highlight(text: str, shared: int) -> str:
    """Wrap the first ``shared`` significant digits of a %.16e text in a highlight."""
    count = 0
    for i, ch in enumerate(text):
        if ch.isdigit() and count < shared:
            count += 1
            if count == shared:
                return ('<span style="background:#ffd5d5;color:#a00000">' + html.escape(text[: i + 1])
                        + "</span>" + html.escape(text[i + 1:]))
    return html.escape(text)


def cancellation_html(report: SecantReport, names: dict) -> str:
    """f(a) and f(a + Δa) with their shared leading digits highlighted and the digits lost."""
    c = shared_leading_digits(report.f_a, report.f_a_delta)
    left = html.escape(names["f_a"][1])
    right = html.escape(names["f_a_delta"][1])
    left_digits = _highlight(c.f_a_text, c.shared)
    right_digits = _highlight(c.f_a_delta_text, c.shared)
    kept = max(0.0, 16.0 - c.digits_lost)
    return (
        '<table cellspacing="0" cellpadding="1" style="font-family: monospace;">'
        f"<tr><td>{left}&nbsp;</td><td>{left_digits}</td></tr>"
        f"<tr><td>{right}&nbsp;</td><td>{right_digits}</td></tr></table>"
        f"<span>{c.shared} leading digits shared: the difference keeps ≈ {kept:.0f} of ~16 "
        f"significant digits ({c.digits_lost:.1f} lost)</span>"
    )
