"""The panel beside the views: the slope readouts (f(x)) or the gradient and the readouts along x
and y (f(x, y)), the student's check and the surface range; scrollable, readouts first."""

from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QFontMetrics
from PyQt5.QtWidgets import QGroupBox, QLabel, QScrollArea, QSplitter, QVBoxLayout, QWidget

from derivgui.ui.panels.check_panel import CheckPanel
from derivgui.ui.panels.controls import RangeControl
from derivgui.ui.panels.readouts import ALONG_X, ALONG_Y, SlopeReadouts


class SidePanel(QScrollArea):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sideScroll")
        self.readouts = SlopeReadouts()
        self.readouts_x = SlopeReadouts(ALONG_X)
        self.readouts_y = SlopeReadouts(ALONG_Y)
        self.gradient_norm = QLabel("—")
        self.gradient_norm.setObjectName("gradientNormLabel")
        self.gradient_norm.setToolTip("the length of the gradient ∇f(a, b) = (∂f/∂x, ∂f/∂y)")
        # A fixed size (as the readouts have) keeps its new text on every 3D step from
        # invalidating the side panel's layout: a relayout and a whole-panel repaint per step.
        metrics = QFontMetrics(self.gradient_norm.font())
        self.gradient_norm.setFixedSize(
            metrics.horizontalAdvance("|∇f(a, b)| = −8.88888888888e−888  (arrow drawn ×8.88)") + 8,
            metrics.height() + 4)
        self.readouts_3d = QWidget()
        layout_3d = QVBoxLayout(self.readouts_3d)
        layout_3d.setContentsMargins(0, 0, 0, 0)
        for widget in (self.gradient_norm, self.readouts_x, self.readouts_y):
            layout_3d.addWidget(widget)
        self.check = CheckPanel()
        self.surface_range = RangeControl()
        self.range_group = QGroupBox("Surface range")
        self.range_group.setObjectName("surfaceRangeGroup")
        QVBoxLayout(self.range_group).addWidget(self.surface_range)
        # The readouts first: they are what must show without scrolling on a small screen.
        side = QWidget()
        side.setObjectName("sidePanel")
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(4, 0, 4, 0)
        side_layout.setSpacing(4)
        for widget in (self.readouts, self.readouts_3d, self.check, self.range_group):
            side_layout.addWidget(widget)
        side_layout.addStretch(1)
        self.setWidget(side)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)

    def arrange(self, two_variables: bool) -> None:
        for widget in (self.range_group, self.readouts_3d):
            widget.setVisible(two_variables)
        self.readouts.setVisible(not two_variables)
        self.check.set_two_variables(two_variables)

    def fit_width(self, splitter: QSplitter) -> None:
        """As wide as the readouts need (never clipped); the views in ``splitter`` get the rest."""
        width = self.widget().minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width() + 2
        if width != self.minimumWidth():
            self.setMinimumWidth(width)
            sizes = splitter.sizes()
            if sum(sizes) > 0:
                splitter.setSizes([max(sum(sizes) - width, 1), width])
