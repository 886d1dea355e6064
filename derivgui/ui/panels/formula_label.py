"""The line under the editor with the derivative autodiff built, or an exercise's hidden answer."""

from __future__ import annotations

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import QWidget

from derivgui.ui.panels.one_line_label import OneLineLabel

# What an exercise shows in place of the autodiff formula until the student's check says ✓.
HIDDEN_ANSWER = "autodiff: hidden: type your answer below, or click to reveal"


class FormulaLabel(OneLineLabel):
    """The autodiff formula; in an exercise it stands hidden, and a click (or Enter) reveals it."""

    reveal_requested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("the derivative autodiff built: PyTensor's gradient graph after its rewrites",
                         "autodiff:  ∂f/∂x = √(x² + y⁻¹)·σ(−x)·log₁₀(x)  ∂f/∂y", parent)
        self.setObjectName("derivativeFormulaLabel")
        self.setStyleSheet("color: #8a4b00; font-size: 13pt;")
        self.answer_hidden = False
        self.formula = ""

    def show_formula(self, formula: str | None = None, hidden: bool | None = None) -> None:
        """The autodiff formula, or in an exercise the note that it waits for the student's answer."""
        self.formula = self.formula if formula is None else formula
        self.answer_hidden = self.answer_hidden if hidden is None else hidden
        colour = ("#8a4b00", "#777777") if self.answer_hidden else ("#777777", "#8a4b00")
        self.setText(HIDDEN_ANSWER if self.answer_hidden else self.formula)
        self.setStyleSheet(self.styleSheet().replace(f"color: {colour[0]}", f"color: {colour[1]}"))

    def show_full_text(self):
        if self.answer_hidden:
            self.reveal_requested.emit()
            return None
        return super().show_full_text()
