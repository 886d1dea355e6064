"""Numeric readouts of the secant and tangent slopes, honest about lost digits."""

from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QFont
from PyQt5.QtWidgets import QGridLayout, QGroupBox, QLabel, QWidget

from derivgui.core.geometry import SecantReport, format_number


def _value_label(name: str, tooltip: str) -> QLabel:
    label = QLabel("—")
    label.setObjectName(name)
    label.setToolTip(tooltip)
    label.setTextInteractionFlags(Qt.TextSelectableByMouse)
    font = QFont("DejaVu Sans Mono")
    font.setStyleHint(QFont.Monospace)
    label.setFont(font)
    label.setMinimumWidth(190)
    return label


class SlopeReadouts(QGroupBox):
    """Secant slope, tangent slope and their difference, with 12 significant digits."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Slopes at a", parent)
        self.f_a = _value_label("fAtPointLabel", "f(a)")
        self.f_a_delta = _value_label("fAtStepLabel", "f(a + Δa)")
        self.secant = _value_label("secantSlopeLabel", "(f(a + Δa) − f(a)) / Δa: the slope of the secant")
        self.tangent = _value_label("tangentSlopeLabel", "f′(a) from PyTensor's automatic differentiation")
        self.error = _value_label("slopeErrorLabel", "secant slope − tangent slope: shrinks like Δa")
        self.problem = QLabel("")
        self.problem.setObjectName("slopeProblemLabel")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #a04000;")
        grid = QGridLayout(self)
        rows = [
            ("f(a)", self.f_a),
            ("f(a + Δa)", self.f_a_delta),
            ("secant slope", self.secant),
            ("tangent f′(a)", self.tangent),
            ("secant − tangent", self.error),
        ]
        for row, (caption, label) in enumerate(rows):
            grid.addWidget(QLabel(caption), row, 0)
            grid.addWidget(label, row, 1)
        grid.addWidget(self.problem, len(rows), 0, 1, 2)

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

    @staticmethod
    def _digits_note(report: SecantReport) -> str:
        if report.digits_lost >= 4:
            return f"{report.digits_lost:.0f} of ~16 digits cancelled in f(a + Δa) − f(a)"
        return ""

    def clear(self) -> None:
        for label in (self.f_a, self.f_a_delta, self.secant, self.tangent, self.error):
            label.setText("—")
        self.problem.setText("")
