"""File ▸ Export…, Copy image, Export animation…, Save session… and Open session….

``install_export_actions(window)`` adds them to the window's File menu; everything they write
goes through ``derivgui.ui.export.scene`` (the same code as ``derivgui export``) and
``derivgui.model.session``.
"""

from __future__ import annotations

import os
import re

from PyQt5.QtCore import QObject, Qt
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import (
    QAction,
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from derivgui.files import exporting as ex
from derivgui.model.session import SUFFIX, SessionError, load_session, save_session
from derivgui.model.state import AppState
from derivgui.ui.export.scene import (
    ExportCancelled,
    ExportError,
    ExportRequest,
    ExportScene,
    default_file_name,
    export_file,
)

FORMAT_ORDER = ("png", "svg", "pdf", "csv", "gif", "png-sequence")
FILE_FILTERS = {
    "png": "PNG image (*.png)",
    "svg": "SVG drawing (*.svg)",
    "pdf": "PDF document (*.pdf)",
    "csv": "CSV table (*.csv)",
    "gif": "Animated GIF (*.gif)",
    "png-sequence": "Numbered PNG frames (*.png)",
}
SESSION_FILTER = f"derivgui session (*{SUFFIX} *.json);;All files (*)"


def _with_format(path: str, fmt: str) -> str:
    """``path`` with the extension (or frame-number pattern) that ``fmt`` needs."""
    folder, name = os.path.split(path)
    stem = os.path.splitext(name)[0] if name else "derivgui"
    if fmt != "png-sequence":
        stem = re.sub(r"_?%0?\d*d", "", stem)
    if fmt == "png-sequence":
        if "%" not in name:
            stem = f"{stem}_%03d"
        return os.path.join(folder, stem + ".png")
    return os.path.join(folder, f"{stem or 'derivgui'}.{fmt}")


STILL = ("png", "svg", "pdf")  # the formats that can have a caption (a sweep's frames have their own)


class ExportDialog(QDialog):
    """Format, file, size (pixels or a scale of the view), frames; Export runs it with progress.

    The file name's extension and the format agree: choosing a format renames the file, and typing
    a name with another format's extension chooses that format. While the name, the size, the
    frames or the samples cannot be exported, the Export button is off and the reason is shown.
    """

    def __init__(self, controller: ExportActions, fmt: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent or controller.window)
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export")
        self.controller = controller
        self.scene = ExportScene.from_window(controller.window)
        self.written: list[str] = []
        view_w, view_h = self.scene.view_size()
        self.view_size = (view_w, view_h)

        self.format_combo = QComboBox()
        self.format_combo.setObjectName("formatCombo")
        for key in FORMAT_ORDER:
            self.format_combo.addItem(ex.FORMATS[key], key)
            if key in ex.VECTOR and self.scene.is_surface:
                item = self.format_combo.model().item(self.format_combo.count() - 1)
                item.setEnabled(False)
                item.setToolTip("SVG and PDF draw the 2D view of f(x)")

        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("pathEdit")
        self.path_edit.setMinimumWidth(360)
        browse = QPushButton("Browse…")
        browse.setObjectName("browseButton")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)

        self.pixels_radio = QRadioButton("Pixels")
        self.pixels_radio.setObjectName("pixelsRadio")
        self.scale_radio = QRadioButton("Scale of the view")
        self.scale_radio.setObjectName("scaleRadio")
        group = QButtonGroup(self)
        group.addButton(self.pixels_radio)
        group.addButton(self.scale_radio)
        self.width_spin = QSpinBox()
        self.width_spin.setObjectName("widthSpin")
        self.height_spin = QSpinBox()
        self.height_spin.setObjectName("heightSpin")
        for spin in (self.width_spin, self.height_spin):
            spin.setRange(ex.MIN_SIDE, ex.MAX_SIDE)
            spin.setSuffix(" px")
            spin.setAccelerated(True)
        self.width_spin.setValue(ex.DEFAULT_SIZE[0])
        self.height_spin.setValue(ex.DEFAULT_SIZE[1])
        self.scale_spin = QDoubleSpinBox()
        self.scale_spin.setObjectName("scaleSpin")
        self.scale_spin.setRange(0.25, 8.0)
        self.scale_spin.setSingleStep(0.5)
        self.scale_spin.setDecimals(2)
        self.scale_spin.setPrefix("× ")
        self.scale_spin.setValue(max(2.0, controller.window.devicePixelRatioF()))
        size_row = QHBoxLayout()
        size_row.addWidget(self.pixels_radio)
        size_row.addWidget(self.width_spin)
        size_row.addWidget(QLabel("×"))
        size_row.addWidget(self.height_spin)
        size_row.addSpacing(16)
        size_row.addWidget(self.scale_radio)
        size_row.addWidget(self.scale_spin)
        size_row.addStretch(1)
        self.pixels_radio.setChecked(True)

        self.animation_combo = QComboBox()
        self.animation_combo.setObjectName("animationCombo")
        self.animation_combo.addItem(ex.ANIMATIONS["sweep"], "sweep")
        if self.scene.is_surface:
            self.animation_combo.addItem(ex.ANIMATIONS["turntable"], "turntable")
        self.frames_spin = QSpinBox()
        self.frames_spin.setObjectName("framesSpin")
        self.frames_spin.setRange(2, ex.MAX_FRAMES)
        self.frames_spin.setValue(ex.DEFAULT_FRAMES)
        self.samples_spin = QSpinBox()
        self.samples_spin.setObjectName("samplesSpin")
        self.samples_spin.setRange(2, 100_000)
        self.samples_spin.setValue(ex.GRID_SAMPLES if self.scene.is_surface else ex.CURVE_SAMPLES)
        self.samples_spin.setToolTip("points of the curve, or grid points per side for f(x, y)")

        self.caption_check = QCheckBox("Caption: f, the point a, the step Δa and the slopes")
        self.caption_check.setObjectName("captionCheck")
        self.caption_check.setToolTip("written in a corner of the picture, as the frames of a sweep animation have")
        self.caption_check.setChecked(controller.caption)
        self.caption_check.toggled.connect(lambda checked: setattr(controller, "caption", checked))

        self.summary = QLabel()
        self.summary.setObjectName("summaryLabel")
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("color: #555;")
        self.error_label = QLabel()
        self.error_label.setObjectName("exportErrorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00000;")
        self.error_label.hide()

        form = QFormLayout()
        form.addRow("Format", self.format_combo)
        form.addRow("File", path_row)
        self.size_label = QLabel("Size")
        form.addRow(self.size_label, size_row)
        self.animation_label = QLabel("Animation")
        form.addRow(self.animation_label, self.animation_combo)
        self.frames_label = QLabel("Frames")
        form.addRow(self.frames_label, self.frames_spin)
        self.samples_label = QLabel("Samples")
        form.addRow(self.samples_label, self.samples_spin)
        form.addRow("", self.caption_check)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.export_button = self.buttons.button(QDialogButtonBox.Ok)
        self.export_button.setText("Export")
        self.export_button.setObjectName("exportButton")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        fmt = fmt if fmt in FORMAT_ORDER else controller.last_format
        if fmt in ex.VECTOR and self.scene.is_surface:
            fmt = "png"
        folder = controller.last_folder
        self.path_edit.setText(os.path.join(folder, default_file_name(self.scene.compiled, fmt)))
        self.format_combo.setCurrentIndex(FORMAT_ORDER.index(fmt))
        self._syncing = False  # the format follows the file name: do not rename the file for it
        self.format_combo.currentIndexChanged.connect(self._on_format)
        self.path_edit.textChanged.connect(self._on_path)
        for signal in (self.width_spin.valueChanged, self.height_spin.valueChanged, self.scale_spin.valueChanged,
                       self.frames_spin.valueChanged, self.samples_spin.valueChanged, self.pixels_radio.toggled,
                       self.animation_combo.currentIndexChanged):
            signal.connect(self._update)
        self._on_format()
        self.finished.connect(lambda _result: self.scene.close())

    # -- fields ------------------------------------------------------------------------------

    def fmt(self) -> str:
        return self.format_combo.currentData()

    def set_format(self, fmt: str) -> None:
        self.format_combo.setCurrentIndex(FORMAT_ORDER.index(fmt))

    def size(self) -> tuple[int, int]:
        """The pixel size the export will have."""
        if self.scale_radio.isChecked():
            s = self.scale_spin.value()
            return (min(max(round(self.view_size[0] * s), ex.MIN_SIDE), ex.MAX_SIDE),
                    min(max(round(self.view_size[1] * s), ex.MIN_SIDE), ex.MAX_SIDE))
        return self.width_spin.value(), self.height_spin.value()

    def request(self) -> ExportRequest:
        width, height = self.size()
        return ExportRequest(
            path=self.path_edit.text().strip(), format=self.fmt(), width=width, height=height,
            scale=self.scale_spin.value() if self.scale_radio.isChecked() else None,
            frames=self.frames_spin.value(), animation=self.animation_combo.currentData(),
            samples=self.samples_spin.value(), caption=self.fmt() in STILL and self.caption_check.isChecked())

    def _format_enabled(self, fmt: str) -> bool:
        return self.format_combo.model().item(FORMAT_ORDER.index(fmt)).isEnabled()

    def _on_path(self, *_args) -> None:
        """A name with another format's extension chooses that format (an unknown one is a problem)."""
        if self._syncing:
            return
        try:
            fmt = ex.format_for_path(self.path_edit.text().strip())
        except ExportError:
            fmt = None
        if fmt is not None and fmt != self.fmt() and self._format_enabled(fmt):
            self._syncing = True
            try:
                self.set_format(fmt)
            finally:
                self._syncing = False
        self._update()

    def _on_format(self, *_args) -> None:
        fmt = self.fmt()
        animated = fmt in ex.ANIMATED
        path = self.path_edit.text().strip()
        if path and not self._syncing:
            self._syncing = True
            try:
                self.path_edit.setText(_with_format(path, fmt))
            finally:
                self._syncing = False
        current = (self.width_spin.value(), self.height_spin.value())
        if animated and current == ex.DEFAULT_SIZE:
            self.width_spin.setValue(ex.DEFAULT_ANIMATION_SIZE[0])
            self.height_spin.setValue(ex.DEFAULT_ANIMATION_SIZE[1])
        elif not animated and current == ex.DEFAULT_ANIMATION_SIZE:
            self.width_spin.setValue(ex.DEFAULT_SIZE[0])
            self.height_spin.setValue(ex.DEFAULT_SIZE[1])
        pictures = fmt != "csv"
        for widget in (self.size_label, self.pixels_radio, self.width_spin, self.height_spin, self.scale_radio,
                       self.scale_spin):
            widget.setEnabled(pictures)
        for widget in (self.animation_label, self.animation_combo, self.frames_label, self.frames_spin):
            widget.setVisible(animated)
        for widget in (self.samples_label, self.samples_spin):
            widget.setVisible(fmt == "csv")
        self.caption_check.setVisible(fmt in STILL)
        self._update()

    def _update(self, *_args) -> None:
        fmt = self.fmt()
        if fmt == "csv":
            n = self.samples_spin.value()
            if self.scene.is_surface:
                text = f"x, y, f, ∂f/∂x, ∂f/∂y on a {n} × {n} grid over the surface's range."
            else:
                x0, x1 = self.scene.x_range
                text = f"x, f, f′ at {n} points from {x0:.6g} to {x1:.6g} (the visible range)."
        else:
            width, height = self.size()
            scale = self.scale_spin.value() if self.scale_radio.isChecked() else None
            try:
                lw, lh, ratio = ex.layout_for(width, height, scale)
                text = f"{width} × {height} pixels; laid out at {lw} × {lh} and drawn at ×{ratio:.2f}."
            except ExportError as exc:
                text = str(exc)
            if fmt in ex.VECTOR:
                text += " Vector: scales without loss."
            if fmt in ex.ANIMATED:
                text += (f" {self.frames_spin.value()} frames"
                         + (": Δa shrinks to 1e-15." if self.animation_combo.currentData() == "sweep" else "."))
        size_problem = self.size_problem()
        if size_problem:
            text += f" Too large: {size_problem}."
        self.summary.setText(text)
        self.summary.setStyleSheet("color: #b00000;" if size_problem else "color: #555;")
        # While something cannot be exported, Export is off and the reason is on show (the size's in
        # the summary, the file name's below it).
        path_problem = self.path_problem()
        self.export_button.setEnabled(not (path_problem or size_problem))
        self.export_button.setToolTip(path_problem or size_problem or "")
        if path_problem:
            self.show_error(path_problem)
        else:
            self.error_label.hide()
        self._fit_height()

    def _fit_height(self) -> None:
        """Grow to show every row when messages or fields appear (wrapped labels do not ask for it)."""
        layout = self.layout()
        if layout is None or not self.isVisible():
            return
        layout.activate()
        needed = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else layout.sizeHint().height()
        if needed > self.height():
            self.resize(self.width(), needed)

    def path_problem(self) -> str | None:
        """Why the file name does not fit the format (no name, an unknown or another extension); None if it does."""
        path = self.path_edit.text().strip()
        if not path:
            return "choose a file to export to"
        fmt = self.fmt()
        try:
            named = ex.format_for_path(path)
        except ExportError as exc:
            return str(exc)
        if named == fmt:
            return None
        if named in ex.VECTOR and self.scene.is_surface:
            return f"{named.upper()} draws the 2D view of f(x); export a surface f(x, y) as .png, .gif or .csv"
        if fmt == "png-sequence":
            return "numbered PNG frames need a frame number in the name, e.g. frame_%03d.png"
        wanted = "." + fmt
        return (f"the file name ends in .{os.path.splitext(path)[1].lstrip('.').lower()} but the format is "
                f"{ex.FORMATS[fmt]}: name it {wanted} or choose another format")

    def problem(self) -> str | None:
        """The first reason why Export cannot run now (the file name, then the size); None if it can."""
        return self.path_problem() or self.size_problem()

    def size_problem(self) -> str | None:
        """Why the size (pixels, frames, or CSV samples) cannot be exported, naming the limit; None if it can."""
        fmt = self.fmt()
        try:
            if fmt == "csv":
                ex.check_samples(self.samples_spin.value(), self.scene.is_surface)
            elif fmt in ex.ANIMATED:
                ex.check_animation(*self.size(), self.frames_spin.value(), fmt)
            else:
                ex.check_size(*self.size())
        except ExportError as exc:
            return str(exc)
        return None

    def _browse(self) -> None:
        fmt = self.fmt()
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path_edit.text(), FILE_FILTERS[fmt])
        if path:
            self.path_edit.setText(_with_format(path, fmt))

    # -- run ---------------------------------------------------------------------------------

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()
        self._fit_height()

    def accept(self) -> None:
        request = self.request()
        problem = self.problem()
        if problem:
            self.show_error(problem)
            return
        self.error_label.hide()
        self.buttons.setEnabled(False)  # no second click while this export runs
        try:
            written = self.controller.run_export(self.scene, request, error=self.show_error)
        finally:
            self.buttons.setEnabled(True)
            self.export_button.setEnabled(self.problem() is None)
        if written:
            self.written = written
            super().accept()


