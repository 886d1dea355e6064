"""A one-line label whose text never resizes the window, with its whole text one click away."""

from __future__ import annotations

from PyQt5.QtCore import QEvent, Qt, QTimer
from PyQt5.QtGui import QGuiApplication, QKeyEvent, QPainter
from PyQt5.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyleOption,
    QStyleOptionFocusRect,
    QVBoxLayout,
    QWidget,
)

ELLIPSIS = "…"
_ACTIVATE_KEYS = (Qt.Key_Return, Qt.Key_Enter, Qt.Key_Space)


class FullTextDialog(QDialog):
    """The whole text of a label, read-only but selectable, with a Copy button."""

    def __init__(self, description: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fullTextDialog")
        self.setWindowTitle("derivgui — full text")
        layout = QVBoxLayout(self)
        if description:
            about = QLabel(description[:1].upper() + description[1:])
            about.setObjectName("fullTextDescription")
            about.setWordWrap(True)
            layout.addWidget(about)
        self.edit = QPlainTextEdit()
        self.edit.setObjectName("fullTextEdit")
        self.edit.setReadOnly(True)
        self.edit.setTextInteractionFlags(Qt.TextSelectableByMouse | Qt.TextSelectableByKeyboard)
        self.edit.setLineWrapMode(QPlainTextEdit.WidgetWidth)
        layout.addWidget(self.edit)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setObjectName("copyFullTextButton")
        self.copy_button.setToolTip("copy the whole text to the clipboard")
        buttons.addButton(self.copy_button, QDialogButtonBox.ActionRole)
        buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self.copy)
        layout.addWidget(buttons)
        self.resize(640, 220)

    def set_text(self, text: str) -> None:
        if text != self.edit.toPlainText():
            self.edit.setPlainText(text)
            self.copy_button.setText("Copy")

    def text(self) -> str:
        return self.edit.toPlainText()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text())
        self.copy_button.setText("Copied ✓")
        # A timer owned by the button dies with it: a dialog closed within 1.5 s leaves no callback behind.
        reset = QTimer(self.copy_button)
        reset.setSingleShot(True)
        reset.timeout.connect(lambda: self.copy_button.setText("Copy"))
        reset.start(1500)


class OneLineLabel(QLabel):
    """A line of text that takes the width the layout gives it.

    A plain QLabel asks for the width of its whole text, so a long derivative formula or
    expression made the main window wider (past the screen's edge) and re-laid out and repainted
    every view in it: a 160 ms stall (measured). This one is painted elided instead (ending in
    "…" when clipped), and its whole text is one click away: a click, or Enter or Space when it
    has keyboard focus, opens a ``FullTextDialog`` to read, select and copy it. The tooltip holds
    it too. ``text()`` is always the whole text. Its height is fixed, measured on ``sample``
    (superscripts and symbols from fallback fonts have other ascents: a label 1 px taller
    relaid the window out too).
    """

    def __init__(self, description: str, sample: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._description = description
        self._dialog: FullTextDialog | None = None
        self._pressed = False
        self.setTextFormat(Qt.PlainText)
        self.setTextInteractionFlags(Qt.NoTextInteraction)
        self.setFocusPolicy(Qt.TabFocus)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        if description:
            self.setAccessibleDescription(description)
        super().setText(sample)
        self.ensurePolished()
        self.setFixedHeight(self.sizeHint().height() + 2)
        self.setText("")

    # -- text -----------------------------------------------------------------------------------

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        super().setText(text)
        whole = text.strip()
        parts = [part for part in (whole, self._description) if part]
        if whole:
            parts.append("Click (or Tab here and press Enter) to see the whole text and copy it.")
        self.setToolTip("\n\n".join(parts))
        self.setCursor(Qt.PointingHandCursor if whole else Qt.ArrowCursor)
        if self._dialog is not None:
            self._dialog.set_text(text)

    def elided_text(self) -> str:
        """The text as painted: the whole text, or as much as fits followed by "…"."""
        text = self.text()
        width = self._text_rect().width()
        metrics = self.fontMetrics()
        if metrics.horizontalAdvance(text) <= width:
            return text
        elided = metrics.elidedText(text, Qt.ElideRight, width)
        if not elided.endswith(ELLIPSIS):  # some styles elide with "...": make it the one character
            elided = elided.rstrip(".") + ELLIPSIS
        return elided

    def is_clipped(self) -> bool:
        return self.elided_text() != self.text()

    def _text_rect(self):
        rect = self.contentsRect()
        margin = self.margin()
        return rect.adjusted(margin, margin, -margin, -margin)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        self.drawFrame(painter)
        option = QStyleOption()
        option.initFrom(self)
        rect = self._text_rect()
        self.style().drawItemText(painter, rect, int(self.alignment()), option.palette, self.isEnabled(),
                                  self.elided_text(), self.foregroundRole())
        if self.hasFocus():
            focus = QStyleOptionFocusRect()
            focus.initFrom(self)
            focus.rect = rect
            self.style().drawPrimitive(QStyle.PE_FrameFocusRect, focus, painter, self)

    # -- the whole text, one click away ------------------------------------------------------------

    def show_full_text(self) -> FullTextDialog | None:
        """Open (or raise) the dialog with the whole text; None when there is no text."""
        if not self.text().strip():
            return None
        if self._dialog is None:
            self._dialog = FullTextDialog(self._description, self.window())
        self._dialog.set_text(self.text())
        self._dialog.show()
        self._dialog.raise_()
        self._dialog.activateWindow()
        self._dialog.edit.setFocus()
        return self._dialog

    def full_text_dialog(self) -> FullTextDialog | None:
        return self._dialog

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self._pressed = event.button() == Qt.LeftButton
        event.accept()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self._pressed and event.button() == Qt.LeftButton and self.rect().contains(event.pos()):
            self.show_full_text()
        self._pressed = False
        event.accept()

    def event(self, event) -> bool:
        # With focus here, Enter and Space open the dialog rather than trigger a window shortcut
        # (Space plays the Δ animation), as they would press a focused button.
        if event.type() == QEvent.ShortcutOverride and isinstance(event, QKeyEvent):
            if event.key() in _ACTIVATE_KEYS and event.modifiers() in (Qt.NoModifier, Qt.KeypadModifier):
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.key() in _ACTIVATE_KEYS and event.modifiers() in (Qt.NoModifier, Qt.KeypadModifier):
            self.show_full_text()
            event.accept()
            return
        super().keyPressEvent(event)
