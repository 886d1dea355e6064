"""The Help menu's windows: the expression syntax, the keyboard shortcuts (read from the actions
themselves, so a new shortcut is listed as soon as it exists) and About."""

from __future__ import annotations

import html

from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import (
    QAction,
    QDialog,
    QDialogButtonBox,
    QMainWindow,
    QMenu,
    QMessageBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from derivgui.expr.functions import ALIASES, FUNCTIONS

# The mathematics the parser takes as typed (symbol, meaning, example).
UNICODE_SYNTAX = (
    ("π", "pi", "sin(π x)"),
    ("²  ³", "squared, cubed (x²³ is x^23)", "x² + y³"),
    ("√", "square root of what follows", "√x, √(x² + y²)"),
    ("·  ×", "times", "2·x, 3×x"),
    ("−", "minus (the typographic one)", "x − 1"),
    ("÷", "divided by", "1 ÷ x"),
)
# Keys the widgets handle themselves (not actions: they are listed from the actions).
WIDGET_KEYS = (
    ("← → ↑ ↓", "2D view: pan; 3D view: turn the camera"),
    ("+  −", "2D view: zoom in, out"),
    ("Enter", "expression editor: plot now (it also plots as you type)"),
    ("↑ ↓", "expression editor: earlier and later expressions"),
    ("Tab", "the next control"),
)


def plain(text: str) -> str:
    """A menu text without its mnemonic: "&Play" is "Play", "A && B" is "A & B"."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def help_dialog(parent: QWidget, name: str, title: str, text: str) -> QDialog:
    """A help window beside the main one (not modal: the student can try what it says)."""
    dialog = parent.findChild(QDialog, name)
    if dialog is None:
        dialog = QDialog(parent)
        dialog.setObjectName(name)
        browser = QTextBrowser(dialog)
        browser.setObjectName(name.replace("Dialog", "Text"))
        browser.setOpenExternalLinks(False)
        buttons = QDialogButtonBox(QDialogButtonBox.Close, dialog)
        buttons.rejected.connect(dialog.close)
        layout = QVBoxLayout(dialog)
        layout.addWidget(browser)
        layout.addWidget(buttons)
        free = parent.screen().availableGeometry() if parent.screen() is not None else None
        dialog.resize(min(640, free.width() - 40) if free else 640, min(560, free.height() - 60) if free else 560)
    dialog.setWindowTitle(title)
    dialog.findChild(QTextBrowser).setHtml(text)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def shortcut_rows(window: QMainWindow, editor_line: QWidget) -> list[tuple[str, str, str]]:
    """(menu, what, keys) for every action of ``window`` that has a shortcut, in menu order."""
    order = {menu.menuAction(): i for i, menu in enumerate(window.menuBar().findChildren(QMenu))}
    rows = []
    for action in dict.fromkeys(window.findChildren(QAction)):
        keys = [key.toString(QKeySequence.NativeText) for key in action.shortcuts() if not key.isEmpty()]
        if not keys:
            continue
        menus = [w for w in action.associatedWidgets() if isinstance(w, QMenu)]
        where = plain(menus[0].title()) if menus else "Expression editor" if action.parent() is editor_line \
            else "Window"
        rank = min((order.get(menu.menuAction(), 99) for menu in menus), default=99)
        rows.append((rank, where, plain(action.text()), ", ".join(keys)))
    rows.sort(key=lambda row: row[0])
    return [(where, what, keys) for _rank, where, what, keys in rows]


def show_shortcuts(window: QMainWindow, editor_line: QWidget) -> QDialog:
    cells = "".join(f"<tr><td><b>{html.escape(keys)}</b></td><td>{html.escape(what)}</td>"
                    f"<td style='color:#666'>{html.escape(where)}</td></tr>"
                    for where, what, keys in shortcut_rows(window, editor_line))
    widget_keys = "".join(f"<tr><td><b>{keys}</b></td><td>{what}</td></tr>" for keys, what in WIDGET_KEYS)
    return help_dialog(window, "shortcutsDialog", "Keyboard shortcuts", (
        "<h3>Keyboard shortcuts</h3><table cellspacing='0' cellpadding='3'>"
        f"<tr><th align='left'>Keys</th><th align='left'>Does</th><th align='left'>Menu</th></tr>{cells}</table>"
        "<p>Space plays Δ → 0 everywhere except where it types a space (the editors and number boxes);"
        " F5 plays from anywhere.</p>"
        f"<h4>In a view or an editor</h4><table cellspacing='0' cellpadding='3'>{widget_keys}</table>"))


def show_syntax(parent: QWidget) -> QDialog:
    names = ", ".join(sorted(FUNCTIONS))
    aliases = ", ".join(f"{a} = {c}" for a, c in sorted(ALIASES.items()))
    symbols = "".join(f"<tr><td><b>{symbol}</b></td><td>{meaning}</td><td><code>{example}</code></td></tr>"
                      for symbol, meaning, example in UNICODE_SYNTAX)
    return help_dialog(parent, "syntaxDialog", "Expression syntax", (
        "<h3>Expression syntax</h3>"
        "<p>Variables: <b>x</b>, and <b>y</b> for a surface f(x, y). Constants: <b>pi</b> (or π), <b>e</b>.</p>"
        "<p>Operators: <code>+ - * /</code> and <code>^</code> or <code>**</code> for powers; "
        "<code>2x</code>, <code>3(x+1)</code>, <code>(x+1)(x-1)</code>, <code>x y</code> are products. "
        "<code>1.5e-3</code> is a number; <code>e^-x</code> and <code>x*-x</code> work.</p>"
        "<p>Typed or pasted mathematics works too:</p><table cellspacing='0' cellpadding='3'>"
        f"{symbols}</table>"
        f"<p>Functions: {html.escape(names)}.</p><p>Also: {html.escape(aliases)}.</p>"))


def show_about(parent: QWidget) -> None:
    QMessageBox.about(
        parent, "About derivgui",
        "derivgui makes derivatives visible: the secant through a and a + Δa turns into the tangent "
        "as Δa → 0.\n\nDerivatives come from automatic differentiation with PyTensor, the maintained "
        "continuation of Theano.")
