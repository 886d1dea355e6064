"""The expression editor: compile-as-you-type, an inline error marker at the column, history."""

from __future__ import annotations

from PyQt5.QtCore import QCoreApplication, Qt, QTimer, pyqtSignal
from PyQt5.QtGui import QColor, QFont, QInputMethodEvent, QTextCharFormat
from PyQt5.QtWidgets import QLineEdit, QVBoxLayout, QWidget

from derivgui.ui.one_line_label import OneLineLabel

DEBOUNCE_MS = 150
HISTORY_LIMIT = 100


class ExpressionLineEdit(QLineEdit):
    """A line edit that can underline one character in red and recall history with Up/Down."""

    history_step = pyqtSignal(int)  # -1 older, +1 newer

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Up:
            self.history_step.emit(-1)
        elif event.key() == Qt.Key_Down:
            self.history_step.emit(+1)
        else:
            super().keyPressEvent(event)

    def mark(self, column: int | None) -> None:
        """Underline the character at ``column`` (the last one if the fault is at the very end)."""
        attributes = []
        text_len = len(self.text())
        if column is not None and text_len:
            start = min(column, text_len - 1)
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.WaveUnderline)
            fmt.setUnderlineColor(QColor("#d62728"))
            fmt.setBackground(QColor("#fde0e0"))
            fmt.setForeground(QColor("#b00000"))
            # Positions in a preedit event are relative to the cursor.
            attributes.append(QInputMethodEvent.Attribute(
                QInputMethodEvent.TextFormat, start - self.cursorPosition(), 1, fmt))
        QCoreApplication.sendEvent(self, QInputMethodEvent("", attributes))


class ExpressionEditor(QWidget):
    """Emits ``submitted(text)`` 150 ms after typing stops, or at once on Enter."""

    submitted = pyqtSignal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.line = ExpressionLineEdit()
        self.line.setObjectName("expressionEdit")
        font = QFont("DejaVu Sans Mono")
        font.setStyleHint(QFont.Monospace)
        font.setPointSize(13)
        self.line.setFont(font)
        self.line.setPlaceholderText("f(x) or f(x, y), e.g. 1/(1+exp(-x)), x^2*y + y, sin(sqrt(x^2+y^2))")
        self.line.setToolTip(
            "Type f(x) or f(x, y). ^ or ** is power, 2x and (x+1)(x-1) are products,\n"
            "functions: exp log ln sqrt sin cos tan sigmoid tanh abs min max …  Up/Down: history")
        self.line.setClearButtonEnabled(True)
        self.message = OneLineLabel("", sample="✗ column 12: √ ² ✓ f(x, y)")
        self.message.setObjectName("expressionMessage")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.line)
        layout.addWidget(self.message)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.submit)
        self.line.textEdited.connect(self._on_edited)
        self.line.returnPressed.connect(self._on_return)
        self.line.history_step.connect(self._recall)
        self.history: list[str] = []
        self._history_pos = 0
        self._draft = ""

    def text(self) -> str:
        return self.line.text()

    def set_text(self, text: str, submit: bool = True) -> None:
        self.line.setText(text)
        self.line.mark(None)
        if submit:
            self.submit()

    def submit(self) -> None:
        self._timer.stop()
        self.submitted.emit(self.line.text())

    def _on_edited(self, _text: str) -> None:
        self.line.mark(None)
        self._history_pos = len(self.history)
        self._timer.start()

    def _on_return(self) -> None:
        self.remember(self.line.text())
        self.submit()

    def remember(self, text: str) -> None:
        """Put ``text`` at the end of the history (once) and reset the Up/Down position."""
        text = text.strip()
        if text:
            if text in self.history:
                self.history.remove(text)
            self.history.append(text)
            del self.history[:-HISTORY_LIMIT]
        self._history_pos = len(self.history)

    def _recall(self, step: int) -> None:
        if not self.history:
            return
        if self._history_pos == len(self.history):
            self._draft = self.line.text()
        pos = min(max(self._history_pos + step, 0), len(self.history))
        if pos == self._history_pos:
            return
        self._history_pos = pos
        self.set_text(self.history[pos] if pos < len(self.history) else self._draft)

    def show_ok(self, description: str) -> None:
        self.line.mark(None)
        self.message.setStyleSheet("color: #2b6e2b;")
        self.message.setText(description)

    def show_error(self, message: str, column: int | None) -> None:
        self.line.mark(column)
        self.message.setStyleSheet("color: #b00000;")
        where = f"column {column + 1}: " if column is not None else ""
        self.message.setText(f"✗ {where}{message}")
