"""What the 2D views draw over their axes, one overlay class each, registered by name.

``base.Overlay`` says how to add one: a file here with its class, and its line in
``PLOT2D_OVERLAYS`` below. A view (``Plot2DView``, also each slice plot of the 3D page) makes
one of each, in this order, which is also the order of the window's actions for them.
"""

from derivgui.ui.overlays.base import Overlay, OverlayEntry, OverlayRegistry
from derivgui.ui.overlays.curves import DerivativeCurve, FunctionCurve
from derivgui.ui.overlays.lines import Guides, Secant, Tangent
from derivgui.ui.overlays.normal_line import NormalLine

PLOT2D_OVERLAYS: tuple[type[Overlay], ...] = (
    FunctionCurve,
    DerivativeCurve,
    Secant,
    Tangent,
    Guides,
    NormalLine,
)

__all__ = ["PLOT2D_OVERLAYS", "Overlay", "OverlayEntry", "OverlayRegistry"]
