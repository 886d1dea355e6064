"""Under the view, as wide as it: a, Δa (and b, Δb beside them for f(x, y)), the Δ → 0 animation
and a one-line hint."""

from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QDoubleSpinBox, QGridLayout, QHBoxLayout, QLabel, QToolButton, QWidget

from derivgui.ui.panels.controls import PointControl, StepControl

STEP_TIP = "the step Δ{0} (logarithmic slider: the middle is tiny, the ends are wide; 0 is skipped)"
PLAY, PAUSE = "▶ Δ → 0", "❚❚ pause"
HINTS = {False: "Drag Δa towards the middle: the secant (red) turns into the tangent (dashed green).",
         True: "Shrink Δa and Δb: the red secants fold onto the green tangent lines of the slices."}


class PointPanel(QWidget):
    def __init__(self, decades_per_second: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pointPanel")
        self.point = PointControl("a", "pointSpin", "the point a where the tangent touches f")
        self.step = StepControl("Δa", "deltaSpin", STEP_TIP.format("a"))
        self.point_y = PointControl("b", "pointYSpin", "the point's y coordinate b")
        self.step_y = StepControl("Δb", "deltaYSpin", STEP_TIP.format("b"))
        self.play_button = QToolButton()
        self.play_button.setObjectName("playButton")
        self.play_button.setCheckable(True)
        self.play_button.setToolButtonStyle(Qt.ToolButtonTextOnly)
        self.play_button.setToolTip("animate the step towards 1e-15 on the logarithmic scale (F5, or Space "
                                    "when not typing); at the end it starts over")
        self.play_button.setText(PLAY)
        metrics = self.play_button.fontMetrics()  # as wide for either text: no relayout on a toggle
        self.play_button.setMinimumWidth(max(metrics.horizontalAdvance(t) for t in (PLAY, PAUSE)) + 20)
        self.speed = QDoubleSpinBox()
        self.speed.setObjectName("speedSpin")
        self.speed.setRange(0.1, 10.0)
        self.speed.setSingleStep(0.25)
        self.speed.setValue(decades_per_second)
        self.speed.setSuffix(" decades/s")
        self.speed.setToolTip("how fast the animation shrinks the step")
        self.hint = QLabel()
        self.hint.setObjectName("hintLabel")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #555;")
        grid = self.grid = QGridLayout(self)
        grid.setContentsMargins(2, 4, 2, 0)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(3)
        grid.addWidget(self.point, 0, 0)
        grid.addWidget(self.step, 1, 0)
        grid.addWidget(self.point_y, 0, 1)
        grid.addWidget(self.step_y, 1, 1)
        self.play_row = QHBoxLayout()  # the animation and the hint (see arrange)
        self.play_row.setSpacing(6)
        grid.addLayout(self.play_row, 2, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        self.arrange(two_variables=False)

    def arrange(self, two_variables: bool) -> None:
        """f(x): the animation beside the a and Δa sliders, the hint under them. f(x, y): b and Δb
        there instead, the animation under them, beside the hint (a narrow window keeps the sliders long)."""
        self.setUpdatesEnabled(False)  # one repaint for the whole switch
        for widget in (self.point_y, self.step_y):
            widget.setVisible(two_variables)
        grid, row = self.grid, self.play_row
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
        self.hint.setText(HINTS[two_variables])
        self.setUpdatesEnabled(True)

    def show_play_state(self, running: bool) -> None:
        self.play_button.setChecked(running)
        self.play_button.setText(PAUSE if running else PLAY)
