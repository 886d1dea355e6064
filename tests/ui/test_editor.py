"""The expression editor: the red mark at the error's column, undo/redo in the line, history on Up/Down,
and "undefined everywhere" instead of a ✓ for expressions with no value."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt5.QtCore import Qt

import derivgui
from derivgui.ui.export.scene import image_array
from derivgui.ui.panels.editor import ExpressionEditor, nowhere_finite


@pytest.fixture
def editor(qtbot):
    widget = ExpressionEditor()
    qtbot.addWidget(widget)
    widget.resize(640, 80)
    widget.show()
    qtbot.waitExposed(widget)
    widget.line.setFocus()
    return widget


def red_columns(editor) -> np.ndarray:
    """The x positions (in the line edit) of strongly red pixels in a screenshot of it."""
    image = editor.line.grab().toImage()
    ratio = image.devicePixelRatio()
    pixels = image_array(image)[..., 2::-1].astype(int)  # BGRA → RGB
    red = (pixels[..., 0] > 150) & (pixels[..., 1] < 110) & (pixels[..., 2] < 110)
    return np.flatnonzero(red.any(axis=0)) / ratio


def type_and_commit(qtbot, editor, text: str) -> None:
    qtbot.keyClicks(editor.line, text)
    with qtbot.waitSignal(editor.submitted, timeout=2000):
        qtbot.keyClick(editor.line, Qt.Key_Return)


# -- the mark ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "column", "cursor"), [
    ("sin(x) + foo(x)", 9, None),
    ("sin(x) + foo(x)", 9, 0),
    ("(x+1)(x-1) % 3", 11, 4),
    ("sin(x", 5, None),  # at the end: the place after the text
])
def test_error_column_is_marked_in_red_under_the_character(qtbot, editor, text, column, cursor):
    editor.set_text(text, submit=False)
    if cursor is not None:
        editor.line.setCursorPosition(cursor)
    assert len(red_columns(editor)) == 0
    editor.show_error("unknown function 'foo'", column)
    qtbot.waitUntil(lambda: len(red_columns(editor)) > 0, timeout=2000)
    rect = editor.line.mark_rect()
    xs = red_columns(editor)
    # Red only under the faulty character (or the slot after the text), and most of its width.
    assert xs.min() >= rect.left() - 2 and xs.max() <= rect.right() + 2
    assert xs.max() - xs.min() >= 0.6 * rect.width()
    # ...which is where the text puts that character.
    metrics = editor.line.fontMetrics()
    char = text[column] if column < len(text) else " "
    assert rect.width() == pytest.approx(metrics.horizontalAdvance(char), abs=1.5)
    editor.line.setCursorPosition(column)
    assert editor.line.cursorRect().x() + 5 == pytest.approx(rect.left(), abs=1.5)


def test_mark_goes_away_when_the_text_changes(qtbot, editor):
    editor.set_text("x $ 2", submit=False)
    editor.show_error("'$' is not an operator here", 2)
    qtbot.waitUntil(lambda: len(red_columns(editor)) > 0, timeout=2000)
    qtbot.keyClick(editor.line, Qt.Key_Backspace)
    assert editor.line.marked_column() is None
    qtbot.waitUntil(lambda: len(red_columns(editor)) == 0, timeout=2000)


def test_ok_clears_the_mark(qtbot, editor):
    editor.set_text("x $ 2", submit=False)
    editor.show_error("bad", 2)
    editor.show_ok("✓ f(x) = x")
    assert editor.line.marked_column() is None
    assert editor.message.text() == "✓ f(x) = x"


# -- undo and redo ----------------------------------------------------------------------------


def test_undo_takes_back_what_was_typed_after_a_commit(qtbot, editor):
    type_and_commit(qtbot, editor, "sin(x)")
    qtbot.keyClicks(editor.line, "+x^2")
    assert editor.text() == "sin(x)+x^2"
    qtbot.keyClick(editor.line, Qt.Key_Z, Qt.ControlModifier)
    assert editor.text() == "sin(x)"
    qtbot.keyClick(editor.line, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert editor.text() == "sin(x)+x^2"
    qtbot.keyClick(editor.line, Qt.Key_Z, Qt.ControlModifier)
    qtbot.keyClick(editor.line, Qt.Key_Z, Qt.ControlModifier)
    assert editor.text() == ""
    qtbot.keyClick(editor.line, Qt.Key_Y, Qt.ControlModifier)
    assert editor.text() == "sin(x)"


def test_undo_after_a_pause_in_typing(qtbot, editor):
    qtbot.keyClicks(editor.line, "sin(x)")
    with qtbot.waitSignal(editor.submitted, timeout=2000):  # the debounced compile
        pass
    qtbot.keyClicks(editor.line, "*2")
    qtbot.keyClick(editor.line, Qt.Key_Z, Qt.ControlModifier)
    assert editor.text() == "sin(x)"


def test_undo_after_replacing_the_whole_expression(qtbot, editor):
    type_and_commit(qtbot, editor, "sin(x)")
    editor.line.selectAll()
    qtbot.keyClicks(editor.line, "cos(x)")
    qtbot.keyClick(editor.line, Qt.Key_Z, Qt.ControlModifier)
    assert editor.text() == "sin(x)"


def test_each_undo_is_submitted(qtbot, editor):
    type_and_commit(qtbot, editor, "x^2")
    qtbot.keyClicks(editor.line, "+1")
    with qtbot.waitSignal(editor.submitted, timeout=2000) as blocker:
        qtbot.keyClick(editor.line, Qt.Key_Z, Qt.ControlModifier)
    assert blocker.args == ["x^2"]


def test_history_stays_on_up_and_down_and_a_recall_can_be_undone(qtbot, editor):
    for text in ("sin(x)", "x^2"):
        editor.line.selectAll()
        type_and_commit(qtbot, editor, text)
    editor.line.selectAll()
    qtbot.keyClicks(editor.line, "tanh(x)")  # a draft, not committed
    qtbot.keyClick(editor.line, Qt.Key_Up)
    assert editor.text() == "x^2"
    qtbot.keyClick(editor.line, Qt.Key_Up)
    assert editor.text() == "sin(x)"
    qtbot.keyClick(editor.line, Qt.Key_Down)
    qtbot.keyClick(editor.line, Qt.Key_Down)
    assert editor.text() == "tanh(x)"
    qtbot.keyClick(editor.line, Qt.Key_Up)
    assert editor.text() == "x^2"
    qtbot.keyClick(editor.line, Qt.Key_Z, Qt.ControlModifier)
    assert editor.text() == "tanh(x)"
    qtbot.keyClick(editor.line, Qt.Key_Up)  # an edit (the undo) starts again from the newest entry
    assert editor.text() == "x^2"


def test_window_shortcuts_do_not_take_undo_from_the_line(qtbot, editor):
    from PyQt5.QtGui import QKeySequence
    from PyQt5.QtWidgets import QAction

    fired = []
    for keys in ("Ctrl+Z", "Ctrl+Shift+Z"):
        action = QAction(editor)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.WindowShortcut)
        action.triggered.connect(lambda _checked=False, keys=keys: fired.append(keys))
        editor.addAction(action)
    type_and_commit(qtbot, editor, "x")
    qtbot.keyClicks(editor.line, "+1")
    qtbot.keyClick(editor.line, Qt.Key_Z, Qt.ControlModifier)
    qtbot.keyClick(editor.line, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert fired == [] and editor.text() == "x+1"


# -- undefined everywhere ---------------------------------------------------------------------


@pytest.mark.parametrize("text", ["1/0", "log(-1)", "sqrt(-1-x^2)", "0/0", "log(-1-x^2-y^2)"])
def test_undefined_everywhere(text):
    compiled = derivgui.compile_expr(text)
    names = ", ".join(compiled.variables)
    assert nowhere_finite(compiled) == f"f is undefined everywhere (no {names} gives it a value)"


@pytest.mark.parametrize("text", ["5", "0*x", "x/x", "log(x)", "sqrt(-x^2)", "log(x*y)", "exp(exp(x))", "1/(x-3)"])
def test_defined_somewhere(text):
    assert nowhere_finite(derivgui.compile_expr(text)) is None


def test_overflow_everywhere_is_not_called_undefined():
    assert "not finite anywhere" in nowhere_finite(derivgui.compile_expr("exp(1000)"))


def test_show_ok_says_undefined_everywhere_instead_of_a_tick(editor):
    editor.show_compiled(derivgui.compile_expr("1/0"))
    assert editor.message.text().startswith("✗ f is undefined everywhere")
    editor.show_compiled(derivgui.compile_expr("x^2"))
    assert editor.message.text() == "✓ f(x) = x^2"


def test_show_ok_checks_the_windows_compiled_expression(qtbot, editor, monkeypatch):
    """The window sets ``compiled`` and then calls ``show_ok(description)``: the editor checks it."""
    compiled = derivgui.compile_expr("log(-1)")
    monkeypatch.setattr(editor, "window", lambda: type("W", (), {"compiled": compiled})())
    editor.show_ok("✓ f(x) = log(-1)")
    assert "undefined everywhere" in editor.message.text()
    editor.show_ok("✓ f(x) = x")  # not the window's expression: as it is
    assert editor.message.text() == "✓ f(x) = x"


def test_window_shows_undefined_everywhere(qtbot, window):
    from tests.ui.conftest import type_expression

    window.check.edits["check-x"].setText("0")
    window.check._submit("check-x")
    for text in ("1/0", "log(-1)"):
        type_expression(qtbot, window, text)
        assert window.editor.message.text() == "✗ f is undefined everywhere (no x gives it a value)"
        qtbot.waitUntil(lambda: window.check.verdict.text().startswith("nothing to check: f is undefined "
                                                                       "everywhere"), timeout=5000)
        assert not window.check.verdict.text().startswith("✓")
    type_expression(qtbot, window, "sqrt(x)")
    assert window.editor.message.text() == "✓ f(x) = sqrt(x)"
    qtbot.waitUntil(lambda: not window.check.verdict.text().startswith("nothing to check"), timeout=5000)



def test_undo_in_the_window(qtbot, window):
    """Ctrl+Z after committing sin(x) and typing "+x^2" jumped to an older expression, then did nothing."""
    from tests.ui.conftest import type_expression

    type_expression(qtbot, window, "x^3")
    type_expression(qtbot, window, "sin(x)")
    line = window.editor.line
    qtbot.keyClicks(line, "+x^2")
    qtbot.keyClick(line, Qt.Key_Z, Qt.ControlModifier)
    assert line.text() == "sin(x)"
    qtbot.keyClick(line, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert line.text() == "sin(x)+x^2"
    qtbot.waitUntil(lambda: window.controller.last_result_text == "sin(x)+x^2", timeout=20000)
    assert window.compiled.text == "sin(x)+x^2"
    qtbot.keyClick(line, Qt.Key_Up)  # history is still on Up
    assert line.text() == "sin(x)"
