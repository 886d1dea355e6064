"""The window's overlay actions: the 2D views' registered overlays and the 3D view's own, one each."""

from derivgui.ui.overlays import PLOT2D_OVERLAYS
from derivgui.ui.overlays.base import OverlayEntry
from derivgui.ui.overlays.surface import SURFACE_OVERLAYS


def overlay_menu() -> tuple[OverlayEntry, ...]:
    """One entry per overlay name: the 2D views' in registration order, then the 3D view's own;
    those of the menu bar's row first (keeping their order, and so their Ctrl+1… shortcuts), then
    the menu's only (a new overlay's, unless it asks for the row)."""
    entries: dict[str, OverlayEntry] = {}
    for entry in (*(overlay.entry() for overlay in PLOT2D_OVERLAYS), *SURFACE_OVERLAYS):
        entries.setdefault(entry.name, entry)
    return tuple(sorted(entries.values(), key=lambda entry: not entry.in_toolbar))


OVERLAY_MENU = overlay_menu()
# The overlays only the 3D view draws: their actions do nothing for an f(x).
THREE_D_ONLY = tuple(entry.name for entry in SURFACE_OVERLAYS
                     if entry.name not in {overlay.name for overlay in PLOT2D_OVERLAYS})
