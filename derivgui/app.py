"""Entry point: ``main(argv)`` is the ``derivgui`` command (see ``derivgui.cli``); ``run_gui`` opens the window."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """``derivgui`` opens the window; ``derivgui export …`` writes files without one (``--help``)."""
    from derivgui.cli import main as cli_main

    return cli_main(argv)


def run_gui(qt_args: list[str] | None = None, session: str | None = None) -> int:
    """Open the main window (and the session file, if given) and run the event loop."""
    from derivgui.core.compile_process import shared_compile_process

    # First of all: the compile process loads PyTensor on the other core while Qt starts here.
    shared_compile_process().start()
    from PyQt5.QtCore import QCoreApplication, Qt

    # Every GL widget shares resources with Qt's global context, so a program compiled for one
    # window stays valid in another (and in off-screen renders for export).
    QCoreApplication.setAttribute(Qt.AA_ShareOpenGLContexts)
    from PyQt5.QtWidgets import QApplication

    from derivgui.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0], *(qt_args or [])])
    window = MainWindow()
    window.show()
    if session:  # a bad file is reported in a message box; the window stays as it started
        from derivgui.ui.export_dialog import open_session

        open_session(window, session)
    return app.exec_()


if __name__ == "__main__":
    sys.exit(main())
