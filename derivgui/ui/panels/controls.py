"""Slider + spin box pairs for a point (linear) and a step Δ (signed, logarithmic)."""

from __future__ import annotations

import math

from PyQt5.QtCore import QEvent, QRect, Qt, pyqtSignal
from PyQt5.QtGui import QPainter, QPixmap, QValidator
from PyQt5.QtWidgets import (
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QStyle,
    QStyleOptionGroupBox,
    QStylePainter,
    QWidget,
)

SLIDER_STEPS = 1000


class CachedFrameGroupBox(QGroupBox):
    """A QGroupBox that draws its frame from a pixmap and its title as QGroupBox does.

    A child's new text (a readout, a spin box's value) repaints the box's background under it, and
    styles draw a group box's frame by scaling a pixmap over the whole box: ~0.2 ms of every slider
    step for each box (Fusion, measured). The frame is rendered once per size, style and palette.
    """

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self._frame: QPixmap | None = None
        self._frame_key: tuple | None = None
        self._title_rect = QRect()  # the title's and the check box's, where the frame is not enough

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.type() in (QEvent.StyleChange, QEvent.PaletteChange, QEvent.FontChange, QEvent.EnabledChange):
            self._frame = None
        super().changeEvent(event)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        option = QStyleOptionGroupBox()
        self.initStyleOption(option)
        ratio = self.devicePixelRatioF()
        key = (self.width(), self.height(), ratio, int(option.state), option.text, int(option.subControls))
        if self._frame is None or key != self._frame_key:
            self._title_rect = self.style().subControlRect(QStyle.CC_GroupBox, option, QStyle.SC_GroupBoxLabel, self)
            self._title_rect |= self.style().subControlRect(QStyle.CC_GroupBox, option, QStyle.SC_GroupBoxCheckBox,
                                                            self)
            frame = QStyleOptionGroupBox(option)
            frame.subControls = option.subControls & QStyle.SC_GroupBoxFrame
            self._frame = QPixmap(round(self.width() * ratio), round(self.height() * ratio))
            self._frame.setDevicePixelRatio(ratio)
            self._frame.fill(Qt.transparent)
            painter = QPainter(self._frame)
            self.style().drawComplexControl(QStyle.CC_GroupBox, frame, painter, self)
            painter.end()
            self._frame_key = key
        painter = QStylePainter(self)
        painter.drawPixmap(0, 0, self._frame)
        if event.region().intersects(self._title_rect):
            option.subControls &= ~QStyle.SC_GroupBoxFrame
            painter.drawComplexControl(QStyle.CC_GroupBox, option)


