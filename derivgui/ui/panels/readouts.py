"""Numeric readouts of the secant and tangent slopes, honest about lost digits."""

from __future__ import annotations

import html
import math

from PyQt5.QtCore import QEvent, QPointF, QRectF, Qt
from PyQt5.QtGui import QColor, QFont, QFontMetrics, QFontMetricsF, QPainter, QStaticText, QTransform
from PyQt5.QtWidgets import QGridLayout, QLabel, QWidget

from derivgui.numeric.geometry import SecantReport, digits_text, format_number, shared_leading_digits
from derivgui.ui.panels.controls import CachedFrameGroupBox


class ValueLabel(QLabel):
    """A number the user can select with the mouse and copy.

    A selectable QLabel keeps its text in a QTextDocument that every setText rebuilds, and lays it
    out lazily inside paintEvent, where the layout's update request queues a second paint: five
    such labels cost ~2.5 ms of a slider step (measured). So the label is selectable only while
    the pointer is over it, or while it has the focus or a selection; it paints the same either way.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._plain_flags = self.textInteractionFlags()  # QLabel's default: links only (there are none)

    def enterEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.setTextInteractionFlags(self._plain_flags | Qt.TextSelectableByMouse)
        super().enterEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().leaveEvent(event)
        self._plain_unless_in_use()

    def focusOutEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().focusOutEvent(event)
        if not self.underMouse():
            self._plain_unless_in_use()

    def _plain_unless_in_use(self) -> None:
        if not self.hasFocus() and not self.hasSelectedText():
            self.setTextInteractionFlags(self._plain_flags)


def _value_label(name: str, tooltip: str) -> QLabel:
    label = ValueLabel("—")
    label.setObjectName(name)
    label.setToolTip(tooltip)
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


class SlopeReadouts(CachedFrameGroupBox):
    """Secant slope, tangent slope and their difference, with 12 significant digits.

    ``names`` gives objectNames and captions, so the same group serves f(x) and each direction
    of f(x, y).
    """

    def __init__(self, names: dict = ONE_VARIABLE, parent: QWidget | None = None) -> None:
        super().__init__(names["title"], parent)
        self.names = names
        self.f_a = _value_label(names["f_a"][0], names["f_a"][1])
        self.f_a_delta = _value_label(names["f_a_delta"][0], names["f_a_delta"][1])
        self.secant = _value_label(names["secant"][0],
                                   "(f(a + Δa) − f(a)) / h: the slope of the secant through the two points\n"
                                   "evaluated, with h = (a + Δa) − a the step actually taken (a + Δa is\n"
                                   "rounded to a float, so h may differ from Δa in its last digits)")
        self.tangent = _value_label(names["tangent"][0], "the derivative from PyTensor's automatic differentiation;\n"
                                    "where it does not exist (a kink, a jump, a vertical tangent), why")
        # Room for the verdict's words, "no derivative: left −1, right 1", on one line.
        self.tangent.setFixedWidth(QFontMetrics(self.tangent.font()).horizontalAdvance("x" * 40) + 8)
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
        self.cancellation = CancellationLabel()
        self.cancellation.setObjectName(names["cancellation"])
        self.cancellation.setFixedSize(380, 4 * QFontMetrics(self.cancellation.font()).height() + 12)
        self.cancellation.setToolTip("Cancellation inspector: the leading digits f(a) and f(a + Δa) share\n"
                                     "(highlighted) vanish in their difference.")
        grid.addWidget(self.cancellation, len(rows) + 1, 0, 1, 2)

    def show_report(self, report: SecantReport) -> None:
        self.f_a.setText(format_number(report.f_a))
        self.f_a_delta.setText(format_number(report.f_a_delta))
        verdict = report.verdict
        if verdict is not None and not verdict.exists:
            self.tangent.setText(verdict.describe())
            if verdict.describe_value() is not None:
                self.f_a.setText(verdict.describe_value().split(" (")[0])
        else:
            self.tangent.setText(format_number(report.tangent_slope))
        if report.problem is None:
            self.secant.setText(format_number(report.secant_slope))
            self.error.setText(format_number(report.difference, 4))
            self.problem.setText(self._notes(self._verdict_note(report), self._digits_note(report), report.step_note))
        else:
            short = "a + Δa == a" if report.step == 0.0 else "all digits cancelled"
            if "not finite" in report.problem:
                short = "f is not finite here"
            elif "rounding noise" in report.problem:
                short = "rounding noise"
            self.secant.setText(short)
            self.error.setText("meaningless (below)")
            self.problem.setText(self._notes(self._verdict_note(report), report.problem, report.step_note))
        self.cancellation.show_parts(*cancellation_parts(report, self.names))

    @staticmethod
    def _verdict_note(report: SecantReport) -> str:
        """Why there is no tangent, where the tangent label's words need more room."""
        verdict = report.verdict
        if verdict is None or verdict.exists:
            return ""
        value = verdict.describe_value()
        return f"f(a) {value}" if value is not None and "hole" in value else ""

    @staticmethod
    def _digits_note(report: SecantReport) -> str:
        if report.digits_lost >= 4:
            return f"{digits_text(report.digits_lost)} of ~16 digits cancelled in f(a + Δa) − f(a)"
        return ""

    @staticmethod
    def _notes(*notes: str) -> str:
        """The sentences worth showing, one a line."""
        return "\n".join(note for note in notes if note)

    def clear(self) -> None:
        for label in (self.f_a, self.f_a_delta, self.secant, self.tangent, self.error):
            label.setText("—")
        self.problem.setText("")


