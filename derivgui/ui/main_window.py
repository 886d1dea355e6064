"""The main window: assembles the editor, the views, the controls and the compile service."""

from __future__ import annotations

import html
import json
import time

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import QByteArray, QSettings, QSize, Qt, QTimer, pyqtSignal
from PyQt5.QtGui import QFont, QFontMetrics, QGuiApplication, QIcon, QKeySequence, QPen
from PyQt5.QtWidgets import (
    QAbstractSpinBox,
    QAction,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTextBrowser,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from derivgui.expr.functions import ALIASES, FUNCTIONS
from derivgui.model.lessons import Lesson, load_lessons
from derivgui.model.state import AppState
from derivgui.numeric.check import evaluate_formula, nonsmooth_points
from derivgui.numeric.geometry import format_number, judged_secant_report, robust_y_range
from derivgui.numeric.steps import step_errors
from derivgui.numeric.surface import default_surface_range, judged_point_report, slice_along_x
from derivgui.resources_path import resource
from derivgui.ui.export.dialog import install_export_actions
from derivgui.ui.panels.check_panel import CheckPanel
from derivgui.ui.panels.controls import PointControl, RangeControl, StepControl
from derivgui.ui.panels.editor import ExpressionEditor, nowhere_finite
from derivgui.ui.panels.lessons_panel import LessonsDock
from derivgui.ui.panels.one_line_label import OneLineLabel
from derivgui.ui.panels.readouts import ALONG_X, ALONG_Y, SlopeReadouts
from derivgui.ui.panels.sweep import DeltaSweep
from derivgui.ui.tuning import freeze_long_lived_heap
from derivgui.ui.view2d.error_plot import ErrorPlot
from derivgui.ui.view2d.plot2d import Plot2DView
from derivgui.ui.worker import MAIN, CompileService

# Settings are written once the user has paused this long: the ini file's write blocks the GUI
# thread (30 ms and more on a busy disk, measured), so not between keystrokes or slider steps.
SAVE_DELAY_MS = 2000

# What an exercise shows in place of the autodiff formula until the student's check says ✓.
HIDDEN_ANSWER = "autodiff: hidden: type your answer below, or click to reveal"
# Help ▸ Expression syntax: the mathematics the parser takes as typed (symbol, meaning, example).
UNICODE_SYNTAX = (
    ("π", "pi", "sin(π x)"),
    ("²  ³", "squared, cubed (x²³ is x^23)", "x² + y³"),
    ("√", "square root of what follows", "√x, √(x² + y²)"),
    ("·  ×", "times", "2·x, 3×x"),
    ("−", "minus (the typographic one)", "x − 1"),
    ("÷", "divided by", "1 ÷ x"),
)
# Help ▸ Keyboard shortcuts: keys the widgets handle themselves (not actions: they are listed from the actions).
WIDGET_KEYS = (
    ("← → ↑ ↓", "2D view: pan; 3D view: turn the camera"),
    ("+  −", "2D view: zoom in, out"),
    ("Enter", "expression editor: plot now (it also plots as you type)"),
    ("↑ ↓", "expression editor: earlier and later expressions"),
    ("Tab", "the next control"),
)
QWIDGETSIZE_MAX = (1 << 24) - 1
# Windows at least this wide keep the Examples dock on the left; narrower ones tab it with the error plot.
WIDE_LAYOUT = 1200
# A dock's content smaller than this (width, height) is not usable: a restored one gets a usable size.
USABLE_ERROR_PLOT = (240, 100)  # the error plot's own view, its note not counted
USABLE_LESSONS = (160, 140)
# Presentation mode: text, lines and markers this many times as large.
# (The panels' text less: their readouts must leave the plot most of a projector's 1024 pixels.)
PRESENTATION_SCALE = {"text": 1.4, "panel": 1.15, "line": 2.0, "marker": 1.6}
PRESENTATION_ITEM_SCALE = {key: PRESENTATION_SCALE[key] for key in ("line", "marker", "text")}


def _plain(text: str) -> str:
    """A menu text without its mnemonic: "&Play" is "Play", "A && B" is "A & B"."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def _scaled_pen(pen, factor: float):
    pen = QPen(pg.mkPen(pen))
    pen.setWidthF(max(pen.widthF(), 1.0) * factor)
    return pen


def _present_widgets(root: QWidget, formula: QLabel, big: list[QWidget], scale: dict[str, float]) -> list:
    """Enlarge the text under ``root`` by ``scale["panel"]`` (``formula`` and ``big``: by ``scale["text"]``);
    returns what undoes it.

    Widgets that inherit their font grow with ``root``'s; those with a font size of their own, or a
    style sheet (Qt does not pass a new font on to them), are scaled one by one, and labels of a
    fixed size (readouts keep one, so that new text never relays the window out) grow with their text.
    """
    k = scale["panel"]
    undo = []
    own_font = [w for w in root.findChildren(QWidget)
                if w is not formula and w.parentWidget() is not None
                and (w in big or w.styleSheet()
                     or (w.testAttribute(Qt.WA_SetFont)
                         and w.font().pointSizeF() != w.parentWidget().font().pointSizeF()))]
    fixed = [w for w in root.findChildren(QLabel) if w.minimumSize() != QSize(0, 0)
             and (w.minimumWidth() == w.maximumWidth() or w.minimumHeight() == w.maximumHeight())]
    fixed += root.findChildren(QWidget, "colorBar")
    capped = [w for w in root.findChildren(QAbstractSpinBox) if w.maximumWidth() < QWIDGETSIZE_MAX]
    old_fonts = [(w, QFont(w.font())) for w in own_font]
    had_font = root.testAttribute(Qt.WA_SetFont)
    old_root_font = QFont(root.font())
    font = QFont(root.font())
    font.setPointSizeF(font.pointSizeF() * k)
    root.setFont(font)
    undo.append(lambda: root.setFont(old_root_font if had_font else QFont()))
    for widget, old in old_fonts:
        font = QFont(old)
        font.setPointSizeF(old.pointSizeF() * (scale["text"] if widget in big else k))
        widget.setFont(font)
        undo.append(lambda widget=widget, old=old: widget.setFont(old))
    style = formula.styleSheet()
    formula.setStyleSheet(style.replace("font-size: 13pt", f"font-size: {13 * scale['text']:.0f}pt"))
    undo.append(lambda: formula.setStyleSheet(formula.styleSheet().replace(
        f"font-size: {13 * scale['text']:.0f}pt", "font-size: 13pt")))
    for widget in fixed:
        low, high = widget.minimumSize(), widget.maximumSize()
        factor = scale["text"] if widget is formula or widget in big else k
        if low.width() == high.width():
            widget.setFixedWidth(round(low.width() * factor))
        if low.height() == high.height():
            widget.setFixedHeight(round(low.height() * factor))
        undo.append(lambda widget=widget, low=low, high=high: (widget.setMinimumSize(low),
                                                               widget.setMaximumSize(high)))
    for widget in capped:  # (as wide as their value: a, Δa…)
        low, high = widget.minimumWidth(), widget.maximumWidth()
        widget.setMinimumWidth(round(low * k))
        widget.setMaximumWidth(round(high * k))
        undo.append(lambda widget=widget, low=low, high=high: (widget.setMinimumWidth(low),
                                                               widget.setMaximumWidth(high)))
    return undo


def _present_views(root: QWidget, scale: dict[str, float]) -> list:
    """Thicker lines, larger markers and text in every plot under ``root`` (and ``root`` itself)."""
    undo = []
    plots = [root] if isinstance(root, pg.PlotWidget) else []
    plots += root.findChildren(pg.PlotWidget)
    for plot in plots:
        undo.extend(_present_plot(plot, scale))
    try:
        import pyqtgraph.opengl as gl
    except ImportError:  # no OpenGL: no 3D view either
        return undo
    for view in ([root] if isinstance(root, gl.GLViewWidget) else []) + root.findChildren(gl.GLViewWidget):
        for item in view.items:
            if isinstance(item, gl.GLLinePlotItem):
                width = item.width
                item.setData(width=width * scale["line"])
                undo.append(lambda item=item, width=width: item.setData(width=width))
            elif isinstance(item, gl.GLScatterPlotItem) and np.isscalar(item.size):
                size = item.size
                item.setData(size=size * scale["marker"])
                undo.append(lambda item=item, size=size: item.setData(size=size))
        view.update()
    return undo


def _present_plot(plot: pg.PlotWidget, scale: dict[str, float]) -> list:
    """One pyqtgraph plot for a projector (see ``_present_views``); returns what undoes it."""
    undo = []
    line, marker, text = scale["line"], scale["marker"], scale["text"]
    item = plot.getPlotItem()
    tick_font = QGuiApplication.font()  # (the plot's own font is the panels', already larger)
    tick_font.setPointSizeF(tick_font.pointSizeF() * text)
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        old_font, old_style = axis.style.get("tickFont"), dict(axis.labelStyle)
        axis.setTickFont(tick_font)
        if axis.labelText:
            axis.labelStyle = {**old_style, "font-size": f"{round(11 * text)}pt"}
            axis.setLabel(axis.labelText, axis.labelUnits, axis.labelUnitPrefix)

        def restore(axis=axis, old_font=old_font, old_style=old_style):
            axis.setTickFont(old_font)
            axis.textWidth, axis.textHeight = 30, 18  # (pyqtgraph's first guess) the room for tick text shrinks
            if axis.labelText:
                axis.labelStyle = old_style
                axis.setLabel(axis.labelText, axis.labelUnits, axis.labelUnitPrefix)
            axis.picture = None
            axis.update()
        undo.append(restore)
    legend = item.legend
    if legend is not None:
        size = legend.opts["labelTextSize"]
        _legend_text_size(legend, f"{round(9 * text)}pt")
        undo.append(lambda legend=legend, size=size: _legend_text_size(legend, size))
    for child in dict.fromkeys([*item.items, *item.getViewBox().addedItems]):  # (each once)
        undo.extend(_present_item(child, line, marker, text))
    layer = getattr(plot, "static_layer", None)
    if layer is not None:
        layer.invalidate()
        undo.append(layer.invalidate)
    return undo


def _legend_text_size(legend, size: str) -> None:
    legend.setLabelTextSize(size)
    for _sample, label in legend.items:
        label.setText(label.text)  # (setLabelTextSize keeps the text drawn at the old size)
    legend.updateSize()


def _present_item(item, line: float, marker: float, text: float) -> list:
    """A plot item drawn thicker or larger; returns what undoes it. (Some of the 2D view's own
    light items keep their pen and size in ``opts`` and cache bounds padded for them.)"""
    if isinstance(item, (pg.PlotDataItem, pg.PlotCurveItem, pg.InfiniteLine)):
        pen = item.opts["pen"] if not isinstance(item, pg.InfiniteLine) else item.pen
        if isinstance(item, pg.PlotDataItem) and item.opts["symbol"] is not None:
            return []
        item.setPen(_scaled_pen(pen, line))
        return [lambda: item.setPen(pen)]
    if isinstance(item, pg.ScatterPlotItem):
        size = item.opts["size"]
        item.setSize(size * marker)
        return [lambda: item.setSize(size)]
    if isinstance(item, pg.TextItem):
        font = QFont(item.textItem.font())
        bigger = QFont(font)
        bigger.setPointSizeF(font.pointSizeF() * text)
        item.setFont(bigger)
        return [lambda: item.setFont(font)]
    if isinstance(item, pg.TargetItem):
        size = item.scale

        def resize(value: float) -> None:
            item.prepareGeometryChange()
            item.scale, item._shape = value, None
            item.update()
        resize(size * marker)
        return [lambda: resize(size)]
    opts = getattr(item, "opts", None)
    if isinstance(opts, dict) and ("pen" in opts or "size" in opts) and hasattr(item, "_pad_px"):
        old = dict(opts)
        old_pad = item._pad_px

        def apply(new: dict, pad: float) -> None:
            item.prepareGeometryChange()
            opts.update(new)
            item._pad_px, item._bounds, item._padding = pad, None, None
            for cache in ("_symbol", "_path"):
                if hasattr(item, cache):
                    setattr(item, cache, None)
            if hasattr(item, "_lines"):
                item._lines = []
            item.update()
        if "size" in opts:
            apply({"size": opts["size"] * marker}, old_pad * marker)
        else:
            apply({"pen": _scaled_pen(opts["pen"], line)}, old_pad * line)
        return [lambda: apply(old, old_pad)]
    pen = getattr(item, "_pen", None)
    if isinstance(pen, QPen) and hasattr(item, "_bounds"):  # the 2D view's vertical axis line
        old = QPen(pen)
        item._pen = _scaled_pen(pen, line)
        item._pen.setJoinStyle(old.joinStyle())
        item.prepareGeometryChange()
        item._bounds = None

        def restore() -> None:
            item._pen = old
            item.prepareGeometryChange()
            item._bounds = None
        return [restore]
    return []


def default_settings() -> QSettings:
    return QSettings(QSettings.IniFormat, QSettings.UserScope, "derivgui", "derivgui")


class ViewStack(QStackedWidget):
    """A QStackedWidget as small as its current page allows (Qt's asks for the largest page's
    minimum: the 3D page's, wider than a small screen leaves, held the 2D view's window wide too)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.currentChanged.connect(lambda _index: self.updateGeometry())

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        page = self.currentWidget()
        return page.sizeHint() if page is not None else super().sizeHint()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        page = self.currentWidget()
        if page is None:
            return super().minimumSizeHint()
        return page.minimumSizeHint().expandedTo(page.minimumSize())


class FormulaLabel(OneLineLabel):
    """The autodiff formula; in an exercise it stands hidden, and a click (or Enter) reveals it."""

    reveal_requested = pyqtSignal()

    def __init__(self, description: str, sample: str, parent: QWidget | None = None) -> None:
        super().__init__(description, sample, parent)
        self.answer_hidden = False

    def show_full_text(self):
        if self.answer_hidden:
            self.reveal_requested.emit()
            return None
        return super().show_full_text()


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("derivgui")
        self.setWindowIcon(QIcon(str(resource("icons", "derivgui.svg"))))
        self.settings = settings if settings is not None else default_settings()
        self.state, restore_problem = self._load_state()
        self.compiled = None
        self._requested_text: str | None = None
        self.last_result_text: str | None = None  # the text whose result (plot or error) is on screen
        self._compile_started = 0.0
        self._error_key: tuple | None = None  # what the error-vs-step curves were computed for
        self._error_dock_was_visible = True  # the error dock as the user left it in 2D (3D hides it)
        self._mode_3d = False  # the panels are arranged for f(x, y)
        self._lesson: Lesson | None = None  # the lesson on screen, until another expression is shown
        self._answer_hidden = False  # an exercise's autodiff formula and f′ curve wait for a ✓ or a click
        self._formula_text = ""  # the autodiff formula, shown or not
        self._lesson_items: list = []  # what a lesson adds to the 2D view (its envelope)
        self._lesson_to_frame: Lesson | None = None  # framed once its expression has compiled

        self.editor = ExpressionEditor()
        self.formula = FormulaLabel("the derivative autodiff built: PyTensor's gradient graph after its rewrites",
                                    sample="autodiff:  ∂f/∂x = √(x² + y⁻¹)·σ(−x)·log₁₀(x)  ∂f/∂y")
        self.formula.setObjectName("derivativeFormulaLabel")
        self.formula.setStyleSheet("color: #8a4b00; font-size: 13pt;")
        self.formula.reveal_requested.connect(lambda: self.reveal_answer())
        self.plot2d = Plot2DView(cache_static=True)
        self._page3d = None  # built when first needed (see page3d): OpenGL is not needed for the first plot
        self.views = ViewStack()
        self.views.setObjectName("views")
        self.views.addWidget(self.plot2d)
        # Small enough for a 1024-pixel-wide screen; the 3D page's plots get the same (see _fit_page3d).
        self.plot2d.setMinimumSize(260, 200)

        step_tip = "the step Δ{0} (logarithmic slider: the middle is tiny, the ends are wide; 0 is skipped)"
        self.point = PointControl("a", "pointSpin", "the point a where the tangent touches f")
        self.step = StepControl("Δa", "deltaSpin", step_tip.format("a"))
        self.point_y = PointControl("b", "pointYSpin", "the point's y coordinate b")
        self.step_y = StepControl("Δb", "deltaYSpin", step_tip.format("b"))
        self.surface_range = RangeControl()
        self.readouts = SlopeReadouts()
        self.readouts_x = SlopeReadouts(ALONG_X)
        self.readouts_y = SlopeReadouts(ALONG_Y)
        self.gradient_norm = QLabel("—")
        self.gradient_norm.setObjectName("gradientNormLabel")
        self.gradient_norm.setToolTip("the length of the gradient ∇f(a, b) = (∂f/∂x, ∂f/∂y)")
        self.sweep = DeltaSweep(self)
        self.play_button = QToolButton()
        self.play_button.setObjectName("playButton")
        self.play_button.setCheckable(True)
        self.play_button.setToolButtonStyle(Qt.ToolButtonTextOnly)
        self.play_button.setToolTip("animate the step towards 1e-15 on the logarithmic scale (F5, or Space "
                                    "when not typing); at the end it starts over")
        self.speed = QDoubleSpinBox()
        self.speed.setObjectName("speedSpin")
        self.speed.setRange(0.1, 10.0)
        self.speed.setSingleStep(0.25)
        self.speed.setValue(self.sweep.decades_per_second)
        self.speed.setSuffix(" decades/s")
        self.speed.setToolTip("how fast the animation shrinks the step")
        self.hint = QLabel()
        self.hint.setObjectName("hintLabel")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #555;")
        # Under the view, as wide as it: a, Δa (and b, Δb beside them for f(x, y)) and the animation.
        self.point_panel = QWidget()
        self.point_panel.setObjectName("pointPanel")
        grid = QGridLayout(self.point_panel)
        grid.setContentsMargins(2, 4, 2, 0)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(3)
        grid.addWidget(self.point, 0, 0)
        grid.addWidget(self.step, 1, 0)
        grid.addWidget(self.point_y, 0, 1)
        grid.addWidget(self.step_y, 1, 1)
        self.play_row = QHBoxLayout()  # the animation and the hint (see _arrange_point_panel)
        self.play_row.setSpacing(6)
        grid.addLayout(self.play_row, 2, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        self.point_grid = grid
        self._arrange_point_panel(two_variables=False)
        self.play_button.setText("▶ Δ → 0")
        metrics = self.play_button.fontMetrics()  # as wide for either text: no relayout on a toggle
        self.play_button.setMinimumWidth(max(metrics.horizontalAdvance(t) for t in ("▶ Δ → 0", "❚❚ pause")) + 20)
        view_column = QWidget()
        view_layout = QVBoxLayout(view_column)
        view_layout.setContentsMargins(0, 0, 0, 0)
        view_layout.setSpacing(0)
        view_layout.addWidget(self.views, 1)
        view_layout.addWidget(self.point_panel)

        self.range_group = QGroupBox("Surface range")
        self.range_group.setObjectName("surfaceRangeGroup")
        QVBoxLayout(self.range_group).addWidget(self.surface_range)
        self.readouts_3d = QWidget()
        layout_3d = QVBoxLayout(self.readouts_3d)
        layout_3d.setContentsMargins(0, 0, 0, 0)
        layout_3d.addWidget(self.gradient_norm)
        # A fixed size (as the readouts have) keeps its new text on every 3D step from
        # invalidating the side panel's layout: a relayout and a whole-panel repaint per step.
        metrics = QFontMetrics(self.gradient_norm.font())
        self.gradient_norm.setFixedSize(
            metrics.horizontalAdvance("|∇f(a, b)| = −8.88888888888e−888  (arrow drawn ×8.88)") + 8,
            metrics.height() + 4)
        layout_3d.addWidget(self.readouts_x)
        layout_3d.addWidget(self.readouts_y)

        self.check = CheckPanel()

        # The readouts first: they are what must show without scrolling on a small screen.
        side = QWidget()
        side.setObjectName("sidePanel")
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(4, 0, 4, 0)
        side_layout.setSpacing(4)
        for widget in (self.readouts, self.readouts_3d, self.check, self.range_group):
            side_layout.addWidget(widget)
        side_layout.addStretch(1)
        self.side_scroll = QScrollArea()
        self.side_scroll.setObjectName("sideScroll")
        self.side_scroll.setWidget(side)
        self.side_scroll.setWidgetResizable(True)
        self.side_scroll.setFrameShape(QScrollArea.NoFrame)
        self.side_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)

        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.setObjectName("viewSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(view_column)
        self.splitter.addWidget(self.side_scroll)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 4, 6, 2)
        layout.setSpacing(2)
        layout.addWidget(self.editor)
        layout.addWidget(self.formula)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        # The left dock takes the whole height: the error plot below spans the views and readouts only.
        self.setCorner(Qt.BottomLeftCorner, Qt.LeftDockWidgetArea)
        self.setDockOptions(self.dockOptions() | QMainWindow.AllowNestedDocks)

        self.error_plot = ErrorPlot()
        self.error_dock = QDockWidget("Error vs step: why a tiny Δa goes wrong", self)
        self.error_dock.setObjectName("errorDock")
        self.error_dock.setWidget(self.error_plot)
        self.lessons_dock = LessonsDock(self)
        self._presentation: dict[str, bool] | None = None  # the docks as they were, while presenting
        self._presentation_undo: list = []  # how to take the presentation's sizes back
        self._fit_window_to_screen()
        self.apply_default_layout()

        self._build_actions()
        install_export_actions(self)
        self.statusBar().showMessage("starting…")

        self.compiler = CompileService(self)
        self.compiler.result.connect(self._on_compiled)
        self.compiler.busy.connect(self._on_busy)
        self.compiler.formulas.connect(self._show_formulas)

        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.save_settings)
        self._check_timer = QTimer(self)  # re-check the student's derivative after a pan or zoom settles
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(150)
        self._check_timer.timeout.connect(self.update_check)
        # The error-vs-step curves follow the point after it rests, not on every slider step.
        self._error_timer = QTimer(self)
        self._error_timer.setSingleShot(True)
        self._error_timer.setInterval(120)
        self._error_timer.timeout.connect(self._recompute_error_plot)
        self._error_source = None
        self.state.subscribe(lambda _changed: self._save_timer.start())

        self.editor.submitted.connect(self.request_compile)
        self.point.valueChanged.connect(lambda v: self.state.update(a=v))
        self.step.valueChanged.connect(lambda v: self.state.update(delta_a=v))
        self.point_y.valueChanged.connect(lambda v: self.state.update(b=v))
        self.step_y.valueChanged.connect(lambda v: self.state.update(delta_b=v))
        self.surface_range.rangeChanged.connect(
            lambda xr, yr: self.state.update(surface_x_range=xr, surface_y_range=yr, surface_range_custom=True))
        self.plot2d.point_dragged.connect(self.point.setValue)
        self.plot2d.range_changed.connect(self._on_x_range_changed)
        self.state.subscribe(self._on_state_changed)
        self.check.compile_requested.connect(lambda channel, text: self.compiler.request(text, channel))
        self.check.formulas_changed.connect(self.update_check)
        self.sweep.step.connect(self._on_sweep_step)
        self.sweep.running_changed.connect(self._on_sweep_running)
        self.play_button.clicked.connect(lambda _checked: self.toggle_sweep())
        self.speed.valueChanged.connect(lambda v: setattr(self.sweep, "decades_per_second", v))
        self.lessons_dock.lesson_chosen.connect(self.load_lesson)
        self.error_dock.visibilityChanged.connect(self._on_error_dock_visibility)

        self.point.setValue(self.state.a)
        self.step.setValue(self.state.delta_a)
        self.point_y.setValue(self.state.b)
        self.step_y.setValue(self.state.delta_b)
        self.surface_range.set_ranges(self.state.surface_x_range, self.state.surface_y_range)
        self._set_mode(two_variables=False)
        self._apply_visibility()
        self.editor.history = self._load_history()
        self.editor.remember("")  # put the Up/Down position after the newest entry
        self.editor.set_text(self.state.expression)
        if restore_problem:
            self.statusBar().showMessage(restore_problem, 10000)
        self._restore_window()
        self._shown_once = False

    # -- layout --------------------------------------------------------------------------------

    def _docks(self) -> tuple[QDockWidget, ...]:
        return (self.error_dock, self.lessons_dock)

    def panels_as_left(self) -> dict[str, bool]:
        """Each dock's visibility as the user left it in 2D, outside the presentation mode.

        (A dock hidden only because the 3D page made room, or a presentation is on, counts as
        shown; one behind another dock's tab counts as shown too.)
        """
        if self._presentation is not None:
            shown = dict(self._presentation)
        else:
            shown = {dock.objectName(): not dock.isHidden() for dock in self._docks()}
        if self._mode_3d:
            shown["errorDock"] = self._error_dock_was_visible
        return shown

    def _fit_window_to_screen(self) -> None:
        """Start at 1500×950, or as much of a smaller screen as there is (with room for a title bar)."""
        width, height = 1500, 950
        screen = QGuiApplication.primaryScreen()
        if screen is not None:
            free = screen.availableGeometry()
            if free.width() < width or free.height() < height:
                width, height = min(width, free.width() - 8), min(height, free.height() - 36)
        self.resize(max(width, 640), max(height, 480))

    def _default_error_height(self) -> int:
        """The bottom docks' height: a quarter of the window (with room for their tabs, where tabbed)."""
        tabs = 26 if self.tabifiedDockWidgets(self.error_dock) else 0
        return int(min(250, max(170, 0.27 * self.height()))) + tabs

    def apply_default_layout(self) -> None:
        """Dock the panels where they start, sized for the window as it is now (View ▸ Panels ▸ Reset).

        Wide windows keep the Examples on the left, the whole height, and the error plot under the
        views; narrower ones (a 1024-pixel projector) tab the two together under the views, so the
        plot and the readouts keep the width.
        """
        width = self.width()
        for dock in self._docks():
            dock.setFloating(False)
        self.addDockWidget(Qt.BottomDockWidgetArea, self.error_dock)
        if width >= WIDE_LAYOUT:
            self.addDockWidget(Qt.LeftDockWidgetArea, self.lessons_dock)
        else:
            self.addDockWidget(Qt.BottomDockWidgetArea, self.lessons_dock)
            self.tabifyDockWidget(self.error_dock, self.lessons_dock)
        if self._presentation is not None:
            self._presentation.update({dock.objectName(): True for dock in self._docks()})
        else:
            self.lessons_dock.show()
            self.error_dock.setVisible(not self._mode_3d)
        self._error_dock_was_visible = True
        if width >= WIDE_LAYOUT:
            self.resizeDocks([self.lessons_dock], [int(min(310, max(200, 0.2 * width)))], Qt.Horizontal)
        else:
            self.resizeDocks([self.lessons_dock], [self._default_error_height()], Qt.Vertical)
            if not self._mode_3d:
                self.error_dock.raise_()
        self.resizeDocks([self.error_dock], [self._default_error_height()], Qt.Vertical)

    def _saved_panels(self) -> dict[str, bool]:
        """The docks' visibility saved as the user left them (see ``panels_as_left``); {} if none or unreadable."""
        raw = self.settings.value("window/panels")
        try:
            data = json.loads(raw) if isinstance(raw, str) and len(raw) < 1000 else {}
        except ValueError:
            return {}
        if not isinstance(data, dict):
            return {}
        return {name: shown for name, shown in data.items() if isinstance(name, str) and isinstance(shown, bool)}

    def _restore_window(self) -> None:
        """The window's size and panels as the last run left them (as in 2D, whatever mode it closed in)."""
        # A corrupt settings file may hold anything here; only bytes can be window geometry.
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, (QByteArray, bytes)) and self.restoreGeometry(geometry):
            self.apply_default_layout()  # for the restored size, should the docks' state be missing
        dock_state = self.settings.value("window/state")
        if isinstance(dock_state, (QByteArray, bytes)):
            self.restoreState(dock_state)
        for dock in self._docks():
            shown = self._saved_panels().get(dock.objectName())
            if shown is not None:
                dock.setVisible(shown)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self._fit_side_width()
            self._focus_view()  # Space plays: the focus is not in a text field to begin with
            QTimer.singleShot(0, self._repair_docks)

    def _repair_docks(self) -> None:
        """Give a restored dock too small to use (a 15-pixel error plot) a usable size back."""
        for dock, (min_width, min_height), inner in (
                (self.error_dock, USABLE_ERROR_PLOT, self.error_plot.plot),
                (self.lessons_dock, USABLE_LESSONS, self.lessons_dock.widget())):
            if not dock.isVisible():
                continue
            if dock.isFloating():
                if dock.width() < min_width or dock.height() < min_height:
                    dock.resize(max(dock.width(), 2 * min_width), max(dock.height(), 2 * min_height))
                continue
            if self.dockWidgetArea(dock) in (Qt.TopDockWidgetArea, Qt.BottomDockWidgetArea):
                if inner.height() < min_height:
                    self.resizeDocks([dock], [self._default_error_height()], Qt.Vertical)
            elif inner.width() < min_width:
                self.resizeDocks([dock], [max(2 * min_width, 260)], Qt.Horizontal)

    def _fit_side_width(self) -> None:
        """The side panel is as wide as its readouts need (never clipped) and the views get the rest."""
        side = self.side_scroll.widget()
        width = side.minimumSizeHint().width() + self.side_scroll.verticalScrollBar().sizeHint().width() + 2
        if width != self.side_scroll.minimumWidth():
            self.side_scroll.setMinimumWidth(width)
            sizes = self.splitter.sizes()
            if sum(sizes) > 0:
                self.splitter.setSizes([max(sum(sizes) - width, 1), width])

    def _fit_page3d(self, page) -> None:
        """Let the 3D page fit a small screen: its views' minimum sizes are a small screen's share."""
        page.view.setMinimumSize(240, 150)
        for plot in (page.slice_x, page.slice_y, page.gradient_line):
            plot.setMinimumSize(110, 110)
        if self._presentation is not None:
            self._presentation_undo.extend(_present_views(page, self._presentation_scale()))

    def _focus_view(self) -> None:
        """Put the keyboard focus on the view: Space plays, arrows pan (2D) or orbit (3D)."""
        view = self.views.currentWidget()
        (view.view if view is not self.plot2d and hasattr(view, "view") else view).setFocus()

    # -- presentation ------------------------------------------------------------------------

    def is_presenting(self) -> bool:
        return self._presentation is not None

    def _presentation_scale(self) -> dict[str, float]:
        return PRESENTATION_SCALE

    def set_presentation(self, on: bool) -> None:
        """For a projector: larger text, lines and markers, and the docks out of the way; off puts
        everything back as it was (the docks as the user left them)."""
        if on == (self._presentation is not None):
            return
        self.setUpdatesEnabled(False)
        try:
            if on:
                self._presentation = self.panels_as_left()
                for dock in self._docks():
                    dock.hide()
                self._presentation_undo = _present_widgets(self.centralWidget(), self.formula, [self.editor.line],
                                                           self._presentation_scale())
                for view in (self.plot2d, self._page3d):
                    if view is not None:
                        self._presentation_undo.extend(_present_views(view, self._presentation_scale()))
            else:
                for undo in reversed(self._presentation_undo):
                    undo()
                self._presentation_undo = []
                shown, self._presentation = self._presentation, None
                for dock in self._docks():
                    if dock is self.error_dock and self._mode_3d:
                        self._error_dock_was_visible = shown.get("errorDock", True)
                    else:
                        dock.setVisible(shown.get(dock.objectName(), True))
            self._fit_side_width()
        finally:
            self.setUpdatesEnabled(True)
        if self.presentation_action.isChecked() != on:
            self.presentation_action.setChecked(on)
        if on:
            self.statusBar().showMessage("presentation: F11 brings the panels back", 5000)

    # -- menus -------------------------------------------------------------------------------

    def _build_actions(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.setObjectName("fileMenu")
        self.quit_action = file_menu.addAction("&Quit", self.close)
        self.quit_action.setShortcut(QKeySequence.Quit)

        edit_menu = menu.addMenu("&Edit")
        edit_menu.setObjectName("editMenu")
        focus = edit_menu.addAction("Edit &expression", self._focus_editor)
        focus.setShortcut(QKeySequence("Ctrl+L"))
        edit_menu.addAction("&Clear expression history", self._clear_history)

        view_menu = menu.addMenu("&View")
        view_menu.setObjectName("viewMenu")
        reset = view_menu.addAction("&Reset view", self.reset_view)
        reset.setShortcuts([QKeySequence("Ctrl+0"), QKeySequence("Home")])
        zoom_in = view_menu.addAction("Zoom &in", lambda: self._zoom(0.8))
        zoom_in.setShortcut(QKeySequence.ZoomIn)
        zoom_out = view_menu.addAction("Zoom &out", lambda: self._zoom(1.25))
        zoom_out.setShortcut(QKeySequence.ZoomOut)
        reset_camera = view_menu.addAction("Reset &camera", self.reset_camera)
        reset_camera.setShortcut(QKeySequence("Ctrl+Shift+0"))
        # F5 plays from anywhere; Space too, except where it types a space (the editors, spin boxes).
        self.play_action = QAction("&Play Δ → 0", self, checkable=True)
        self.play_action.setObjectName("playAction")
        self.play_action.setShortcuts([QKeySequence(Qt.Key_F5), QKeySequence(Qt.Key_Space)])
        self.play_action.setShortcutContext(Qt.WindowShortcut)
        self.play_action.triggered.connect(lambda _checked: self.toggle_sweep())
        view_menu.addAction(self.play_action)
        leave_editor = QAction("Leave the expression editor (Space plays again)", self.editor.line)
        leave_editor.setObjectName("leaveEditorAction")
        leave_editor.setShortcut(QKeySequence(Qt.Key_Escape))
        leave_editor.setShortcutContext(Qt.WidgetShortcut)
        leave_editor.triggered.connect(self._focus_view)
        self.editor.line.addAction(leave_editor)
        self.presentation_action = QAction("P&resentation", self, checkable=True)
        self.presentation_action.setObjectName("presentationAction")
        self.presentation_action.setShortcut(QKeySequence(Qt.Key_F11))
        self.presentation_action.setToolTip("for a projector: larger text, lines and markers; the side panels "
                                            "hidden (F11 again brings them back)")
        self.presentation_action.toggled.connect(self.set_presentation)
        view_menu.addAction(self.presentation_action)
        view_menu.addSeparator()
        self.toggle_actions: dict[str, QAction] = {}
        # In the menu bar's row: on a small screen every line of height goes to the plot.
        toolbar = QToolBar("Show")
        toolbar.setObjectName("showToolbar")
        toolbar.setMovable(False)
        toolbar.setFloatable(False)
        toolbar.setContentsMargins(0, 0, 0, 0)
        toolbar.setStyleSheet("QToolBar { border: 0px; padding: 0px; spacing: 1px; }")
        menu.setCornerWidget(toolbar, Qt.TopRightCorner)
        self.show_toolbar = toolbar
        for i, (field, text, tip) in enumerate((
            ("show_f", "f", "show the curve f(x)"),
            ("show_derivative", "f′", "show the derivative f′(x) from autodiff"),
            ("show_secant", "secant", "show the secant through (a, f(a)) and (a + Δa, f(a + Δa))"),
            ("show_tangent", "tangent", "show the tangent at a, slope f′(a)"),
            ("show_guides", "guides", "show the dashed guides and the a, f(a) labels"),
            ("show_gradient", "∇f", "3D: show the gradient arrow under the point"),
            ("show_slices", "slices", "3D: show the slices f(x, b) and f(a, y) on the surface"),
            ("show_plane", "plane", "3D: show the tangent plane"),
        ), start=1):
            action = QAction(text, self, checkable=True)
            action.setObjectName(field + "Action")
            action.setToolTip(f"{tip} (Ctrl+{i})")
            action.setShortcut(QKeySequence(f"Ctrl+{i}"))
            action.setChecked(getattr(self.state, field))
            action.toggled.connect(lambda checked, field=field: self.state.update(**{field: checked}))
            view_menu.addAction(action)
            toolbar.addAction(action)
            self.toggle_actions[field] = action

        view_menu.addSeparator()
        panels = view_menu.addMenu("&Panels")
        panels.setObjectName("panelsMenu")
        panels.addAction(self.error_dock.toggleViewAction())
        panels.addAction(self.lessons_dock.toggleViewAction())
        panels.addSeparator()
        reset_panels = panels.addAction("&Reset panel layout", self.apply_default_layout)
        reset_panels.setObjectName("resetPanelsAction")
        reset_panels.setToolTip("put the panels back where they start, sized for this window")

        examples_menu = menu.addMenu("E&xamples")
        examples_menu.setObjectName("examplesMenu")
        for lesson in load_lessons():
            action = examples_menu.addAction(("Exercise: " if lesson.exercise else "") + lesson.title.removeprefix(
                "Exercise: "))
            action.setObjectName(f"lesson-{lesson.id}")
            action.triggered.connect(lambda _checked=False, lesson=lesson: self.load_lesson(lesson))

        help_menu = menu.addMenu("&Help")
        help_menu.setObjectName("helpMenu")
        syntax = help_menu.addAction("Expression &syntax", self.show_syntax)
        syntax.setObjectName("syntaxAction")
        syntax.setShortcut(QKeySequence.HelpContents)
        shortcuts = help_menu.addAction("&Keyboard shortcuts", self.show_shortcuts)
        shortcuts.setObjectName("shortcutsAction")
        shortcuts.setShortcut(QKeySequence("Ctrl+/"))
        help_menu.addAction("&About derivgui", self._show_about)

    # -- compile -----------------------------------------------------------------------------

    def request_compile(self, text: str) -> None:
        if text == self._requested_text:
            return
        self._requested_text = text
        self._compile_started = time.perf_counter()
        self.compiler.request(text)

    def _on_busy(self, busy: bool) -> None:
        if busy:
            self.statusBar().showMessage("compiling…")
        elif self.statusBar().currentMessage() == "compiling…":
            self.statusBar().clearMessage()

    def _on_compiled(self, channel: str, _request_id: int, compiled, error) -> None:
        if channel != MAIN:
            edit = self.check.edits.get(channel)
            if compiled is not None and edit is not None and getattr(compiled, "text", edit.text()) != edit.text():
                return  # an answer since replaced (a lesson was loaded): it must not be judged, nor reveal one
            self.check.on_compiled(channel, compiled, error)
            return
        # Only the newest request's result arrives here, so it answers _requested_text.
        self.last_result_text = self._requested_text
        if error is not None:
            self.editor.show_error(error.message, error.column)
            self.statusBar().showMessage(f"not plotted: {error.message} — the last valid plot stays", 8000)
            return
        elapsed_ms = (time.perf_counter() - self._compile_started) * 1000
        if self.compiled is None:
            # Everything alive now lives as long as the app: out of full collections (see tuning).
            freeze_long_lived_heap()
        new_expression = self.compiled is None or compiled.expression.normalized != self.compiled.expression.normalized
        self.compiled = compiled
        if self._lesson is not None and compiled.text != self._lesson.expression:
            self._leave_lesson()  # another expression: the lesson's envelope and hidden answer go
        signature = "f(x, y)" if len(compiled.variables) == 2 else "f(x)"
        self.editor.show_ok(f"✓ {signature} = {compiled.text}")
        self._formula_text = "autodiff: …"
        self._show_formula()
        self.setWindowTitle(f"derivgui — {signature} = {compiled.text}")
        self.state.update(expression=compiled.text)
        two_variables = len(compiled.variables) == 2
        self._set_mode(two_variables)
        if new_expression and two_variables:
            if not self.state.surface_range_custom:
                x_range, y_range = default_surface_range(compiled.expression.normalized)
                self.state.update(surface_x_range=x_range, surface_y_range=y_range)
                self.surface_range.set_ranges(x_range, y_range)
            self._redraw_surface()
        elif new_expression:
            self.plot2d.set_function(compiled.value_and_grad, x_range=self.state.x_range,
                                     branch_changes=compiled.branch_changes, holes=compiled.holes)
        lesson = self._lesson_to_frame
        if lesson is not None and compiled.text == lesson.expression:
            self._frame_lesson(lesson)
        self.update_point()
        self.update_check()
        self.statusBar().showMessage(f"ready: derivative by PyTensor autodiff, compiled in {elapsed_ms:.0f} ms", 5000)

    def _show_formulas(self, formulas: tuple[str, ...]) -> None:
        if nowhere_finite(self.compiled) is not None:  # 1/0, log(−1): f′ = 0 would be a lie
            self._formula_text = "autodiff:  no derivative: f is undefined everywhere"
        elif len(formulas) == 1:
            self._formula_text = f"autodiff:  f′(x) = {formulas[0]}"
        else:
            self._formula_text = f"autodiff:  ∂f/∂x = {formulas[0]}     ∂f/∂y = {formulas[1]}"
        self._show_formula()

    def _show_formula(self) -> None:
        """The autodiff formula, or in an exercise the note that it waits for the student's answer."""
        self.formula.answer_hidden = self._answer_hidden
        if self._answer_hidden:
            self.formula.setText(HIDDEN_ANSWER)
            self.formula.setStyleSheet(self.formula.styleSheet().replace("color: #8a4b00", "color: #777777"))
        else:
            self.formula.setText(self._formula_text)
            self.formula.setStyleSheet(self.formula.styleSheet().replace("color: #777777", "color: #8a4b00"))

    # -- point and step ----------------------------------------------------------------------

    def _set_mode(self, two_variables: bool) -> None:
        """Show the 3D page and its controls for f(x, y), the 2D ones for f(x); state is kept."""
        if two_variables != self._mode_3d:
            # The error-vs-step dock is about f(x); it makes room for the surface while in 3D and
            # comes back, as the user left it, in 2D (after a presentation, if one is on).
            if two_variables:
                self._error_dock_was_visible = self.panels_as_left()["errorDock"]
                self._mode_3d = True
                self.error_dock.hide()
            else:
                self._mode_3d = False
                if self._presentation is not None:
                    self._presentation["errorDock"] = self._error_dock_was_visible
                elif self._error_dock_was_visible:
                    self.error_dock.show()
        self.views.setCurrentWidget(self.page3d if two_variables else self.plot2d)
        self.point_panel.setUpdatesEnabled(False)  # one repaint for the whole switch
        for widget in (self.point_y, self.step_y, self.range_group, self.readouts_3d):
            widget.setVisible(two_variables)
        self.readouts.setVisible(not two_variables)
        self._arrange_point_panel(two_variables)
        self.point_panel.setUpdatesEnabled(True)
        self.check.set_two_variables(two_variables)
        self.hint.setText(
            "Shrink Δa and Δb: the red secants fold onto the green tangent lines of the slices."
            if two_variables else
            "Drag Δa towards the middle: the secant (red) turns into the tangent (dashed green).")
        for field in ("show_gradient", "show_slices", "show_plane"):
            self.toggle_actions[field].setEnabled(two_variables)
        self._fit_side_width()

    def _arrange_point_panel(self, two_variables: bool) -> None:
        """f(x): the animation beside the a and Δa sliders, the hint under them. f(x, y): b and Δb
        there instead, the animation under them, beside the hint (a narrow window keeps the sliders long)."""
        grid, row = self.point_grid, self.play_row
        for widget in (self.play_button, self.speed, self.hint):
            grid.removeWidget(widget)
            row.removeWidget(widget)
        if two_variables:
            row.addWidget(self.play_button)
            row.addWidget(self.speed)
        else:
            grid.addWidget(self.play_button, 0, 1)
            grid.addWidget(self.speed, 1, 1)
        row.addWidget(self.hint, 1)
        grid.setColumnStretch(1, 1 if two_variables else 0)

    def is_two_variables(self) -> bool:
        return self.compiled is not None and len(self.compiled.variables) == 2

    def _on_state_changed(self, changed: set[str]) -> None:
        if changed & {"surface_x_range", "surface_y_range"} and self.is_two_variables():
            self._redraw_surface()
        if changed & {"a", "delta_a", "b", "delta_b", "surface_x_range", "surface_y_range"}:
            self.update_point()
        if changed & {"surface_x_range", "surface_y_range"}:
            self.update_check()
        if any(name.startswith("show_") for name in changed):
            self._apply_visibility()

    def _redraw_surface(self) -> None:
        self.page3d.set_function(self.compiled.value_and_grad, self.state.surface_x_range,
                                 self.state.surface_y_range, branch_changes=self.compiled.branch_changes)
        x0, x1 = self.state.surface_x_range
        y0, y1 = self.state.surface_y_range
        self.point.set_slider_range(x0, x1)
        self.point_y.set_slider_range(y0, y1)
        self.step.set_max_magnitude(x1 - x0)
        self.step_y.set_max_magnitude(y1 - y0)

    def update_point(self) -> None:
        """Re-evaluate at the point and move the overlays: no compile, a few evaluations."""
        if self.compiled is None:
            return
        s = self.state
        if len(self.compiled.variables) == 1:
            report = judged_secant_report(self.compiled, s.a, s.delta_a)
            self.plot2d.set_report(report)
            self.readouts.show_report(report)
            self._update_error_plot(self.compiled.value_and_grad, s.a, s.delta_a)
            return
        report = judged_point_report(self.compiled, s.a, s.b, s.delta_a, s.delta_b)
        self._update_error_plot(slice_along_x(self.compiled.value_and_grad, s.b), s.a, s.delta_a)
        self.page3d.set_point(report, s.delta_a, s.delta_b)
        if self.plot3d.outside_note:
            self.statusBar().showMessage("(a, b) is outside the surface range", 4000)
        self.readouts_x.show_report(report.along_x)
        self.readouts_y.show_report(report.along_y)
        scale = self.plot3d.gradient_scale
        note = "" if scale == 1.0 else f"  (arrow drawn ×{format_number(scale, 3)})"
        self.gradient_norm.setText(f"|∇f(a, b)| = {format_number(report.grad_norm)}{note}")

    def _update_error_plot(self, value_and_grad, a: float, delta: float) -> None:
        """Δa just moves a marker; a new point recomputes the curves once the point rests."""
        key = (id(self.compiled), a, self.state.b if self.is_two_variables() else None)
        if key != self._error_key:
            self._error_key = key
            self._error_source = (value_and_grad, a)
            self._error_timer.start()
        self.error_plot.set_current_step(delta)

    def _on_error_dock_visibility(self, visible: bool) -> None:
        if visible and self._error_key is None:
            self.update_point()

    def _recompute_error_plot(self) -> None:
        if self.error_dock.isVisible():
            value_and_grad, a = self._error_source
            verdict = self.compiled.derivative_at(a, self.state.b) if self.is_two_variables() \
                else self.compiled.derivative_at(a)
            verdict = verdict[0] if isinstance(verdict, tuple) else verdict  # along x, as the plot is
            if verdict.exists:
                self.error_plot.set_errors(step_errors(value_and_grad, a, tangent=verdict.value))
            else:
                self.error_plot.show_no_tangent(verdict.describe().removeprefix("no derivative: "),
                                                vertical=verdict.kind == "vertical")
        else:
            self._error_key = None  # recompute when the dock is shown again

    def update_check(self) -> None:
        """Compare the student's derivative(s) with autodiff over what is on screen."""
        if self.compiled is None or self.check.two_variables != (len(self.compiled.variables) == 2):
            return  # (a lesson set the check up for its f, still compiling: its result checks again)
        if len(self.compiled.variables) == 1:
            curve = self.plot2d.curve
            keep = np.isfinite(curve.x)
            x, autodiff = curve.x[keep], curve.df[keep]
            skip, reasons = nonsmooth_points(self.compiled, x)
            results = self.check.check(x, (x,), (autodiff,), values=curve.f[keep], function=self.compiled,
                                       skip=skip, skip_reasons=reasons)
            compiled = self.check.compiled["check-x"]
            if compiled is not None and results and results[0] is not None:
                mine = evaluate_formula(compiled, (x,))
                bad = results[0].disagree_at
                self.plot2d.show_my_derivative(x, mine, bad, evaluate_formula(compiled, (bad,)))
            else:
                self.plot2d.show_my_derivative(None)
            self._reveal_if_correct()
            return
        (x0, x1), (y0, y1) = self.state.surface_x_range, self.state.surface_y_range
        xs, ys = np.meshgrid(np.linspace(x0, x1, 61), np.linspace(y0, y1, 61), indexing="ij")
        args = (xs.ravel(), ys.ravel())
        values, (gx, gy) = self.compiled.value_and_grad(*args)
        self.check.check(np.stack(args, axis=1), args, (gx, gy), values=values, function=self.compiled)
        self._reveal_if_correct()

    def _on_x_range_changed(self, x0: float, x1: float) -> None:
        if self.is_two_variables():
            return  # the hidden 2D view does not drive the controls of the surface
        self.state.update(x_range=(x0, x1))
        self.point.set_slider_range(x0, x1)
        self.step.set_max_magnitude(x1 - x0)
        self._check_timer.start()

    def _apply_visibility(self) -> None:
        s = self.state
        self.plot2d.set_visibility(s.show_f, s.show_derivative and not self._answer_hidden, s.show_secant,
                                   s.show_tangent, s.show_guides)
        derivative = s.show_derivative and not self._answer_hidden  # an exercise keeps f′ for the student
        if self._page3d is not None:
            self._page3d.set_overlay_visibility(
                secant=s.show_secant, tangent=s.show_tangent, gradient=s.show_gradient, slices=s.show_slices,
                plane=s.show_plane, guides=s.show_guides, f=s.show_f, derivative=derivative)
            for curve in (self._page3d.grad_x_curve, self._page3d.grad_y_curve):
                curve.setVisible(not self._answer_hidden)
        for field, action in self.toggle_actions.items():
            if action.isChecked() != getattr(s, field):
                action.setChecked(getattr(s, field))
        action = self.toggle_actions["show_derivative"]
        action.setEnabled(not self._answer_hidden)
        action.setToolTip("hidden in an exercise until your derivative checks ✓ (or click the formula line)"
                          if self._answer_hidden else "show the derivative f′(x) from autodiff (Ctrl+2)")

    def reset_view(self) -> None:
        if self.is_two_variables():
            self.reset_camera()
            self.page3d.set_function(self.compiled.value_and_grad, self.state.surface_x_range,
                                     self.state.surface_y_range, branch_changes=self.compiled.branch_changes)
            self.update_point()
        else:
            self.plot2d.frame(*AppState().x_range)

    def reset_camera(self) -> None:
        if self._page3d is not None:
            self._page3d.view.reset_camera()

    @property
    def page3d(self):
        """The two-variable page (``page3d.SurfacePage``), built the first time it is needed: its
        OpenGL imports and widgets are not needed for the first plot of an f(x)."""
        if self._page3d is None:
            from derivgui.ui.view3d.page3d import SurfacePage

            self._page3d = SurfacePage()
            self._fit_page3d(self._page3d)
            self.views.addWidget(self._page3d)
            self._page3d.slice_x.point_dragged.connect(self.point.setValue)
            self._page3d.slice_y.point_dragged.connect(self.point_y.setValue)
            self._apply_visibility()
        return self._page3d

    @property
    def plot3d(self):
        """The 3D view (``plot3d.Plot3DView``, named "plot3d"); builds the 3D page if needed."""
        return self.page3d.view

    # -- Δ → 0 animation -----------------------------------------------------------------------

    def toggle_sweep(self) -> None:
        """Play or pause Δ → 0; at the end, Play starts over from where the last sweep started."""
        self.sweep.toggle(self.state.delta_a)
        self._show_play_state(self.sweep.is_running())  # a click toggled the button: show the truth

    def _show_play_state(self, running: bool) -> None:
        """The button and the menu item say whether the animation runs (and what a press does)."""
        self.play_button.setChecked(running)
        self.play_button.setText("❚❚ pause" if running else "▶ Δ → 0")
        self.play_action.setChecked(running)

    def _on_sweep_step(self, delta: float) -> None:
        ratio = delta / self.state.delta_a
        self.step.setValue(delta)
        if self.is_two_variables():
            self.step_y.setValue(float(f"{self.state.delta_b * ratio:.4g}"))

    def _on_sweep_running(self, running: bool) -> None:
        self._show_play_state(running)
        self.statusBar().showMessage("animating Δ → 0 (F5 or Space pauses)" if running else "animation stopped",
                                     3000)

    # -- sessions ------------------------------------------------------------------------------

    def apply_state(self, state: AppState, history: list[str] | None = None) -> None:
        """Show a saved state (File ▸ Open session): controls, ranges, toggles, then the expression."""
        self.sweep.stop()
        self.state.update(**{name: getattr(state, name) for name in AppState.field_names() if name != "expression"})
        self.point.setValue(state.a)
        self.step.setValue(state.delta_a)
        self.point_y.setValue(state.b)
        self.step_y.setValue(state.delta_b)
        self.surface_range.set_ranges(state.surface_x_range, state.surface_y_range)
        if history is not None:
            self.editor.history[:] = history
            self.editor.remember("")
        self.plot2d.frame(*state.x_range)
        if self.is_two_variables():
            self._redraw_surface()
        self.editor.set_text(state.expression)
        self.update_point()

    # -- lessons -------------------------------------------------------------------------------

    def load_lesson(self, lesson: Lesson) -> None:
        """Load an example or exercise: its expression, ranges, point, step, overlays and text."""
        self.sweep.stop()
        changes = lesson.state_changes()
        self.state.update(**{k: v for k, v in changes.items() if k != "expression"})
        self.point.setValue(lesson.point[0])
        self.step.setValue(lesson.delta[0])
        if lesson.two_variables:
            self.point_y.setValue(lesson.point[1])
            self.step_y.setValue(lesson.delta[1])
            self.surface_range.set_ranges(self.state.surface_x_range, self.state.surface_y_range)
        if lesson.x_range is not None:
            self.plot2d.frame(*lesson.x_range)
        self._leave_lesson()
        self._lesson = lesson
        self._answer_hidden = lesson.exercise
        self._lesson_to_frame = lesson
        self._show_formula()
        self._apply_visibility()
        self.check.set_two_variables(lesson.two_variables)
        self.check.set_texts(() if lesson.exercise else lesson.my_derivative)
        self.lessons_dock.show_lesson(lesson)
        if self._presentation is None:
            self.lessons_dock.show()
            self.lessons_dock.raise_()  # (its tab to the front, where it shares the place with the error plot)
        else:
            self._presentation["lessonsDock"] = True
        self.editor.remember(lesson.expression)
        self.editor.set_text(lesson.expression)
        if self.compiled is not None and self.compiled.text == lesson.expression:
            if self.is_two_variables():
                self._redraw_surface()
            self._frame_lesson(lesson)  # no compile comes: the expression is on screen already
        self._focus_view()
        self.statusBar().showMessage(f"lesson: {lesson.title}", 5000)

    def _frame_lesson(self, lesson: Lesson) -> None:
        """Frame the lesson's point once its expression is on screen: y fitted to f alone where f′
        would squash f flat, and the guide lines (an envelope) it draws."""
        self._lesson_to_frame = None
        self._clear_lesson_items()
        if lesson.two_variables:
            return
        if lesson.fit_y == "f" and lesson.x_range is not None:
            xs = np.linspace(*lesson.x_range, 2001)
            values, _slopes = self.compiled.value_and_grad(xs)
            lo, hi = robust_y_range(np.asarray(values, dtype=float))
            ends = [slope * x + intercept for slope, intercept in lesson.envelope for x in lesson.x_range]
            if ends:  # the envelope in view too, to the corners
                pad = 0.08 * (max(ends) - min(ends))
                lo, hi = min(lo, min(ends) - pad), max(hi, max(ends) + pad)
            self.plot2d.getPlotItem().getViewBox().setRange(xRange=lesson.x_range, yRange=(lo, hi), padding=0)
        if lesson.envelope:
            pen = pg.mkPen("#888888", width=1.5, style=Qt.DashLine)
            x0, x1 = lesson.x_range if lesson.x_range is not None else self.plot2d.visible_x_range()
            far = 1e3 * max(abs(x0), abs(x1), x1 - x0)
            for slope, intercept in lesson.envelope:
                line = pg.PlotCurveItem([-far, far], [intercept - slope * far, intercept + slope * far], pen=pen)
                self.plot2d.addItem(line, ignoreBounds=True)
                self._lesson_items.append(line)
                if self._presentation is not None:
                    self._presentation_undo.extend(_present_item(line, **PRESENTATION_ITEM_SCALE))
            self.plot2d.legend.addItem(self._lesson_items[0], lesson.envelope_label or "envelope")

    def _clear_lesson_items(self) -> None:
        for item in self._lesson_items:
            self.plot2d.legend.removeItem(item)
            self.plot2d.removeItem(item)
        self._lesson_items = []

    def _leave_lesson(self) -> None:
        """Another lesson or expression: the last lesson's envelope goes and its answer shows."""
        self._lesson = self._lesson_to_frame = None
        self._clear_lesson_items()
        if self._answer_hidden:
            self._answer_hidden = False
            self._show_formula()
            self._apply_visibility()

    def _reveal_if_correct(self) -> None:
        lesson = self._lesson
        if (self._answer_hidden and lesson is not None and self.compiled.text == lesson.expression
                and self.check.verdict.text().startswith("✓")):
            self.reveal_answer()

    def reveal_answer(self) -> None:
        """Show the exercise's autodiff formula and f′ (after a ✓, or when the student asks)."""
        if not self._answer_hidden:
            return
        self._answer_hidden = False
        self._show_formula()
        self._apply_visibility()
        self.statusBar().showMessage("the autodiff derivative is shown", 4000)

    def _zoom(self, factor: float) -> None:
        x0, x1 = self.plot2d.visible_x_range()
        y0, y1 = self.plot2d.visible_y_range()
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        self.plot2d.getPlotItem().getViewBox().setRange(
            xRange=(cx - (cx - x0) * factor, cx + (x1 - cx) * factor),
            yRange=(cy - (cy - y0) * factor, cy + (y1 - cy) * factor), padding=0)

    def _focus_editor(self) -> None:
        self.editor.line.setFocus()
        self.editor.line.selectAll()

    # -- settings ----------------------------------------------------------------------------

    def _load_state(self) -> tuple[AppState, str | None]:
        """The state the last run saved, checked field by field, and a note for the user if anything was ignored.

        Whatever the settings file holds (any JSON, huge numbers, deep nesting, wrong types, NaN),
        this never raises: each unusable value takes its default and the others are kept. A file
        with problems is copied to ``<ini>.bad`` first, since the next save overwrites it. The
        editor's history is read and checked here too (``_load_history`` returns it).
        """
        import os
        import shutil
        import stat
        import sys

        from derivgui.model.session import HISTORY_LIMIT, SessionError, clean_history, decode_json, describe_file_type

        problems: list[str] = []
        state = AppState()
        history: list[str] = []
        path = ""
        try:
            path = self.settings.fileName()
            mode = os.stat(path).st_mode if path and os.path.lexists(path) else None
            if mode is not None and not stat.S_ISREG(mode):
                self._loaded_history = []
                return state, (f"the settings file {path} is {describe_file_type(mode)}, not a file: started with "
                               "the defaults, and settings will not be saved")
        except (OSError, ValueError):
            pass
        for key in ("session/state", "editor/history"):
            try:
                raw = self.settings.value(key)
                if raw is None:
                    continue
                if not isinstance(raw, str):
                    raise SessionError(f"{key} is not text")
                data = decode_json(raw, key) if raw else ([] if key == "editor/history" else {})
                if key == "session/state":
                    if not isinstance(data, dict):
                        raise SessionError("the saved state is not a JSON object")
                    state = AppState.from_dict(data, problems=problems)
                else:
                    if not isinstance(data, list):
                        raise SessionError("the history is not a list")
                    history = clean_history(data, problems)[-HISTORY_LIMIT:]
            except (SessionError, ValueError, TypeError) as exc:
                problems.append(str(exc))
            except Exception as exc:  # noqa: BLE001 - RecursionError, MemoryError…: never stop the app from starting
                problems.append(f"{key} could not be read ({type(exc).__name__})")
        self._loaded_history = history
        if not problems:
            return state, None
        kept = ""
        try:
            if path and os.path.isfile(path):
                shutil.copyfile(path, path + ".bad")
                kept = f"; the file as it was is kept in {path}.bad"
        except OSError:
            pass
        notes = "; ".join(problems)
        if len(notes) > 300:
            notes = notes[:299] + "…"
        message = f"saved settings: ignored {notes} (defaults used){kept}"
        print(f"derivgui: warning: {message}", file=sys.stderr)
        return state, message

    def _load_history(self) -> list[str]:
        """The editor's history from the settings, as ``_load_state`` checked it (text entries only)."""
        history = getattr(self, "_loaded_history", None)
        if history is None:
            from derivgui.model.session import clean_history, decode_json

            try:
                raw = self.settings.value("editor/history")
                data = decode_json(raw, "editor/history") if isinstance(raw, str) and raw else []
                history = clean_history(data) if isinstance(data, list) else []
            except Exception:  # noqa: BLE001 - a bad history never stops the app
                history = []
        self._loaded_history = None
        return list(history)

    def save_settings(self) -> None:
        """Write the state, history, geometry and docks; never NaN or inf (unusable values are saved as defaults)."""
        from derivgui.model.session import clean_history

        try:
            state_json = json.dumps(self.state.to_safe_dict(), allow_nan=False)
        except (ValueError, TypeError):
            state_json = json.dumps(AppState().to_dict(), allow_nan=False)
        self.settings.setValue("session/state", state_json)
        self.settings.setValue("editor/history", json.dumps(clean_history(list(self.editor.history))))
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        # The docks as the user left them in 2D (the 3D page and a presentation hide some for a while).
        self.settings.setValue("window/panels", json.dumps(self.panels_as_left()))

    def _clear_history(self) -> None:
        self.editor.history.clear()
        self.editor.remember("")
        self.save_settings()

    # -- help --------------------------------------------------------------------------------

    def _help_dialog(self, name: str, title: str, html: str) -> QDialog:
        """A help window beside the main one (not modal: the student can try what it says)."""
        dialog = self.findChild(QDialog, name)
        if dialog is None:
            dialog = QDialog(self)
            dialog.setObjectName(name)
            text = QTextBrowser(dialog)
            text.setObjectName(name.replace("Dialog", "Text"))
            text.setOpenExternalLinks(False)
            buttons = QDialogButtonBox(QDialogButtonBox.Close, dialog)
            buttons.rejected.connect(dialog.close)
            layout = QVBoxLayout(dialog)
            layout.addWidget(text)
            layout.addWidget(buttons)
            free = self.screen().availableGeometry() if self.screen() is not None else None
            dialog.resize(min(640, free.width() - 40) if free else 640, min(560, free.height() - 60) if free else 560)
        dialog.setWindowTitle(title)
        dialog.findChild(QTextBrowser).setHtml(html)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def shortcut_rows(self) -> list[tuple[str, str, str]]:
        """(menu, what, keys) for every action of the window that has a shortcut, in menu order: read
        from the actions themselves, so a new shortcut is listed as soon as it exists."""
        order = {menu.menuAction(): i for i, menu in enumerate(self.menuBar().findChildren(QMenu))}
        rows = []
        for action in dict.fromkeys(self.findChildren(QAction)):
            keys = [key.toString(QKeySequence.NativeText) for key in action.shortcuts() if not key.isEmpty()]
            if not keys:
                continue
            menus = [w for w in action.associatedWidgets() if isinstance(w, QMenu)]
            where = _plain(menus[0].title()) if menus else "Expression editor" if action.parent() is self.editor.line \
                else "Window"
            rank = min((order.get(menu.menuAction(), 99) for menu in menus), default=99)
            rows.append((rank, where, _plain(action.text()), ", ".join(keys)))
        rows.sort(key=lambda row: row[0])
        return [(where, what, keys) for _rank, where, what, keys in rows]

    def show_shortcuts(self) -> QDialog:
        cells = "".join(f"<tr><td><b>{html.escape(keys)}</b></td><td>{html.escape(what)}</td>"
                        f"<td style='color:#666'>{html.escape(where)}</td></tr>"
                        for where, what, keys in self.shortcut_rows())
        widget_keys = "".join(f"<tr><td><b>{keys}</b></td><td>{what}</td></tr>" for keys, what in WIDGET_KEYS)
        return self._help_dialog("shortcutsDialog", "Keyboard shortcuts", (
            "<h3>Keyboard shortcuts</h3><table cellspacing='0' cellpadding='3'>"
            f"<tr><th align='left'>Keys</th><th align='left'>Does</th><th align='left'>Menu</th></tr>{cells}</table>"
            "<p>Space plays Δ → 0 everywhere except where it types a space (the editors and number boxes);"
            " F5 plays from anywhere.</p>"
            f"<h4>In a view or an editor</h4><table cellspacing='0' cellpadding='3'>{widget_keys}</table>"))

    def show_syntax(self) -> QDialog:
        names = ", ".join(sorted(FUNCTIONS))
        aliases = ", ".join(f"{a} = {c}" for a, c in sorted(ALIASES.items()))
        symbols = "".join(f"<tr><td><b>{symbol}</b></td><td>{meaning}</td><td><code>{example}</code></td></tr>"
                          for symbol, meaning, example in UNICODE_SYNTAX)
        return self._help_dialog("syntaxDialog", "Expression syntax", (
            "<h3>Expression syntax</h3>"
            "<p>Variables: <b>x</b>, and <b>y</b> for a surface f(x, y). Constants: <b>pi</b> (or π), <b>e</b>.</p>"
            "<p>Operators: <code>+ - * /</code> and <code>^</code> or <code>**</code> for powers; "
            "<code>2x</code>, <code>3(x+1)</code>, <code>(x+1)(x-1)</code>, <code>x y</code> are products. "
            "<code>1.5e-3</code> is a number; <code>e^-x</code> and <code>x*-x</code> work.</p>"
            "<p>Typed or pasted mathematics works too:</p><table cellspacing='0' cellpadding='3'>"
            f"{symbols}</table>"
            f"<p>Functions: {html.escape(names)}.</p><p>Also: {html.escape(aliases)}.</p>"))

    def _show_about(self) -> None:
        QMessageBox.about(
            self, "About derivgui",
            "derivgui makes derivatives visible: the secant through a and a + Δa turns into the tangent "
            "as Δa → 0.\n\nDerivatives come from automatic differentiation with PyTensor, the maintained "
            "continuation of Theano.")

    # -- shutdown ----------------------------------------------------------------------------

    def closeEvent(self, event) -> None:
        self.sweep.stop()
        if self.compiled is not None:
            self.editor.remember(self.editor.text())
        self.save_settings()
        self.settings.sync()
        self.compiler.shutdown()
        if self._page3d is not None:
            self._page3d.stop_timers()
        super().closeEvent(event)
