"""Error against step on log–log axes: the V that explains why a tiny Δa goes wrong."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QLabel, QVBoxLayout, QWidget

from derivgui.core.steps import StepErrors, reference_line
from derivgui.ui.plot2d import Dots, cache_as_pixmaps, fit_pixmap_cache

NOTE = ("Right of the V the secant is not yet the tangent: the error falls like Δa (forward) or Δa² "
        "(central). Left of it f(a + Δa) and f(a) share most of their ~16 digits and the difference "
        "is rounding noise, growing like 1/Δa. The best forward step is near √ε ≈ 1.5e-8.")


def _log10(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log10(values)
    return np.where(np.isfinite(out), out, np.nan)


class ErrorPlot(QWidget):
    """|secant slope − f′(a)| against |Δa| from 1 to 1e-16, forward and central."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setObjectName("errorPlot")
        item = self.plot.getPlotItem()
        # Data are plotted as log10 values on log axes so zero errors become gaps, not -inf.
        item.setLogMode(x=False, y=False)
        item.getAxis("bottom").setLogMode(True)
        item.getAxis("left").setLogMode(True)
        item.setLabel("bottom", "|Δa|")
        item.setLabel("left", "|slope error|")
        item.showGrid(x=True, y=True, alpha=0.2)
        item.addLegend(offset=(-10, 10), labelTextColor="k", brush=pg.mkBrush(255, 255, 255, 220))
        self.forward = item.plot(name="forward (f(a+Δa) − f(a))/Δa", pen=pg.mkPen("#d62728", width=2),
                                 connect="finite")
        self.central = item.plot(name="central (f(a+Δa) − f(a−Δa))/2Δa", pen=pg.mkPen("#1f77b4", width=2),
                                 connect="finite")
        self.order1 = item.plot(name="O(Δa)", pen=pg.mkPen("#888", width=1, style=Qt.DashLine))
        self.order2 = item.plot(name="O(Δa²)", pen=pg.mkPen("#888", width=1, style=Qt.DotLine))
        self.current = pg.InfiniteLine(angle=90, pen=pg.mkPen("#2ca02c", width=2),
                                       label="current Δa", labelOpts={"color": "#2ca02c", "position": 0.92})
        item.addItem(self.current, ignoreBounds=True)
        # (a light Dots, not a ScatterPlotItem: each repaint of the marker's strip asks for its bounds)
        self.best = Dots(size=11, pen=pg.mkPen("k"), brush=pg.mkBrush("#ffcc00"))
        item.addItem(self.best)
        self.best_label = pg.TextItem("", color="k", anchor=(0.5, 1.3))
        item.addItem(self.best_label)
        item.setXRange(-16.5, 0.2, padding=0)
        self.note = QLabel(NOTE)
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #444;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.note)
        self.errors: StepErrors | None = None
        self._current_step: float | None = None  # the Δa the marker shows, or will when the plot is shown
        # Δa steps move only the marker: the rest is drawn from pixmaps (a step's repaint of the
        # marker's strip took ~2 ms, most of it replaying the axes and the grid; measured).
        curves = (self.forward, self.central, self.order1, self.order2)
        cache_as_pixmaps(self.plot, [item.getAxis("left"), item.getAxis("bottom"), item.legend, self.best,
                                     *(curve.curve for curve in curves)])

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        fit_pixmap_cache()

    def set_errors(self, errors: StepErrors) -> None:
        self.errors = errors
        lx = _log10(errors.steps)
        self.forward.setData(lx, _log10(errors.forward))
        self.central.setData(lx, _log10(errors.central))
        anchor = np.argmin(np.abs(errors.steps - 1e-2))
        for curve, order, series in ((self.order1, 1, errors.forward), (self.order2, 2, errors.central)):
            if np.isfinite(series[anchor]) and series[anchor] > 0:
                curve.setData(lx, _log10(reference_line(errors.steps, order, errors.steps[anchor], series[anchor])))
            else:
                curve.setData([], [])
        best = errors.best_forward_step()
        best_log_error = np.nan
        if np.isfinite(best):
            best_log_error = _log10(np.array([errors.forward[np.argmin(np.abs(errors.steps - best))]]))[0]
        if np.isfinite(best_log_error):
            self.best.setData([np.log10(best)], [best_log_error])
            self.best_label.setText(f"best forward step ≈ {best:.1e}")
            self.best_label.setPos(np.log10(best), best_log_error)
        else:  # the difference was exact at every step (f linear): there is no V to show
            self.best.setData([], [])
            self.best_label.setText("")
        finite = np.concatenate([_log10(errors.forward), _log10(errors.central)])
        finite = finite[np.isfinite(finite)]
        if finite.size:
            self.plot.getPlotItem().setYRange(max(finite.min(), -17) - 0.5, finite.max() + 1.0, padding=0)

    def set_current_step(self, delta: float) -> None:
        """Move the marker to |Δa|; while the plot is hidden (dock closed, 3D), only when it is shown."""
        if delta != 0:
            self._current_step = delta
            if self.isVisible():
                self.current.setValue(np.log10(abs(delta)))

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._current_step is not None:
            self.current.setValue(np.log10(abs(self._current_step)))
