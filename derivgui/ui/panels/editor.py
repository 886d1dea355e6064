"""The expression editor: compile-as-you-type, an inline error marker at the column, history."""

from __future__ import annotations

import math

import numpy as np
from PyQt5.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, pyqtSignal
from PyQt5.QtGui import QColor, QFont, QFontMetricsF, QKeySequence, QPainter, QPainterPath, QPen
from PyQt5.QtWidgets import QLineEdit, QVBoxLayout, QWidget

from derivgui.ui.panels.one_line_label import OneLineLabel

DEBOUNCE_MS = 150
HISTORY_LIMIT = 100
MARK_COLOR = QColor("#d62728")  # the wavy underline under the faulty character
MARK_BACKGROUND = QColor(214, 39, 40, 55)  # a light red behind it
_CTRL_Z = (int(Qt.Key_Z), int(Qt.ControlModifier))
_CTRL_SHIFT_Z = (int(Qt.Key_Z), int(Qt.ControlModifier) | int(Qt.ShiftModifier))
_CTRL_Y = (int(Qt.Key_Y), int(Qt.ControlModifier))

# Where "is f defined anywhere?" is asked: zero, both signs from 1e-8 to 1e8, and a fine grid of
# [-10, 10]; for f(x, y) every pair of a coarser set.
_PROBE_1D = np.unique(np.concatenate([
    [0.0], np.logspace(-8, 8, 33), -np.logspace(-8, 8, 33), np.linspace(-10.0, 10.0, 201)]))
_PROBE_2D = np.unique(np.concatenate([[0.0], np.logspace(-6, 6, 13), -np.logspace(-6, 6, 13),
                                      np.linspace(-10.0, 10.0, 41)]))


def nowhere_finite(compiled) -> str | None:
    """Why ``compiled`` has no finite value anywhere ("undefined everywhere", e.g. 1/0 or log(-1)),
    or None when it has one at some probe point (or cannot be evaluated here)."""
    if compiled is None:
        return None
    try:
        if len(compiled.variables) == 2:
            x, y = np.meshgrid(_PROBE_2D, _PROBE_2D)
            values = compiled(x.ravel(), y.ravel())
        else:
            values = compiled(_PROBE_1D)
        values = np.asarray(values, dtype=float)
    except Exception:  # noqa: BLE001 - a probe must never take the editor down; the plot will say more
        return None
    if np.isfinite(values).any():
        return None
    if np.isnan(values).all():
        return f"f is undefined everywhere (no {', '.join(compiled.variables)} gives it a value)"
    return "f is not finite anywhere (every value overflows to ±inf)"


