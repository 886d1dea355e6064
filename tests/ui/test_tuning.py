"""The process-wide speed settings live in derivgui/ui/tuning.py only, and its functions set them."""

from __future__ import annotations

import gc
import pathlib
import sys

import pytest
from PyQt5.QtGui import QPixmapCache

from derivgui.ui import tuning

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "derivgui"
PROCESS_WIDE = ("setswitchinterval", "gc.freeze", "mallopt", "QPixmapCache.setCacheLimit")
ALLOWED = {"tuning.py", "app.py", "compile_server.py"}  # compile_server: the child's own os.nice


def test_no_view_or_core_module_sets_a_process_wide_option_itself():
    sources = [path for folder in ("ui", "core") for path in sorted((PACKAGE / folder).glob("*.py"))
               if path.name not in ALLOWED]
    assert sources
    found = [f"{path.relative_to(PACKAGE.parent)}:{number}: {word}"
             for path in sources
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             for word in PROCESS_WIDE if word in line]
    assert found == [], "process-wide settings belong in derivgui/ui/tuning.py"


def test_apply_process_settings_sets_the_pixmap_cache_limit(qapp):
    before = QPixmapCache.cacheLimit()
    try:
        QPixmapCache.setCacheLimit(1024)
        tuning.apply_process_settings()
        assert QPixmapCache.cacheLimit() >= tuning.DEFAULT_PIXMAP_CACHE_KB
    finally:
        QPixmapCache.setCacheLimit(max(before, QPixmapCache.cacheLimit()))


def test_the_pixmap_cache_limit_follows_the_cached_views(qtbot):
    import pyqtgraph as pg

    view = pg.GraphicsView()
    qtbot.addWidget(view)
    view.resize(800, 600)
    tuning.note_pixmap_caches(view, 3)
    tuning.fit_pixmap_cache()
    ratio = view.devicePixelRatioF()
    size = view.viewport().size()
    assert QPixmapCache.cacheLimit() >= 2 * 3 * size.width() * size.height() * 4 * ratio * ratio / 1024


def test_shorten_switch_interval():
    before = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.005)
        tuning.shorten_switch_interval()
        assert sys.getswitchinterval() == pytest.approx(tuning.SWITCH_INTERVAL_S)
        sys.setswitchinterval(0.0005)  # a shorter one is kept
        tuning.shorten_switch_interval()
        assert sys.getswitchinterval() == pytest.approx(0.0005)
    finally:
        sys.setswitchinterval(before)


def test_freeze_long_lived_heap():
    before = gc.get_freeze_count()
    tuning.freeze_long_lived_heap()
    assert gc.get_freeze_count() > 0
    if before == 0:
        gc.unfreeze()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_keep_heap_for_llvmpipe_sets_m_top_pad_once(monkeypatch):
    from OpenGL import GL

    calls = []

    class FakeLibc:
        def mallopt(self, param, value):
            calls.append((param, value))
            return 1

    monkeypatch.setattr(tuning, "_heap_kept", False)
    monkeypatch.setattr(tuning.ctypes, "CDLL", lambda _name: FakeLibc())
    monkeypatch.setattr(GL, "glGetString", lambda _name: b"llvmpipe (LLVM 15.0.7, 256 bits)")
    tuning.keep_heap_for_llvmpipe()
    tuning.keep_heap_for_llvmpipe()
    assert calls == [(-2, 16 << 20)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_keep_heap_for_llvmpipe_leaves_other_renderers_alone(monkeypatch):
    from OpenGL import GL

    calls = []
    monkeypatch.setattr(tuning, "_heap_kept", False)
    monkeypatch.setattr(tuning.ctypes, "CDLL", lambda _name: calls.append(_name))
    monkeypatch.setattr(GL, "glGetString", lambda _name: b"AMD Radeon")
    tuning.keep_heap_for_llvmpipe()
    assert calls == []