class ExportActions(QObject):
    """The export and session actions of one main window."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.setObjectName("exportActions")
        self.window = window
        self.last_folder = os.getcwd() if os.access(os.getcwd(), os.W_OK) else os.path.expanduser("~")
        self.last_format = "png"
        self.caption = False  # the dialog's caption box, as the user left it
        self.dialog: ExportDialog | None = None
        self.progress: QProgressDialog | None = None
        self.session_path: str | None = None
        self.busy = False

        self.export_action = QAction("&Export…", window)
        self.export_action.setObjectName("exportAction")
        self.export_action.setShortcut(QKeySequence("Ctrl+E"))
        self.export_action.setToolTip("export the view as PNG, SVG, PDF or CSV")
        self.export_action.triggered.connect(lambda: self.open_dialog())
        self.animation_action = QAction("Export &animation…", window)
        self.animation_action.setObjectName("exportAnimationAction")
        self.animation_action.setToolTip("the Δa → 0 sweep (or a turntable in 3D) as a GIF or PNG frames")
        self.animation_action.triggered.connect(lambda: self.open_dialog("gif"))
        self.copy_action = QAction("&Copy image", window)
        self.copy_action.setObjectName("copyImageAction")
        self.copy_action.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.copy_action.setToolTip("put the view on the clipboard as an image")
        self.copy_action.triggered.connect(lambda: self.copy_image())
        self.save_action = QAction("&Save session…", window)
        self.save_action.setObjectName("saveSessionAction")
        self.save_action.setShortcut(QKeySequence.Save)
        self.save_action.triggered.connect(lambda: self.save_session())
        self.open_action = QAction("&Open session…", window)
        self.open_action.setObjectName("openSessionAction")
        self.open_action.setShortcut(QKeySequence.Open)
        self.open_action.triggered.connect(lambda: self.open_session())
        for action in self.actions():
            action.setShortcutContext(Qt.WindowShortcut)

    def actions(self) -> list[QAction]:
        return [self.open_action, self.save_action, self.export_action, self.animation_action, self.copy_action]

    # -- messages ----------------------------------------------------------------------------

    def report(self, message: str, timeout_ms: int = 6000) -> None:
        self.window.statusBar().showMessage(message, timeout_ms)

    def report_error(self, title: str, message: str) -> None:
        self.report(f"{title}: {message}", 10000)
        QMessageBox.warning(self.window, title, message)

    # -- export ------------------------------------------------------------------------------

    def open_dialog(self, fmt: str | None = None) -> ExportDialog | None:
        """Show the export dialog (window-modal, not blocking); None if there is nothing to export."""
        try:
            dialog = ExportDialog(self, fmt)
        except ExportError as exc:
            self.report_error("Export", str(exc))
            return None
        self.dialog = dialog
        dialog.setWindowModality(Qt.WindowModal)
        dialog.open()
        return dialog

    def run_export(self, scene: ExportScene, request: ExportRequest, error=None) -> list[str] | None:
        """Write one export, with a progress dialog (and Cancel) for animations. None if it failed."""
        error = error or (lambda message: self.report_error("Export", message))
        if self.busy:  # a shortcut pressed while frames are being drawn
            self.report("an export is already running")
            return None
        try:
            fmt = request.resolved_format()
        except ExportError as exc:
            error(str(exc))
            return None
        progress = cancelled = None
        if fmt in ex.ANIMATED:
            dialog = QProgressDialog("Rendering frames…", "Cancel", 0, request.frames, self.window)
            dialog.setObjectName("exportProgress")
            dialog.setWindowTitle("Export animation")
            dialog.setWindowModality(Qt.WindowModal)
            dialog.setMinimumDuration(0)
            dialog.setAutoClose(False)
            dialog.setAutoReset(False)
            dialog.show()
            self.progress = dialog

            def progress(done: int, total: int) -> None:
                dialog.setValue(done)
                dialog.setLabelText(f"Rendering frame {min(done + 1, total)} of {total}…")
                QApplication.processEvents()  # paint the bar and see the Cancel button

            def cancelled() -> bool:
                return dialog.wasCanceled()
        QApplication.setOverrideCursor(Qt.WaitCursor)
        self.busy = True
        try:
            written = export_file(scene, request, progress=progress, cancelled=cancelled)
        except ExportCancelled:
            self.report("export cancelled: nothing was written")
            return None
        except (ExportError, ValueError) as exc:
            error(str(exc))
            return None
        except OSError as exc:
            error(f"cannot write {exc.filename or request.path}: {exc.strerror or exc}")
            return None
        finally:
            self.busy = False
            QApplication.restoreOverrideCursor()
            if self.progress is not None:
                self.progress.close()
                self.progress.deleteLater()
                self.progress = None
        self.last_folder = os.path.dirname(os.path.abspath(written[0]))
        self.last_format = fmt
        shown = written[0] if len(written) == 1 else f"{len(written)} frames {os.path.basename(written[0])} …"
        self.report(f"exported {shown}")
        return written

    def export(self, request: ExportRequest) -> list[str] | None:
        """Export what the window shows, without the dialog (scripts and tests)."""
        try:
            scene = ExportScene.from_window(self.window)
        except ExportError as exc:
            self.report_error("Export", str(exc))
            return None
        try:
            return self.run_export(scene, request)
        finally:
            scene.close()

    def copy_image(self):
        """Put the view on the clipboard, at the screen's pixel density; returns the image."""
        if self.busy:
            return None
        try:
            scene = ExportScene.from_window(self.window)
        except ExportError as exc:
            self.report(str(exc))
            return None
        try:
            w, h = scene.view_size()
            ratio = self.window.devicePixelRatioF()
            width = min(max(round(w * ratio), ex.MIN_SIDE), ex.MAX_SIDE)
            height = min(max(round(h * ratio), ex.MIN_SIDE), ex.MAX_SIDE)
            image = scene.image(width, height, scale=width / max(w, 1))
        except (ExportError, ValueError) as exc:
            self.report(f"could not copy the view: {exc}")
            return None
        finally:
            scene.close()
        QApplication.clipboard().setImage(image)
        self.report(f"copied the view as a {image.width()} × {image.height()} image")
        return image

    # -- sessions ----------------------------------------------------------------------------

    def save_session(self, path: str | None = None) -> str | None:
        if path is None:
            start = self.session_path or os.path.join(self.last_folder, "session" + SUFFIX)
            path, _ = QFileDialog.getSaveFileName(self.window, "Save session", start, SESSION_FILTER)
            if not path:
                return None
        try:
            save_session(path, self.window.state, list(getattr(self.window.editor, "history", [])))
        except OSError as exc:
            self.report_error("Save session", f"cannot write {path}: {exc.strerror or exc}")
            return None
        self.session_path = path
        self.report(f"session saved to {path}")
        return path

    def open_session(self, path: str | None = None) -> bool:
        """Open a session file; a file that cannot be used is reported (never fatal) and the view kept.

        FIFOs, folders and devices are refused at once; values inside the file that cannot be used
        take their defaults, and the user is told once which ones.
        """
        if path is None:
            start = self.session_path or self.last_folder
            path, _ = QFileDialog.getOpenFileName(self.window, "Open session", start, SESSION_FILTER)
            if not path:
                return False
        name = _short(os.path.basename(os.fspath(path)) or os.fspath(path), 60)
        warnings: list[str] = []
        try:
            state, history = load_session(path, warnings)
        except SessionError as exc:
            self.report_error("Open session", f"{name}: {exc}. The current view is kept.")
            return False
        except Exception as exc:  # noqa: BLE001 - a file must never take the window down
            self.report_error("Open session", f"{name}: could not be read ({type(exc).__name__}). "
                                              "The current view is kept.")
            return False
        apply_state(self.window, state, history)
        self.session_path = os.fspath(path)
        if warnings:
            notes = _short("; ".join(warnings), 300)
            self.report_error("Open session", f"{name}: some values could not be used and were reset to their "
                                              f"defaults: {notes}.")
        else:
            self.report(f"opened session {_short(os.fspath(path), 120)}")
        return True


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def apply_state(window, state: AppState, history: list[str] | None = None) -> None:
    """Show ``state`` in the window: point, steps, ranges, toggles, then the expression."""
    window.apply_state(state, history)


