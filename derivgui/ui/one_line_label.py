"""A one-line label whose text never resizes the window."""

from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QLabel, QSizePolicy, QWidget


class OneLineLabel(QLabel):
    """A selectable line of text that takes the width the layout gives it.

    A plain QLabel asks for the width of its whole text, so a long derivative formula or
    expression made the main window wider (past the screen's edge) and re-laid out and repainted
    every view in it: a 160 ms stall (measured). This one is clipped
    instead, and its tooltip holds the whole text. Its height is fixed, measured on ``sample``
    (superscripts and symbols from fallback fonts have other ascents: a label 1 px taller
    relaid the window out too).
    """

    def __init__(self, description: str, sample: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._description = description
        self.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        super().setText(sample)
        self.ensurePolished()
        self.setFixedHeight(self.sizeHint().height() + 2)
        self.setText("")

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        super().setText(text)
        parts = [part for part in (text.strip(), self._description) if part]
        self.setToolTip("\n\n".join(parts))
