"""An overlay: one thing a plot draws over its axes, shown or hidden by its name (see ``Overlay``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, ClassVar, NamedTuple

from PyQt5.QtCore import QLineF

from derivgui.ui.overlays.items import Segments

if TYPE_CHECKING:
    from derivgui.numeric.geometry import SampledCurve, SecantReport

ViewRange = tuple[tuple[float, float], tuple[float, float]]  # ((x0, x1), (y0, y1)): what the view shows, data units

# Where an overlay's items lie (``Overlay.z``). Items of equal z stack in the order they were added:
# the registered overlays first, in their order, then the student's f′ (the view's own).
Z_LINES = 0.0  # the curves and lines, under the student's f′
Z_MARKS = 1.0  # over the student's f′, with the points and their labels (the guides)


class OverlayEntry(NamedTuple):
    """What a window needs to offer an overlay: one checkable action per entry."""

    name: str  # the key of the model's visibility dict and of the view's registry
    title: str  # the menu's text for it
    tooltip: str
    default_visible: bool
    short_title: str = ""  # the action's text where room is short (the menu bar's row); the title if ""
    in_toolbar: bool = False  # whether the menu bar's row has it too


class Overlay:
    """One thing a 2D view draws over its axes, registered with the view by ``name``.

    The view (``Plot2DView``) makes one of each registered overlay class when it is made, and
    keeps them in its ``OverlayRegistry``. The model's visibility dict is keyed by the names;
    the window offers one action per ``OverlayRegistry.entries()`` and passes the whole dict to
    ``Plot2DView.set_overlays``. While an overlay is shown, the view calls its ``update`` on every
    move of the point and on every pan or zoom; while it is hidden, never (so keep ``update``
    cheap, a few floats into an item: it is part of every slider step, ~2-3 ms in all).

    How to add an overlay (the normal line, ``normal_line.py``, was added so; its diff is the recipe):

    1. One new file, ``derivgui/ui/overlays/<name>.py``, with a subclass of ``Overlay`` that sets

       - ``name`` (the key: "normal"), ``title`` (the View menu's text: "Normal line"),
         ``tooltip`` and ``default_visible`` (False keeps existing screens as they are);
       - ``build(view)``: make its graphics items and add each to the view with ``self.add(item)``
         (``legend=`` a text for a legend entry, ``bounds=True`` to count in the view's auto-range).
         The light items of ``derivgui.ui.overlays.items`` (``Segments``: lines through a few points)
         cost least on a slider step;
       - ``update(report, view_range)``: put the items where the point is (``report`` is a
         ``SecantReport``: a, Δa, f(a), the slopes, the verdict on f′(a)); ``view_range`` is
         ((x0, x1), (y0, y1)), for lines that span the view.

       Optionally ``short_title`` and ``in_toolbar`` (its action in the menu bar's row too),
       ``resampled(curve)`` (new samples of f and f′ after a pan, zoom or new function), ``z``
       (``Z_LINES`` or ``Z_MARKS``) and ``legend_when_hidden``.

    2. One registration: the class in ``PLOT2D_OVERLAYS`` in ``derivgui/ui/overlays/__init__.py``
       (with its import there).

    Nothing else changes: showing and hiding by name (``set_overlays(state.overlays)``; a name
    the model's dict lacks stays at ``default_visible``), the window's action (``entries()``),
    the 3D page's slice plots (they are 2D views too), and keeping the labels and the legend
    clear of its lines (``segments``) all come from the registry.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    short_title: ClassVar[str] = ""  # (see ``OverlayEntry``)
    in_toolbar: ClassVar[bool] = False
    tooltip: ClassVar[str] = ""
    default_visible: ClassVar[bool] = True
    z: ClassVar[float] = Z_LINES
    # Whether its legend entry stays while it is hidden (the curves', secant's and tangent's do,
    # as pyqtgraph's legends keep a hidden curve's); otherwise the legend grows only when it shows.
    legend_when_hidden: ClassVar[bool] = True

    def __init__(self, view) -> None:
        self.view = view
        self.items: list = []  # its graphics items, in the view
        self.shown = self.default_visible
        self._legend: tuple[object, str] | None = None  # (item, text): its legend entry, if it has one
        self.build(view)

    # -- what a subclass writes -----------------------------------------------------------------

    def build(self, view) -> None:
        """Make the items and ``add`` them to ``view``."""
        raise NotImplementedError

    def update(self, report: SecantReport, view_range: ViewRange) -> None:
        """Follow the point (and the view's range): called only while shown."""

    def resampled(self, curve: SampledCurve) -> None:
        """New samples of f and f′ (``curve.x``, ``curve.f``, ``curve.df``) for the visible range."""

    # -- what the base does -----------------------------------------------------------------------

    def add(self, item, legend: str | None = None, bounds: bool = False):
        """Put ``item`` in the view at this overlay's ``z``, with a legend entry ``legend``; with
        ``bounds``, the view's auto-range (pyqtgraph's 'A' button) takes it in. Returns ``item``."""
        item.setZValue(self.z)
        self.view.addItem(item, ignoreBounds=not bounds)
        item.setVisible(self.shown)
        self.items.append(item)
        if legend is not None:
            self._legend = (item, legend)
        self._show_in_legend(self.shown or self.legend_when_hidden)
        return item

    def set_visible(self, on: bool) -> bool:
        """Show or hide its items (and legend entry); whether anything changed."""
        changed = on != self.shown or any(item.isVisible() != on for item in self.items)
        self.shown = on
        for item in self.items:
            item.setVisible(on)
        if not self.legend_when_hidden:
            self._show_in_legend(on)
        return changed

    def segments(self) -> list[QLineF]:
        """Its lines as drawn (view coordinates), for the labels and the legend to keep clear of."""
        lines: list[QLineF] = []
        for item in self.items:
            if isinstance(item, Segments) and item.isVisible():
                lines += item.lines()
        return lines

    @property
    def fed(self) -> bool:
        """Whether it follows the point (has an ``update``)."""
        return type(self).update is not Overlay.update

    @classmethod
    def entry(cls) -> OverlayEntry:
        return OverlayEntry(cls.name, cls.title, cls.tooltip, cls.default_visible, cls.short_title or cls.title,
                            cls.in_toolbar)

    def _show_in_legend(self, on: bool) -> None:
        legend = getattr(self.view, "legend", None)
        if self._legend is None or legend is None:
            return
        item, text = self._legend
        present = any(sample.item is item for sample, _label in legend.items)
        if on and not present:
            legend.addItem(item, text)
        elif not on and present:
            legend.removeItem(item)


class OverlayRegistry:
    """A view's overlays by name, in the order they were registered (the window's menu order)."""

    def __init__(self, overlays: Iterable[Overlay] = ()) -> None:
        self._by_name: dict[str, Overlay] = {}
        self._shown: tuple[Overlay, ...] = ()
        self._fed: tuple[Overlay, ...] = ()
        for overlay in overlays:
            self.register(overlay)

    def register(self, overlay: Overlay) -> Overlay:
        if not overlay.name or overlay.name in self._by_name:
            raise ValueError(f"an overlay needs a name of its own: {overlay.name!r} ({type(overlay).__name__})")
        self._by_name[overlay.name] = overlay
        self._refresh()
        return overlay

    def __getitem__(self, name: str) -> Overlay:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[Overlay]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def names(self) -> list[str]:
        return list(self._by_name)

    def entries(self) -> list[OverlayEntry]:
        """(name, title, tooltip, default_visible, …) of each overlay: one checkable action each."""
        return [overlay.entry() for overlay in self]

    def visible(self, name: str) -> bool:
        """Whether ``name`` is registered and shown."""
        overlay = self._by_name.get(name)
        return overlay is not None and overlay.shown

    def set_visible(self, name: str, on: bool) -> bool:
        """Show or hide the overlay ``name`` (KeyError for a name not registered); whether it changed."""
        changed = self._by_name[name].set_visible(bool(on))
        self._refresh()
        return changed

    def apply(self, visible: Mapping[str, bool]) -> list[Overlay]:
        """Show or hide by name; names not registered here are ignored. The overlays that changed."""
        changed = [overlay for name, on in visible.items() if (overlay := self._by_name.get(name)) is not None
                   and overlay.set_visible(bool(on))]
        self._refresh()
        return changed

    def owner(self, item) -> Overlay | None:
        """The overlay that drew ``item``."""
        return next((overlay for overlay in self if any(mine is item for mine in overlay.items)), None)

    def shown(self) -> tuple[Overlay, ...]:
        return self._shown

    def fed(self) -> tuple[Overlay, ...]:
        """The shown overlays that follow the point: what a slider step updates."""
        return self._fed

    def _refresh(self) -> None:
        self._shown = tuple(overlay for overlay in self if overlay.shown)
        self._fed = tuple(overlay for overlay in self._shown if overlay.fed)