def open_session(window, path: str) -> bool:
    """Open a session file in ``window`` (``derivgui SESSION``); a bad file is reported, never fatal."""
    return _actions_of(window).open_session(path)


def _actions_of(window) -> ExportActions:
    actions = getattr(window, "export_actions", None)
    return actions if actions is not None else install_export_actions(window)


def _file_menu(window) -> QMenu:
    for action in window.menuBar().actions():
        menu = action.menu()
        if menu is not None and action.text().replace("&", "").strip().lower() == "file":
            return menu
    return window.menuBar().addMenu("&File")


def install_export_actions(window) -> ExportActions:
    """Add Open/Save session…, Export…, Export animation… and Copy image to the File menu (once).

    The actions are also added to the window itself, so their shortcuts work wherever the focus is.
    """
    existing = getattr(window, "export_actions", None)
    if existing is not None:
        return existing
    actions = ExportActions(window)
    menu = _file_menu(window)
    first = menu.actions()[0] if menu.actions() else None
    for action in (actions.open_action, actions.save_action):
        menu.insertAction(first, action)
    menu.insertSeparator(first)
    for action in (actions.export_action, actions.animation_action, actions.copy_action):
        menu.insertAction(first, action)
    if first is not None:
        menu.insertSeparator(first)
    window.addActions(actions.actions())
    window.export_actions = actions
    return actions