class _SliderSpinRow(QWidget):
    """A caption, a slider and a spin box in a row; the spin box holds the value."""

    valueChanged = pyqtSignal(float)

    def __init__(self, label: str, spin: QDoubleSpinBox, spin_name: str, tooltip: str, slider_range: tuple[int, int],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(*slider_range)
        self.slider.setObjectName(spin_name.replace("Spin", "Slider"))
        self.spin = spin
        self.spin.setObjectName(spin_name)
        # As wide as a value needs, no wider: the slider gets the rest of a narrow row.
        self.spin.setMinimumWidth(90)
        self.spin.setMaximumWidth(self.spin.fontMetrics().horizontalAdvance("-0000.000000") + 34)
        for w in (self.slider, self.spin):
            w.setToolTip(tooltip)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        caption = QLabel(label)
        caption.setMinimumWidth(28)
        layout.addWidget(caption)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        self.spin.valueChanged.connect(self._on_spin)
        self.slider.valueChanged.connect(self._on_slider)

    def value(self) -> float:
        return self.spin.value()

    def setValue(self, value: float) -> None:
        self.spin.setValue(value)

    def _on_spin(self, value: float) -> None:
        raise NotImplementedError

    def _on_slider(self, pos: int) -> None:
        raise NotImplementedError


class PointControl(_SliderSpinRow):
    """``a`` (or ``b``): the slider spans the visible range, the spin box takes any value."""

    def __init__(self, label: str, spin_name: str, tooltip: str, parent: QWidget | None = None) -> None:
        self._lo, self._hi = -6.0, 6.0
        spin = QDoubleSpinBox()
        spin.setDecimals(6)
        spin.setRange(-1e6, 1e6)
        spin.setKeyboardTracking(False)
        spin.setSingleStep(0.1)
        super().__init__(label, spin, spin_name, tooltip, (0, SLIDER_STEPS), parent)

    def set_slider_range(self, lo: float, hi: float) -> None:
        """Make the slider span [lo, hi] (the visible range) without moving the value."""
        self._lo, self._hi = lo, hi
        self._sync_slider(self.spin.value())

    def _sync_slider(self, value: float) -> None:
        span = self._hi - self._lo
        pos = 0 if span <= 0 else round((value - self._lo) / span * SLIDER_STEPS)
        self.slider.blockSignals(True)
        self.slider.setValue(min(max(pos, 0), SLIDER_STEPS))
        self.slider.blockSignals(False)

    def _on_spin(self, value: float) -> None:
        self._sync_slider(value)
        self.valueChanged.emit(value)

    def _on_slider(self, pos: int) -> None:
        value = self._lo + (self._hi - self._lo) * pos / SLIDER_STEPS
        self.spin.setValue(float(f"{value:.6g}"))


class StepSpinBox(QDoubleSpinBox):
    """A spin box for Δ: scientific notation, steps multiply by 10^0.1, and 0 is never a value."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(40)  # QDoubleSpinBox rounds to this many decimals; 1e-15 must survive
        self.setRange(-1e6, 1e6)
        self.setKeyboardTracking(False)
        self._last_nonzero = 1.0
        self.valueChanged.connect(self._remember)

    def textFromValue(self, value: float) -> str:
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
            return f"{value:.4g}"
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text.replace("−", "-").strip())
        except ValueError:
            return self._last_nonzero

    def validate(self, text: str, pos: int):
        stripped = text.replace("−", "-").strip()
        if stripped in ("", "-", "+", ".", "-.", "+.") or stripped.lower().endswith(("e", "e-", "e+")):
            return QValidator.Intermediate, text, pos
        try:
            value = float(stripped)
        except ValueError:
            return QValidator.Invalid, text, pos
        if value == 0:
            return QValidator.Intermediate, text, pos  # typing 0.001 passes through "0"
        if not self.minimum() <= value <= self.maximum():
            return QValidator.Invalid, text, pos
        return QValidator.Acceptable, text, pos

    def fixup(self, text: str) -> str:
        return self.textFromValue(self._last_nonzero)

    def stepBy(self, steps: int) -> None:
        self.setValue(self.value() * 10 ** (0.1 * steps))

    def _remember(self, value: float) -> None:
        if value == 0:
            self.setValue(self._last_nonzero)  # Δ = 0 is skipped, never shown
        else:
            self._last_nonzero = value


class StepControl(_SliderSpinRow):
    """Δa (or Δb): a signed logarithmic slider from ±10^min_exponent up to ± the visible width.

    The slider's middle is the smallest magnitude (either sign); its ends are the largest, so the
    approach to 0 and the far secant are both one drag away.
    """

    def __init__(self, label: str, spin_name: str, tooltip: str, min_exponent: float = -15.0,
                 parent: QWidget | None = None) -> None:
        self._min_exp = min_exponent
        self._max_exp = 1.0
        super().__init__(label, StepSpinBox(), spin_name, tooltip, (-SLIDER_STEPS, SLIDER_STEPS), parent)

    def set_max_magnitude(self, width: float) -> None:
        """The slider's ends reach ± ``width`` (the visible width)."""
        if width > 0 and math.isfinite(width):
            self._max_exp = max(math.log10(width), self._min_exp + 1)
            self._sync_slider(self.spin.value())

    def slider_position(self, value: float) -> int:
        if value == 0:
            return 1
        exp = min(max(math.log10(abs(value)), self._min_exp), self._max_exp)
        magnitude = 1 + round((exp - self._min_exp) / (self._max_exp - self._min_exp) * (SLIDER_STEPS - 1))
        return magnitude if value > 0 else -magnitude

    def value_at(self, pos: int) -> float:
        if pos == 0:
            pos = 1
        frac = (abs(pos) - 1) / (SLIDER_STEPS - 1)
        magnitude = 10 ** (self._min_exp + frac * (self._max_exp - self._min_exp))
        return float(f"{math.copysign(magnitude, pos):.4g}")

    def _sync_slider(self, value: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(self.slider_position(value))
        self.slider.blockSignals(False)

    def _on_spin(self, value: float) -> None:
        if value == 0:
            return
        self._sync_slider(value)
        self.valueChanged.emit(value)

    def _on_slider(self, pos: int) -> None:
        if pos == 0:  # Δ = 0 is skipped: jump to the smallest step on the side we came from
            pos = 1 if self.spin.value() < 0 else -1
            self.slider.blockSignals(True)
            self.slider.setValue(pos)
            self.slider.blockSignals(False)
        self.spin.setValue(self.value_at(pos))


class RangeControl(QWidget):
    """The surface's domain: x from/to and y from/to spin boxes; emits only valid (lo < hi) ranges."""

    rangeChanged = pyqtSignal(tuple, tuple)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.spins: dict[str, QDoubleSpinBox] = {}
        for row, axis in enumerate(("x", "y")):
            grid.addWidget(QLabel(f"{axis} from"), row, 0)
            for col, end in enumerate(("Min", "Max")):
                spin = QDoubleSpinBox()
                spin.setObjectName(f"{axis}{end}Spin")
                spin.setRange(-1e6, 1e6)
                spin.setDecimals(4)
                spin.setKeyboardTracking(False)
                spin.setToolTip(f"the surface's {axis} range ({'lower' if end == 'Min' else 'upper'} end)")
                spin.valueChanged.connect(self._emit)
                self.spins[f"{axis}{end}"] = spin
                grid.addWidget(spin, row, 1 + 2 * col)
            grid.addWidget(QLabel("to"), row, 2)
        self._quiet = False

    def set_ranges(self, x_range: tuple[float, float], y_range: tuple[float, float]) -> None:
        self._quiet = True
        for key, value in zip(("xMin", "xMax", "yMin", "yMax"), (*x_range, *y_range), strict=True):
            self.spins[key].setValue(value)
        self._quiet = False

    def ranges(self) -> tuple[tuple[float, float], tuple[float, float]]:
        s = self.spins
        return (s["xMin"].value(), s["xMax"].value()), (s["yMin"].value(), s["yMax"].value())

    def _emit(self, _value: float) -> None:
        if self._quiet:
            return
        (x0, x1), (y0, y1) = self.ranges()
        if x0 < x1 and y0 < y1:
            self.rangeChanged.emit((x0, x1), (y0, y1))
