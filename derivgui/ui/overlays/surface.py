"""The 3D view's overlays, as the window offers them (their GL items are ``Plot3DView.overlays``).

Here, apart from the view, so that the window can list them without importing OpenGL.
"""

from derivgui.ui.overlays.base import OverlayEntry

SURFACE_OVERLAYS: tuple[OverlayEntry, ...] = (
    OverlayEntry("secant", "Secant", "3D: show the secants along x and y", True, "secant", True),
    OverlayEntry("tangent", "Tangent", "3D: show the tangent lines of the slices", True, "tangent", True),
    OverlayEntry("gradient", "Gradient ∇f", "3D: show the gradient arrow under the point", True, "∇f", True),
    OverlayEntry("slices", "Slices", "3D: show the slices f(x, b) and f(a, y) on the surface", True, "slices", True),
    OverlayEntry("plane", "Tangent plane", "3D: show the tangent plane", True, "plane", True),
)