class CancellationLabel(QLabel):
    """The cancellation inspector: f(a) and f(a + Δa) with their shared leading digits highlighted.

    It looks as the rich-text label it replaces (the HTML of ``cancellation_html``: a monospace
    table with cell padding 1, then a word-wrapped sentence, centred vertically) but draws itself
    with QPainter: a rich-text QLabel parsed and laid out a new QTextDocument with a table on every
    slider step, ~2 ms of the 5 ms a step may take (measured). ``text()`` is that HTML.
    """

    PAD = 1  # the table's cellpadding
    HIGHLIGHT_BACKGROUND = QColor("#ffd5d5")
    HIGHLIGHT_TEXT = QColor("#a00000")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: tuple[tuple[str, str, int], ...] = ()
        self._sentence = ""
        self._fonts: tuple[QFont, QFontMetricsF] | None = None
        self._captions: dict[str, tuple[QStaticText, float]] = {}

    def text(self) -> str:
        return parts_html(self._rows, self._sentence) if self._rows or self._sentence else ""

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        raise TypeError("CancellationLabel shows parts: use show_parts(rows, sentence)")

    def clear(self) -> None:
        self.show_parts((), "")

    def show_parts(self, rows: tuple[tuple[str, str, int], ...], sentence: str) -> None:
        if (rows, sentence) == (self._rows, self._sentence):
            return
        self._rows, self._sentence = rows, sentence
        self.setAccessibleName(" ".join([*(f"{caption} {digits}" for caption, digits, _n in rows), sentence]))
        self.update()

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.FontChange:
            self._fonts = None
            self._captions.clear()
        super().changeEvent(event)

    def _layout_fonts(self) -> tuple[QFont, QFontMetricsF]:
        """The table's font (the HTML's font-family: monospace resolves the same) and its metrics."""
        if self._fonts is None:
            mono = QFont(self.font())
            mono.setFamily("monospace")
            self._fonts = mono, QFontMetricsF(mono)
        return self._fonts

    def _caption(self, caption: str, mono: QFont, metrics: QFontMetricsF) -> tuple[QStaticText, float]:
        """A caption with the cell's no-break space, laid out once, and its width."""
        if caption not in self._captions:
            text = QStaticText(caption + "\u00a0")
            text.setTextFormat(Qt.PlainText)
            text.prepare(QTransform(), mono)
            self._captions[caption] = text, metrics.horizontalAdvance(caption + "\u00a0")
        return self._captions[caption]

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt's name)
        if not self._rows and not self._sentence:
            return
        pad = self.PAD
        mono, mono_metrics = self._layout_fonts()
        row_height = mono_metrics.height()
        captions = [self._caption(caption, mono, mono_metrics) for caption, _d, _n in self._rows]
        caption_width = math.ceil(max((width for _text, width in captions), default=0.0))
        table_height = len(self._rows) * (row_height + 2 * pad)
        area = self.contentsRect()
        sentence = QStaticText(self._sentence)  # laid out as QLabel's word wrap lays it out (tested)
        sentence.setTextFormat(Qt.PlainText)
        sentence.setTextWidth(area.width())
        sentence.prepare(QTransform(), self.font())
        height = table_height + (sentence.size().height() if self._sentence else 0.0)
        painter = QPainter(self)
        painter.translate(QPointF(area.topLeft()))
        painter.translate(0, max((area.height() - height) / 2, 0.0))  # AlignVCenter, as QLabel
        text_color = self.palette().color(self.foregroundRole())
        painter.setFont(mono)
        digits_x = caption_width + 3 * pad
        for row, (caption, (_caption, digits, highlighted)) in enumerate(zip(captions, self._rows, strict=True)):
            top = pad + row * (row_height + 2 * pad)
            baseline = top + mono_metrics.ascent()
            painter.setPen(text_color)
            painter.drawStaticText(QPointF(pad, top), caption[0])
            x = digits_x
            if highlighted:
                head = digits[:highlighted]
                head_width = mono_metrics.horizontalAdvance(head)
                # QTextDocument rounds a background's width up to whole pixels
                painter.fillRect(QRectF(x, top, math.ceil(head_width), row_height), self.HIGHLIGHT_BACKGROUND)
                painter.setPen(self.HIGHLIGHT_TEXT)
                painter.drawText(QPointF(x, baseline), head)
                painter.setPen(text_color)
                x += head_width
            painter.drawText(QPointF(x, baseline), digits[highlighted:])
        if self._sentence:
            painter.setFont(self.font())
            painter.setPen(text_color)
            painter.drawStaticText(QPointF(0, table_height), sentence)
        painter.end()


