"""Check my derivative: the student's own f′ (or both partials) against autodiff."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PyQt5.QtCore import QTimer, pyqtSignal
from PyQt5.QtWidgets import QGridLayout, QGroupBox, QLabel, QWidget

from derivgui.numeric.check import DerivativeCheck, compare_derivatives, evaluate, number_text
from derivgui.ui.panels.editor import ExpressionLineEdit, nowhere_finite

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
                            "over the visible range, to six significant digits (allowing for rounding).")
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
        self._nowhere: tuple[object, str | None] = (None, None)  # (f, why it has no finite value anywhere)
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
        self.edits[channel].end_undo_step()
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

    def symbols(self) -> tuple[str, ...]:
        return ("∂f/∂x", "∂f/∂y") if self.two_variables else ("f′",)

    def check(self, points: np.ndarray, args: tuple, autodiff: tuple[np.ndarray, ...], *,
              skip: np.ndarray | Sequence[np.ndarray | None] | None = None,
              skip_reasons: Sequence[str] | Sequence[Sequence[str]] | str = (),
              values: np.ndarray | None = None, function=None) -> list[DerivativeCheck | None]:
        """Compare each entered formula with autodiff at ``points``; update the verdict.

        ``skip`` leaves points out, named with ``skip_reasons`` (see ``compare_derivatives``): one
        boolean mask for every partial, or a list with one mask (or None) per partial, and then
        ``skip_reasons`` a list with one sequence of reasons per partial. ``values`` is f at the
        points (it tells f's domain gaps from points where only f′ is undefined); ``function``, the
        compiled f, lets the judge measure autodiff's rounding noise and overflow (without it, the
        tolerance falls back to the scale of the derivative).
        """
        channels = self.active_channels()
        skips = _per_partial(skip, skip_reasons, len(channels))
        results: list[DerivativeCheck | None] = []
        problems: dict[str, str] = {}
        for index, (channel, grad) in enumerate(zip(channels, autodiff, strict=False)):
            compiled = self.compiled[channel]
            if compiled is not None and len(compiled.variables) > len(args):
                problems[channel] = "it uses y, but f is a function of x alone"
                compiled = None
            if compiled is None:
                results.append(None)
                continue
            mine = evaluate(compiled, args)
            auto = grad
            if function is not None:
                try:
                    auto = evaluate(function, args, output=index + 1, values=grad)
                except (TypeError, ValueError):  # f does not fit these points: judge the numbers alone
                    auto = grad
            mask, reasons = skips[index]
            results.append(compare_derivatives(points, auto, mine, skip=mask, skip_reasons=reasons, values=values,
                                               symbol=self.symbols()[index]))
        undefined = self._undefined_everywhere(function)
        if undefined is not None:  # no derivative to judge: say why, not "the derivatives are not finite"
            self.verdict.setText(f"nothing to check: {undefined}, so there is no derivative to compare")
        else:
            self.verdict.setText(self._verdict_text(results, problems))
        text = self.verdict.text()
        color = "#2b6e2b" if text.startswith("✓") else "#b00000" if text.startswith("✗") else "#555555"
        self.verdict.setStyleSheet(f"color: {color};")
        return results

    def _undefined_everywhere(self, function) -> str | None:
        """``editor.nowhere_finite`` of f, once per compiled f."""
        if function is None:
            return None
        if self._nowhere[0] is not function:
            self._nowhere = (function, nowhere_finite(function))
        return self._nowhere[1]

    def _verdict_text(self, results: list[DerivativeCheck | None], problems: dict[str, str]) -> str:
        names = self.symbols()
        for channel, name in zip(self.active_channels(), names, strict=True):
            problem = self.errors[channel] or problems.get(channel)
            if problem:
                return f"✗ {name}: {problem}"
        entered = [r for r in results if r is not None]
        if not entered:
            return "type your derivative to check it against autodiff"
        if len(names) == 1:
            return results[0].verdict("your f′")
        if len(entered) < len(results):
            done = 0 if results[0] is not None else 1
            result, name, missing = results[done], names[done], names[1 - done]
            if result.agree:
                return f"… {name} ✓; now type {missing} too"
            return f"✗ {_partial_problem(result, name)}; then type {missing} too"
        notes = _partial_notes(results, names)
        if all(r.agree for r in results):
            agreeing = min(r.agreeing for r in results)
            worst = max(r.max_abs_diff for r in results)
            return (f"✓ correct: both partials agree with autodiff at {agreeing} points "
                    f"(max |difference| {number_text(worst)})" + notes)
        wrong = [i for i, r in enumerate(results) if not r.agree]
        if len(wrong) == 1:
            i = wrong[0]
            return f"✗ {_partial_problem(results[i], names[i])}; {names[1 - i]} ✓" + notes
        return ("✗ both partials are wrong — " +
                "; ".join(_partial_problem(r, name) for r, name in zip(results, names, strict=True)) + notes)


def _partial_problem(result: DerivativeCheck, name: str) -> str:
    """"∂f/∂y is wrong: …", or "can't check ∂f/∂y: it overflows …"."""
    if result.cannot_tell:
        return result.problem(name)
    return f"{name} is wrong: {result.problem(name)}"


def _partial_notes(results: list[DerivativeCheck], names: tuple[str, ...]) -> str:
    """Both partials' notes (what was ignored, where a formula overflows): once when they are the same,
    else each after its partial's name. An unjudged partial's overflow is in its problem already."""
    per_partial = [r.notes(overflow=not r.cannot_tell) for r in results]
    generic = [[note.replace(f"{name} is ", "{partial} is ") for note in notes]
               for name, notes in zip(names, per_partial, strict=True)]
    if generic[0] == generic[1]:  # the same places, the same reasons: say it once
        return "".join("; " + note.replace("{partial} is ", "both partials are ") for note in generic[0])
    return "".join(f"; {name}: {note}" for name, notes in zip(names, per_partial, strict=True) for note in notes)


def _per_partial(skip, skip_reasons, count: int) -> list[tuple[np.ndarray | None, Sequence[str] | str]]:
    """(mask, reasons) for each partial, from one shared mask or one per partial."""
    if skip is None:
        return [(None, ())] * count
    if isinstance(skip, np.ndarray) and not (skip.ndim == 2 and skip.shape[0] == count and count > 1):
        return [(skip, skip_reasons)] * count
    masks = list(skip) + [None] * count
    reasons = [skip_reasons] if isinstance(skip_reasons, str) else list(skip_reasons)
    reasons = reasons * count if len(reasons) == 1 else reasons + [()] * count
    return [(masks[i], reasons[i] if masks[i] is not None else ()) for i in range(count)]
