"""Command line and GUI entry point (the window is built in derivgui.ui)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from PyQt5.QtWidgets import QApplication

    from derivgui.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    window = MainWindow()
    window.show()
    return app.exec_()
