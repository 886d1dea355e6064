"""Check my derivative: the student's own f′ (or both partials) against autodiff."""

from __future__ import annotations

import numpy as np
from PyQt5.QtCore import QTimer, pyqtSignal
from PyQt5.QtWidgets import QGridLayout, QGroupBox, QLabel, QWidget

from derivgui.core.check import DerivativeCheck, compare_derivatives, evaluate_formula
from derivgui.ui.editor import ExpressionLineEdit

CHANNELS = ("check-x", "check-y")


class CheckPanel(QGroupBox):
    """Two editors (the second only for f(x, y)) and a verdict that begins with ✓ or ✗.

    The editors' texts are compiled on the compile thread (``compile_requested``); the window
    hands the results back through ``on_compiled`` and asks for a verdict with ``check``.
    """

    compile_requested = pyqtSignal(str, str)  # channel, text
    formulas_changed = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Check my derivative", parent)
        self.edits: dict[str, ExpressionLineEdit] = {}
        self.captions: dict[str, QLabel] = {}
        self.compiled: dict[str, object] = {channel: None for channel in CHANNELS}
        self.errors: dict[str, str | None] = {channel: None for channel in CHANNELS}
        grid = QGridLayout(self)
        for row, (channel, name) in enumerate(zip(CHANNELS, ("myDerivativeEdit", "myDerivativeYEdit"),
                                                  strict=True)):
            edit = ExpressionLineEdit()
            edit.setObjectName(name)
            edit.setClearButtonEnabled(True)
            edit.setPlaceholderText("type your derivative, e.g. 2x*cos(x^2)")
            edit.setToolTip("Your own derivative, in the same syntax as f. It is compared with autodiff\n"
                            "over the visible range, the way the notebook's np.allclose does.")
            caption = QLabel()
            self.edits[channel] = edit
            self.captions[channel] = caption
            grid.addWidget(caption, row, 0)
            grid.addWidget(edit, row, 1)
            timer = QTimer(self)
            timer.setSingleShot(True)
            timer.setInterval(250)
            timer.timeout.connect(lambda channel=channel: self._submit(channel))
            edit.textEdited.connect(lambda _text, timer=timer, edit=edit: (edit.mark(None), timer.start()))
            edit.returnPressed.connect(lambda channel=channel: self._submit(channel))
        self.verdict = QLabel("type your derivative to check it against autodiff")
        self.verdict.setObjectName("derivativeCheckLabel")
        self.verdict.setWordWrap(True)
        grid.addWidget(self.verdict, 2, 0, 1, 2)
        self.set_two_variables(False)

    def set_two_variables(self, two: bool) -> None:
        self.two_variables = two
        self.captions["check-x"].setText("∂f/∂x =" if two else "f′(x) =")
        self.captions["check-y"].setText("∂f/∂y =")
        for widget in (self.edits["check-y"], self.captions["check-y"]):
            widget.setVisible(two)

    def set_texts(self, texts: tuple[str, ...]) -> None:
        """Fill the editors (a lesson's example answer, or empty for an exercise) and compile."""
        for channel in CHANNELS:
            index = CHANNELS.index(channel)
            self.edits[channel].setText(texts[index] if index < len(texts) else "")
            self._submit(channel)

    def texts(self) -> tuple[str, str]:
        return self.edits["check-x"].text(), self.edits["check-y"].text()

    def _submit(self, channel: str) -> None:
        text = self.edits[channel].text()
        if text.strip():
            self.compile_requested.emit(channel, text)
        else:
            self.compiled[channel] = None
            self.errors[channel] = None
            self.formulas_changed.emit()

    def on_compiled(self, channel: str, compiled, error) -> None:
        if error is not None:
            self.compiled[channel] = None
            self.errors[channel] = f"column {error.column + 1}: {error.message}" if error.column is not None \
                else error.message
            self.edits[channel].mark(error.column)
        else:
            self.compiled[channel] = compiled
            self.errors[channel] = None
        self.formulas_changed.emit()

    def active_channels(self) -> tuple[str, ...]:
        return CHANNELS if self.two_variables else CHANNELS[:1]

    def check(self, points: np.ndarray, args: tuple, autodiff: tuple[np.ndarray, ...]) -> list[DerivativeCheck | None]:
        """Compare each entered formula with autodiff at ``points``; update the verdict."""
        results: list[DerivativeCheck | None] = []
        problems: dict[str, str] = {}
        for channel, grad in zip(self.active_channels(), autodiff, strict=False):
            compiled = self.compiled[channel]
            if compiled is not None and len(compiled.variables) > len(args):
                problems[channel] = "it uses y, but f is a function of x alone"
                compiled = None
            if compiled is None:
                results.append(None)
                continue
            mine = evaluate_formula(compiled, args)
            results.append(compare_derivatives(points, grad, mine))
        self.verdict.setText(self._verdict_text(results, problems))
        text = self.verdict.text()
        color = "#2b6e2b" if text.startswith("✓") else "#b00000" if text.startswith("✗") else "#555555"
        self.verdict.setStyleSheet(f"color: {color};")
        return results

    def _verdict_text(self, results: list[DerivativeCheck | None], problems: dict[str, str]) -> str:
        names = ("∂f/∂x", "∂f/∂y") if self.two_variables else ("f′",)
        for channel, name in zip(self.active_channels(), names, strict=True):
            problem = self.errors[channel] or problems.get(channel)
            if problem:
                return f"✗ {name}: {problem}"
        entered = [r for r in results if r is not None]
        if not entered:
            return "type your derivative to check it against autodiff"
        if len(entered) < len(results):
            missing = names[results.index(None)]
            return f"… now type {missing} too"
        for name, result in zip(names, results, strict=True):
            if not result.agree:
                return result.verdict(name)
        if len(results) == 1:
            return results[0].verdict("your f′")
        worst = max(r.max_abs_diff for r in results)
        return (f"✓ correct: both partials agree with autodiff (np.allclose) on {results[0].compared} points; "
                f"max |difference| {worst:.3g}")