def _highlight_length(text: str, shared: int) -> int:
    """How many characters of a mantissa-and-exponent text hold its first ``shared`` digits (0: none)."""
    count = 0
    for i, ch in enumerate(text):
        if ch.isdigit() and count < shared:
            count += 1
            if count == shared:
                return i + 1
    return 0


def cancellation_parts(report: SecantReport, names: dict) -> tuple[tuple[tuple[str, str, int], ...], str]:
    """The inspector's rows (caption, digits, highlighted characters) and its sentence."""
    c = shared_leading_digits(report.f_a, report.f_a_delta)
    lost = digits_text(c.digits_lost)  # as the sentence above the inspector writes it
    kept = digits_text(max(0.0, 16.0 - float(lost)))
    rows = tuple((names[key][1], text, len(text.split("e")[0]) if c.equal else _highlight_length(text, c.shared))
                 for key, text in (("f_a", c.f_a_text), ("f_a_delta", c.f_a_delta_text)))
    if c.equal:
        sentence = f"All digits shared: the difference is exactly 0 ({lost} of ~16 digits lost)"
    else:
        sentence = f"{c.shared} leading digits shared: the difference keeps ≈ {kept} of ~16 digits ({lost} lost)"
    return rows, sentence


def parts_html(rows: tuple[tuple[str, str, int], ...], sentence: str) -> str:
    """The inspector as HTML: the monospace table of ``rows`` and the sentence under it."""
    cells = "".join(f"<tr><td>{html.escape(caption)}&nbsp;</td><td>{_highlight_span(digits, n)}</td></tr>"
                    for caption, digits, n in rows)
    return ('<table cellspacing="0" cellpadding="1" style="font-family: monospace;">'
            f"{cells}</table><span>{html.escape(sentence)}</span>")


def _highlight_span(text: str, n: int) -> str:
    """``text`` with its first ``n`` characters in a highlight."""
    if n == 0:
        return html.escape(text)
    return ('<span style="background:#ffd5d5;color:#a00000">' + html.escape(text[:n])
            + "</span>" + html.escape(text[n:]))


def cancellation_html(report: SecantReport, names: dict) -> str:
    """f(a) and f(a + Δa) with their shared leading digits highlighted and the digits lost."""
    return parts_html(*cancellation_parts(report, names))
