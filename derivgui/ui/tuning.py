"""Process-wide performance settings, all in one place: each changes the whole process (the
interpreter, the allocator, Qt's global pixmap cache), so no view sets one itself.

Every setting is a function here, with the measurement that justified it. Who calls what, when:

==========================  ===================================================================
``apply_process_settings``  ``app.build_window``, once, after the QApplication and the window
                            exist: the settings known at start-up (the pixmap cache limit for
                            the window's views). Tests that build a ``MainWindow`` themselves do
                            not call it; every setting below also has its own trigger, so they
                            get them when the condition arises (none is needed for correctness:
                            they only make the window faster).
``shorten_switch_interval`` ``page3d.SurfacePage.__init__``, when the surface refinement thread
                            is created (the 3D page is built the first time an f(x, y) is shown).
``freeze_long_lived_heap``  ``MainWindow._on_compiled``, after the first successful compile.
``keep_heap_for_llvmpipe``  ``plot3d.Plot3DView._render_frame``, with the GL context current
                            (it asks the renderer's name); does its work once.
``fit_pixmap_cache``        ``plot2d.cache_as_pixmaps`` (new cached items, after
                            ``note_pixmap_caches``) and the resizeEvents of ``plot2d.Plot2DView``
                            and ``error_plot.ErrorPlot``: the limit follows the views' sizes.
==========================  ===================================================================

Not here: ``compile_server.main`` lowers the compile child's own priority (``os.nice(10)``): a
setting of that child process, not of the window's. ``static_layer.StaticLayer`` wraps one scene's
``render`` (per scene, not process-wide).

The core must not import this module (it imports Qt).
"""

from __future__ import annotations

import ctypes
import gc
import sys
import weakref

from PyQt5.QtGui import QPixmapCache

# -- the GIL's switch interval ----------------------------------------------------------------

SWITCH_INTERVAL_S = 0.001  # the longest the GUI thread waits for the GIL held by the refinement thread


def shorten_switch_interval() -> None:
    """Switch the GIL every 1 ms instead of Python's 5 ms (never lengthen a shorter one).

    The surface refinement thread (``page3d``) runs Python between NumPy calls, and the GUI
    thread waited up to the switch interval for the GIL each time: in benchmarks/ui.py section 6
    the p99 gap while the surface is recomputed was 8.2-9.7 ms in three runs before, 7.0-8.0 in
    three after (commit c928bc8).
    """
    if sys.getswitchinterval() > SWITCH_INTERVAL_S:
        sys.setswitchinterval(SWITCH_INTERVAL_S)


# -- the garbage collector ----------------------------------------------------------------------


def freeze_long_lived_heap() -> None:
    """Move everything alive now into the collector's permanent generation.

    After the first compile, everything alive (Qt, pyqtgraph, NumPy, the window's widgets) lives
    as long as the app: frozen, it is kept out of full collections, which walked it all on every
    pass and stalled the event loop (commit 3e01cf1).
    """
    gc.freeze()


# -- glibc's allocator ----------------------------------------------------------------------------

_M_TOP_PAD = -2
_heap_kept = False


def keep_heap_for_llvmpipe() -> None:
    """Keep 16 MB of freed memory at the top of the heap (glibc's M_TOP_PAD); only on Linux with
    llvmpipe or softpipe, asked once. Needs a current GL context (it asks the renderer's name).

    llvmpipe allocates and frees its per-frame buffers on the drawing thread; with glibc's
    defaults the heap is trimmed after each frame and the next frame page-faults it back in:
    measured, a 200x200 surface took 21 ms of GUI-thread time to draw instead of 10-12 ms
    (commit 2cadcc8).
    """
    global _heap_kept
    if _heap_kept or not sys.platform.startswith("linux"):
        return
    _heap_kept = True
    from OpenGL import GL

    try:
        renderer = GL.glGetString(GL.GL_RENDERER) or b""
        if b"llvmpipe" not in renderer and b"softpipe" not in renderer:
            return
        ctypes.CDLL(None).mallopt(_M_TOP_PAD, 16 << 20)
    except (OSError, AttributeError, GL.GLError):
        pass


# -- Qt's pixmap cache ----------------------------------------------------------------------------

DEFAULT_PIXMAP_CACHE_KB = 10240  # Qt's default limit
_cached_views: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # view -> items drawn from caches


def note_pixmap_caches(view, count: int) -> None:
    """``count`` more items of ``view`` draw from device-pixel caches (see ``fit_pixmap_cache``)."""
    _cached_views[view] = _cached_views.get(view, 0) + count


def fit_pixmap_cache() -> None:
    """Let QPixmapCache hold every view's caches (10 MB by default; a cache is up to a viewport,
    ~1.3 MB for the 2D view of a 1500x950 window): caches that do not fit evict one another, and
    every paint draws them again. The caches are what a slider step's repaint of the 2D view
    saves: ~2.5 ms instead of ~5.5 ms (commit 97fea1b, measured on sin(x) + x^2/4, 694x476 view).
    The limit only grows."""
    needed_kb = DEFAULT_PIXMAP_CACHE_KB
    for view, count in list(_cached_views.items()):
        try:
            ratio = view.devicePixelRatioF()
            size = view.viewport().size()
        except RuntimeError:  # the view is gone
            continue
        needed_kb += int(2 * count * size.width() * size.height() * 4 * ratio * ratio / 1024)
    if QPixmapCache.cacheLimit() < needed_kb:
        QPixmapCache.setCacheLimit(needed_kb)


# -- at start-up ----------------------------------------------------------------------------------


def apply_process_settings() -> None:
    """The settings known at start-up; ``app.build_window`` calls it once, after the QApplication
    and the window exist. The others wait for their condition (see the module's table)."""
    fit_pixmap_cache()
