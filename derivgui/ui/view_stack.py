"""The views' stack: the 2D plot, or the 3D page for f(x, y)."""

from __future__ import annotations

from PyQt5.QtCore import QSize
from PyQt5.QtWidgets import QStackedWidget, QWidget


class ViewStack(QStackedWidget):
    """A QStackedWidget as small as its current page allows (Qt's asks for the largest page's
    minimum: the 3D page's, wider than a small screen leaves, held the 2D view's window wide too)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.currentChanged.connect(lambda _index: self.updateGeometry())

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        page = self.currentWidget()
        return page.sizeHint() if page is not None else super().sizeHint()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        page = self.currentWidget()
        if page is None:
            return super().minimumSizeHint()
        return page.minimumSizeHint().expandedTo(page.minimumSize())