class ExpressionLineEdit(QLineEdit):
    """A line edit that can mark one character in red and recall history with Up/Down.

    The mark (a light red box with a red wavy underline) is painted over the text; it stays
    until the text changes. Ctrl+Z / Ctrl+Shift+Z (and Ctrl+Y) undo and redo edits in the line;
    ``end_undo_step`` makes what is typed next a step of its own (after each compile).
    """

    history_step = pyqtSignal(int)  # -1 older, +1 newer

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self._mark: tuple[int, str] | None = None  # (column, the text it belongs to)
        self._step_pending = False

    # -- keys --------------------------------------------------------------------------------

    @staticmethod
    def _undo_key(event) -> str | None:
        modifiers = int(event.modifiers()) & (int(Qt.ControlModifier) | int(Qt.ShiftModifier) | int(Qt.AltModifier))
        combo = (int(event.key()), modifiers)
        if event.matches(QKeySequence.Undo) or combo == _CTRL_Z:
            return "undo"
        if event.matches(QKeySequence.Redo) or combo in (_CTRL_SHIFT_Z, _CTRL_Y):
            return "redo"
        return None

    def event(self, event) -> bool:
        # Undo and redo belong to the line while it has the focus, whatever shortcuts the window has.
        if event.type() == QEvent.ShortcutOverride and self._undo_key(event) and not self.isReadOnly():
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        action = self._undo_key(event)
        if action == "undo":
            self.undo()
        elif action == "redo":
            self.redo()
        elif event.key() == Qt.Key_Up:
            self.history_step.emit(-1)
        elif event.key() == Qt.Key_Down:
            self.history_step.emit(+1)
        else:
            if self._step_pending and event.text():
                self._separate_undo_step()
            super().keyPressEvent(event)

    def end_undo_step(self) -> None:
        """What is typed from now on is undone separately from what was typed before.

        QLineEdit undoes a run of typing as one step; a step begins where the cursor moves.
        The boundary is put in when the next key is typed (never during an input method's
        composition, which moving the cursor would commit).
        """
        self._step_pending = True

    def _separate_undo_step(self) -> None:
        self._step_pending = False
        if self.hasSelectedText() or not self.text():
            return  # replacing a selection is a step of its own already
        pos = self.cursorPosition()
        self.setCursorPosition(pos - 1 if pos > 0 else pos + 1)
        self.setCursorPosition(pos)

    def replace_text(self, text: str) -> None:
        """Put ``text`` in the line as one edit that Ctrl+Z takes back (setText empties the undo history)."""
        if text == self.text():
            return
        if not self.text():
            self.setText(text)
            return
        self._step_pending = False
        self.selectAll()
        self.insert(text)  # removing the selection first makes it a step of its own

    # -- the error mark ----------------------------------------------------------------------

    def mark(self, column: int | None) -> None:
        """Mark the character at ``column`` (the place after the text if the fault is at its end)."""
        mark = None if column is None else (max(0, int(column)), self.text())
        if mark != self._mark:
            self._mark = mark
            self.update()

    def marked_column(self) -> int | None:
        """The column marked now (None after the text changed)."""
        if self._mark is None or self._mark[1] != self.text():
            return None
        return self._mark[0]

    def mark_rect(self) -> QRectF | None:
        """Where the mark is painted, in the widget's coordinates; None when there is none."""
        column = self.marked_column()
        if column is None:
            return None
        text = self.text()
        column = min(column, len(text))
        metrics = QFontMetricsF(self.font())
        cursor = self.cursorRect()  # Qt's cursor rectangle spans 5 px either side of the cursor's x
        advance = metrics.horizontalAdvance
        x0 = cursor.x() + 5 + advance(text[:column]) - advance(text[:self.cursorPosition()])
        width = advance(text[column] if column < len(text) else " ")
        return QRectF(x0, cursor.y(), max(width, 4.0), cursor.height())

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().paintEvent(event)
        rect = self.mark_rect()
        if rect is None:
            return
        margins = self.textMargins()
        clip = QRectF(self.contentsRect().adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom()))
        painter = QPainter(self)
        try:
            painter.setClipRect(clip)
            painter.setRenderHint(QPainter.Antialiasing)
            painter.fillRect(rect, MARK_BACKGROUND)
            metrics = QFontMetricsF(self.font())
            base = rect.top() + metrics.ascent() + max(1.5, metrics.descent() * 0.55)
            amplitude, half = 1.6, 2.0
            path = QPainterPath(QPointF(rect.left(), base))
            steps = max(2, math.ceil(rect.width() / half))
            for i in range(1, steps + 1):
                x = rect.left() + min(i * half, rect.width())
                path.lineTo(x, base + (amplitude if i % 2 else -amplitude))
            pen = QPen(MARK_COLOR, 1.6)
            pen.setCapStyle(Qt.RoundCap)
            pen.setJoinStyle(Qt.RoundJoin)
            painter.setPen(pen)
            painter.drawPath(path)
        finally:
            painter.end()


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
            "Type f(x) or f(x, y). ^ or ** is power, 2x and (x+1)(x-1) are products, √x is sqrt(x),\n"
            "functions: exp log ln sqrt sin cos tan sigmoid tanh abs min max …\n"
            "Up/Down: history   Ctrl+Z / Ctrl+Shift+Z: undo / redo")
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
        self._recalling = False

    def text(self) -> str:
        return self.line.text()

    def set_text(self, text: str, submit: bool = True) -> None:
        """Show ``text`` (a recalled entry, a lesson, a session): one edit, which Ctrl+Z takes back."""
        self._recalling = True
        try:
            self.line.replace_text(text)
        finally:
            self._recalling = False
        self.line.mark(None)
        if submit:
            self.submit()

    def submit(self) -> None:
        self._timer.stop()
        self.line.end_undo_step()
        self.submitted.emit(self.line.text())

    def _on_edited(self, _text: str) -> None:
        if self._recalling:
            return
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

    def show_ok(self, description: str, compiled=None) -> None:
        """The expression compiled: ``description`` (✓ f(x) = …), unless f has no finite value anywhere.

        Without ``compiled``, the window's newest compiled expression is checked when
        ``description`` names it (the window sets it before it calls this).
        """
        if compiled is None:
            candidate = getattr(self.window(), "compiled", None)
            text = getattr(candidate, "text", None)
            if isinstance(text, str) and description.endswith(f"= {text}"):
                compiled = candidate
        problem = nowhere_finite(compiled)
        self.line.mark(None)
        if problem is not None:
            self.message.setStyleSheet("color: #b00000;")
            self.message.setText(f"✗ {problem}")
            return
        self.message.setStyleSheet("color: #2b6e2b;")
        self.message.setText(description)

    def show_compiled(self, compiled) -> None:
        """``show_ok`` for ``compiled`` with the usual description: ✓ f(x) = … or what is wrong with f."""
        signature = "f(x, y)" if len(compiled.variables) == 2 else "f(x)"
        self.show_ok(f"✓ {signature} = {compiled.text}", compiled)

    def show_error(self, message: str, column: int | None) -> None:
        self.line.mark(column)
        self.message.setStyleSheet("color: #b00000;")
        where = f"column {column + 1}: " if column is not None else ""
        self.message.setText(f"✗ {where}{message}")
