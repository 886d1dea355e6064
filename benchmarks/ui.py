"""UI benchmarks: drive the real MainWindow and check latency, responsiveness, start-up and a soak.

Run with ``.venv/bin/python benchmarks/ui.py`` (``make bench`` does). Without a display it re-executes
itself under ``xvfb-run``. Every number printed is measured in this run:

1. slider step: spin value change -> view and readouts updated and painted (median <= 5 ms, p99 <= 16 ms)
2. event-loop responsiveness: gaps of a 1 ms QTimer while 20 new expressions compile (worst <= 30 ms,
   p99 <= 10 ms), with the gaps attributed to what ran at the time (GUI-thread slots, paints, GC, compiles)
3. keystroke to new curve: editor submit -> the new curve painted, warm engine (median <= 150 ms)
4. start-up: process start -> window shown with the default plot painted, median of 5 with an empty
   program cache (<= 2 s) and of 5 with a warm one (<= 1 s: no PyTensor, no compile process needed), and
   ``import derivgui`` imports neither PyQt5 nor PyTensor
5. soak: 1,000 expressions and 10,000 slider steps in one window (RSS growth < 50 MB, bounded kernel
   cache, no running QThread and no QTimer leak after closing)
6. 3D view, f(x, y) = sin(sqrt(x^2+y^2)): a or b step -> overlays, readouts, the GL view and the slice plots
   updated and painted, with the idle 200x200 and a 100x100 surface (median <= 16 ms, p99 <= 33 ms); and
   gaps of a 1 ms QTimer while the surface range changes and new two-variable expressions compile, idle
   refinement to 200x200 included (worst <= 30 ms, p99 <= 10 ms)

The process exits with status 1 when a target is missed (``--no-fail`` reports without failing).
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
XVFB_SERVER_ARGS = "-screen 0 1600x1000x24 +extension GLX +render"
_UNDER_XVFB = "_DERIVGUI_BENCH_UNDER_XVFB"
perf = time.perf_counter
cpu = time.thread_time  # CPU time of the calling thread: wall time minus this is waiting (GIL, CPU, X server)


# -- display -----------------------------------------------------------------------------------


def ensure_display(argv: list[str]) -> None:
    """Re-execute under xvfb-run when there is no X display (an explicit QT_QPA_PLATFORM wins)."""
    if os.environ.get("DISPLAY") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if os.environ.get(_UNDER_XVFB):
        raise SystemExit("benchmarks/ui.py: started under xvfb-run, but DISPLAY is still unset")
    xvfb_run = shutil.which("xvfb-run")
    if xvfb_run is None:
        raise SystemExit("benchmarks/ui.py: no DISPLAY and no xvfb-run; run `make system-packages` first")
    env = dict(os.environ, **{_UNDER_XVFB: "1"})
    os.execve(xvfb_run, [xvfb_run, "-a", "-s", XVFB_SERVER_ARGS, sys.executable, os.path.abspath(__file__), *argv],
              env)


def private_runtime_dir() -> None:
    # Qt warns without XDG_RUNTIME_DIR; never touch the user's own.
    if not os.environ.get("XDG_RUNTIME_DIR"):
        path = Path(tempfile.gettempdir()) / f"derivgui-bench-runtime-{os.getuid()}"
        path.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(path)


# -- statistics and the result table ----------------------------------------------------------


def pct(values, q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else math.nan


def med(values) -> float:
    return pct(values, 50)


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return math.nan


def log(text: str = "") -> None:
    print(text, flush=True)


@dataclass
class Row:
    section: str
    metric: str
    value: str
    target: str = "—"
    ok: bool | None = None  # None: informational, no target

    @property
    def verdict(self) -> str:
        return "" if self.ok is None else ("PASS" if self.ok else "FAIL")


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)

    def add(self, section: str, metric: str, value: str, target: str = "—", ok: bool | None = None) -> None:
        self.rows.append(Row(section, metric, value, target, ok))

    def ms(self, section: str, metric: str, value: float, limit: float | None = None) -> None:
        if limit is None:
            self.add(section, metric, f"{value:.2f} ms")
        else:
            self.add(section, metric, f"{value:.2f} ms", f"<= {limit:g} ms", bool(value <= limit))

    def table(self) -> str:
        headers = ("#", "metric", "measured", "target", "result")
        cells = [(r.section, r.metric, r.value, r.target, r.verdict) for r in self.rows]
        widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
        line = "+".join("-" * (w + 2) for w in widths)
        out = ["+" + line + "+", "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |",
               "+" + line + "+"]
        previous = None
        for c in cells:
            if previous is not None and c[0] != previous:
                out.append("+" + line + "+")
            previous = c[0]
            out.append("| " + " | ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)) + " |")
        out.append("+" + line + "+")
        return "\n".join(out)

    @property
    def failed(self) -> list[Row]:
        return [r for r in self.rows if r.ok is False]


# -- expressions --------------------------------------------------------------------------------

FORMS = (
    "sin({c}*x) + x^2/{d}",
    "exp(-x^2/{c}) * cos({d}*x)",
    "log(1 + x^2/{c}) - tanh({d}*x)",
    "sqrt(x^2 + {c}) * atan({d}*x)",
    "x^3/{c} - {d}*x + sigmoid(x)",
    "softplus({c}*x) - cosh(x/{d})",
    "{c}/(1 + exp(-{d}*x))",
    "abs(x - {c}) + sin(x)^2*{d}",
    "erf(x/{c}) + x*cos(x)/{d}",
    "tan(x/{c}) - x/{d}",
)
_serial = 0


def fresh_expressions(n: int, forms: tuple[str, ...] = FORMS) -> list[str]:
    """``n`` expressions this process has never compiled (distinct constants, varied functions)."""
    global _serial
    out = []
    for _ in range(n):
        _serial += 1
        c = f"{1 + _serial / 997:.6g}"
        d = f"{2 + _serial / 13:.6g}"
        out.append(forms[_serial % len(forms)].format(c=c, d=d))
    return out


SURFACE_FORMS = (
    "sin({c}*x) * cos(y/{d})",
    "exp(-(x^2 + y^2)/{c}) * {d}",
    "x*y/{c} + sin({d}*x)",
    "log(1 + x^2 + y^2/{c}) - y/{d}",
    "tanh({c}*x - y/{d}) + cos(x*y/{c})",
)


def fresh_surface_expressions(n: int) -> list[str]:
    """``n`` two-variable expressions this process has never compiled."""
    return fresh_expressions(n, SURFACE_FORMS)


def soak_expression(k: int) -> str:
    return f"{k + 1}*sin(x) + x^{k % 5} - cos({k % 7 + 1}*x)/{k % 11 + 2}"


# -- instrumentation ----------------------------------------------------------------------------


class Probe:
    """Timed intervals of instrumented functions and garbage collections, on any thread."""

    def __init__(self) -> None:
        self.gui_thread = threading.get_ident()
        self.worker_thread: int | None = None
        self.recording = False
        self.intervals: list[tuple[str, int, float, float, float]] = []  # name, thread, start, end, CPU s
        self.plot = None  # the window's Plot2DView: only its paints count
        self.plot_paints: list[tuple[float, float, float]] = []  # (start, end, CPU s) of the plot's paintEvent
        # objectName -> (start, end, CPU s) of each paint of a watched view ("plot3d": its paintGL; others: the
        # pyqtgraph view's paintEvent); only names put here by ``watch`` are recorded.
        self.view_paints: dict[str, list[tuple[float, float, float]]] = {}
        self.compiled_at: dict[str, tuple[float, float]] = {}  # text -> _on_compiled (start, end)
        self.compile_times: dict[str, float] = {}  # text -> compile request duration on the worker
        self.compile_spans: dict[str, tuple[float, float]] = {}  # text -> compile request (start, end)
        self.gc_totals: dict[tuple[str, int], list[float]] = {}  # (thread, generation) -> [count, total s, max s]
        self._gc_start: dict[int, tuple[float, float]] = {}  # thread -> (wall, CPU) at the start
        self.wrapped: list[str] = []
        self.missing: list[str] = []

    def thread_name(self, ident: int) -> str:
        if ident == self.gui_thread:
            return "GUI"
        if ident == self.worker_thread:
            return "compile"
        return f"thread {ident}"

    def wrap(self, owner, name: str, label, after=None, description: str | None = None) -> None:
        """Time every call of ``owner.name`` (an interval while recording).

        ``label`` is a string, or a function of the call's arguments that gives one; ``after(args,
        start, end, cpu)`` runs after every call, recording or not, for the probes that keep more.
        """
        original = getattr(owner, name, None)
        if original is None:
            self.missing.append(description or label)
            return
        probe = self

        @functools.wraps(original)
        def timed(*args, **kwargs):
            t0, c0 = perf(), cpu()
            try:
                return original(*args, **kwargs)
            finally:
                t1, c = perf(), cpu() - c0
                if after is not None:
                    after(args, t0, t1, c)
                if probe.recording:
                    text = label(args) if callable(label) else label
                    probe.intervals.append((text, threading.get_ident(), t0, t1, c))

        setattr(owner, name, timed)
        self.wrapped.append(description or label)

    def gc_callback(self, phase: str, info: dict) -> None:
        ident = threading.get_ident()
        if phase == "start":
            self._gc_start[ident] = (perf(), cpu())
            return
        start = self._gc_start.pop(ident, None)
        if start is None:
            return
        end = perf()
        totals = self.gc_totals.setdefault((self.thread_name(ident), info.get("generation")), [0, 0.0, 0.0])
        totals[0] += 1
        totals[1] += end - start[0]
        totals[2] = max(totals[2], end - start[0])
        if self.recording:
            self.intervals.append((f"gc gen{info.get('generation')}", ident, start[0], end, cpu() - start[1]))

    def gc_summary(self) -> str:
        parts = [f"{where} gen{gen}: {int(n)} x, {total * 1000:.0f} ms total, max {worst * 1000:.1f} ms"
                 for (where, gen), (n, total, worst) in sorted(self.gc_totals.items(), key=lambda kv: str(kv[0]))]
        return "; ".join(parts) or "none"

    def install(self) -> None:
        """Patch the classes (before the window exists, so its signal connections see the wrappers)."""
        from derivgui.app import controller
        from derivgui.numeric import compiled
        from derivgui.ui import worker
        from derivgui.ui.panels import readouts
        from derivgui.ui.view2d import plot2d

        probe = self

        def compile_request_done(args, t0, t1, _cpu) -> None:
            _worker, text = args
            probe.worker_thread = threading.get_ident()
            probe.compile_times[text] = t1 - t0
            probe.compile_spans[text] = (t0, t1)

        # The worker thread parses, then waits for the compile process (wall time, little CPU).
        self.wrap(worker.CompileWorker, "_compiled", "compile (worker)", after=compile_request_done)

        def on_compiled_done(args, t0, t1, _cpu) -> None:
            control, *rest = args
            # Only a result that became the plotted expression marks "compiled" for its text.
            if control.compiled is not None and any(arg is control.compiled for arg in rest):
                probe.compiled_at[control.compiled.text] = (t0, t1)

        self.wrap(controller.Controller, "_on_compiled", "Controller._on_compiled", after=on_compiled_done)

        for name in ("update_point", "update_check", "_update_error_plot"):
            self.wrap(controller.Controller, name, f"Controller.{name}")
        for name in ("set_function", "frame", "resample", "set_report"):
            self.wrap(plot2d.Plot2DView, name, f"Plot2DView.{name}")
        self.wrap(readouts.SlopeReadouts, "show_report", "SlopeReadouts.show_report")
        self.wrap(compiled.CompiledExpression, "derivative_formulas", "CompiledExpression.derivative_formulas")
        self.install_3d()

        import pyqtgraph as pg

        def view_painted(args, t0, t1, c) -> None:
            view = args[0]
            if view is probe.plot:
                probe.plot_paints.append((t0, t1, c))
            elif probe.view_paints:
                watched = probe.view_paints.get(view.objectName())
                if watched is not None:
                    watched.append((t0, t1, c))

        def paint_label(args) -> str:
            view = args[0]
            return "plot paintEvent" if view is probe.plot else f"paintEvent {view.objectName() or 'view'}"

        # Plot2DView and the other pyqtgraph views inherit GraphicsView.paintEvent.
        self.wrap(pg.GraphicsView, "paintEvent", paint_label, after=view_painted,
                  description="paintEvent of every pyqtgraph view")
        gc.callbacks.append(self.gc_callback)

    def install_3d(self) -> None:
        """The 3D page: surface sampling and meshing, the point's overlays, and the GL view's paints."""
        import pyqtgraph.opengl as gl

        from derivgui.app import controller
        from derivgui.ui.view3d import page3d, plot3d

        self.wrap(page3d, "sample_surface", "sample_surface")  # page3d calls it by its imported name
        self.wrap(controller.Controller, "_redraw_surface", "Controller._redraw_surface")
        for name in ("set_function", "_draw_surface", "set_point"):
            self.wrap(page3d.SurfacePage, name, f"SurfacePage.{name}")
        for name in ("set_surface", "set_point"):
            self.wrap(plot3d.Plot3DView, name, f"Plot3DView.{name}")
        for cls in (gl.GLMeshItem, gl.GLLinePlotItem, gl.GLScatterPlotItem, gl.GLGridItem):
            self.wrap(cls, "paint", f"{cls.__name__}.paint")
        probe = self

        def gl_painted(_args, t0, t1, c) -> None:
            watched = probe.view_paints.get("plot3d")
            if watched is not None:
                watched.append((t0, t1, c))

        self.wrap(plot3d.Plot3DView, "paintGL", "plot3d paintGL", after=gl_painted, description="Plot3DView.paintGL")

    def watch(self, *names: str) -> list[list[tuple[float, float, float]]]:
        """Record the paints of the views with these objectNames; returns their (live) lists."""
        return [self.view_paints.setdefault(name, []) for name in names]

    def paint_after(self, t: float) -> float | None:
        """End time of the first plot paint that started at or after ``t``."""
        found = None
        for start, end, _cpu in reversed(self.plot_paints):
            if start < t:
                break
            found = end
        return found


class QThreadTracker:
    """Every QThread started in this process (napari's guard, as in tests/ui/conftest.py)."""

    def __init__(self) -> None:
        from PyQt5.QtCore import QThread

        self.started: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        original = QThread.start
        tracker = self

        def start(thread, *args):
            tracker.started[thread] = thread.objectName() or type(thread).__name__
            original(thread, *args)

        QThread.start = start

    def running(self) -> list[str]:
        names = []
        for thread, name in list(self.started.items()):
            try:
                if thread.isRunning():
                    names.append(name)
            except RuntimeError:  # the C++ object is gone, so it is not running
                pass
        return names


class EventTimeline:
    """Every event delivered on the GUI thread, with wall and CPU time stamps (an app-wide event filter).

    Each event is charged the time until the next delivery starts: a parent's paint until its first
    child's paint, a slot until the next event. Only for diagnostic passes: the filter runs Python for
    every event (and needs the GIL), so the measured passes never have it installed.
    """

    def __init__(self, app) -> None:
        from PyQt5.QtCore import QEvent, QObject

        self.app = app
        self.records: list[tuple[float, float, str]] = []
        names = {}
        for attr in dir(QEvent):
            value = getattr(QEvent, attr)
            if isinstance(value, QEvent.Type):
                names.setdefault(int(value), attr)
        records = self.records

        def describe(obj) -> str:
            label = f"{type(obj).__name__}:{obj.objectName()}" if obj.objectName() else type(obj).__name__
            parent = obj.parent()
            if not obj.objectName() and parent is not None:
                label += f" in {type(parent).__name__}:{parent.objectName() or '?'}"
            return label

        class Recorder(QObject):
            def eventFilter(self, obj, event) -> bool:
                try:
                    what = describe(obj)
                except RuntimeError:
                    what = "?"
                records.append((perf(), cpu(), f"{names.get(int(event.type()), int(event.type()))} {what}"))
                return False

        self._recorder = Recorder()

    def __enter__(self) -> EventTimeline:
        self.app.installEventFilter(self._recorder)
        return self

    def __exit__(self, *_exc) -> None:
        self.app.removeEventFilter(self._recorder)

    def mark(self, label: str) -> None:
        self.records.append((perf(), cpu(), label))

    def charge(self, spans: list[tuple[float, float]] | None = None) -> dict[str, list[float]]:
        """label -> [wall s, CPU s]; with ``spans``, only the wall time inside them (CPU pro rata)."""
        out: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        spans = sorted(spans) if spans is not None else None
        for (ta, ca, what), (tb, cb, _next) in zip(self.records, self.records[1:], strict=False):
            if spans is None:
                wall = tb - ta
            else:
                wall = sum(max(0.0, min(tb, e) - max(ta, s)) for s, e in spans if s < tb and e > ta)
                if wall == 0.0:
                    continue
            out[what][0] += wall
            out[what][1] += (cb - ca) * (wall / (tb - ta) if tb > ta else 0.0)
        return out


class CpuMeter:
    """CPU seconds used by this process, by its X server and by every other process between two snapshots.

    The targets assume the benchmark has the machine to itself; when other processes are busy, the
    latencies above include waiting for a CPU, and the table says how busy the machine was.
    """

    HZ = os.sysconf("SC_CLK_TCK")

    def __init__(self) -> None:
        self.xvfb = self._find_xvfb()

    @staticmethod
    def _find_xvfb() -> int | None:
        display = os.environ.get("DISPLAY", "")
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if argv and argv[0].endswith(b"Xvfb") and display.encode() in argv:
                return int(entry.name)
        return None

    def _process_cpu(self, pid: int | None) -> float:
        if pid is None:
            return 0.0
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / self.HZ

    def snapshot(self) -> tuple[float, float, float, float]:
        with open("/proc/stat") as fh:
            values = [int(v) for v in fh.readline().split()[1:9]]
        busy = (sum(values) - values[3] - values[4]) / self.HZ  # all but idle and iowait
        own = sum(os.times()[:4])  # with the waited-for start-up children
        return perf(), busy, own, self._process_cpu(self.xvfb)

    def describe(self, start: tuple[float, float, float, float]) -> tuple[str, float]:
        end = self.snapshot()
        wall, busy, own, xvfb = (b - a for a, b in zip(start, end, strict=True))
        other = max(busy - own - xvfb, 0.0)
        load = other / wall if wall > 0 else 0.0
        text = (f"CPU over {wall:.1f} s: this process {own:.1f} s, Xvfb {xvfb:.1f} s, other processes {other:.1f} s "
                f"(= {load:.2f} of {os.cpu_count()} CPUs busy with other work)")
        return text, load


# -- the benchmark session ----------------------------------------------------------------------


class Session:
    def __init__(self, args: argparse.Namespace) -> None:
        from PyQt5.QtCore import QEvent, QObject, QSettings, QTimer
        from PyQt5.QtWidgets import QApplication, QDoubleSpinBox, QLabel, QLineEdit, QSlider

        self.args = args
        self.results = Results()
        self.app = QApplication.instance() or QApplication([sys.argv[0]])
        self.probe = Probe()
        self.probe.install()
        self.threads = QThreadTracker()
        self.heartbeat = QTimer()  # wakes a waiting processEvents; no slot, so no Python runs
        self.heartbeat.setInterval(5)
        self.tmp = tempfile.TemporaryDirectory(prefix="derivgui-bench-")
        self.ini = str(Path(self.tmp.name) / "derivgui.ini")

        from derivgui.app.startup import open_window

        t0 = perf()
        self.window = open_window(QSettings(self.ini, QSettings.IniFormat))
        self.window.show()
        self.probe.plot = self.window.plot2d
        self.wait_until(lambda: self.window.compiled is not None and self.probe.plot_paints
                        and self.probe.plot_paints[-1][0] > self.probe.compiled_at.get(self.window.compiled.text,
                                                                                      (math.inf,))[1],
                        60, "the default plot")
        log(f"window up with the default plot in {(perf() - t0) * 1000:.0f} ms (in-process; PyTensor loads in "
            f"the compile process)")
        w = self.window
        self.point_spin = w.findChild(QDoubleSpinBox, "pointSpin")
        self.delta_spin = w.findChild(QDoubleSpinBox, "deltaSpin")
        self.point_slider = w.findChild(QSlider, "pointSlider")
        self.delta_slider = w.findChild(QSlider, "deltaSlider")
        self.line = w.findChild(QLineEdit, "expressionEdit")
        for name, obj in (("pointSpin", self.point_spin), ("deltaSpin", self.delta_spin),
                          ("expressionEdit", self.line)):
            if obj is None:
                raise SystemExit(f"benchmarks/ui.py: no widget named {name!r} in the main window")
        self.readout_labels = w.readouts.findChildren(QLabel)
        self.label_paints = 0
        session = self

        class LabelPaints(QObject):
            def eventFilter(self, _obj, event) -> bool:
                if event.type() == QEvent.Paint:
                    session.label_paints += 1
                return False

        class EventCounter(QObject):
            """Paints, update and layout requests and queued calls anywhere in the app (benchmark 1 only)."""

            WATCHED = frozenset(int(t) for t in (QEvent.Paint, QEvent.UpdateRequest, QEvent.LayoutRequest,
                                                 QEvent.MetaCall))

            def __init__(self) -> None:
                super().__init__()
                self.count = 0

            def eventFilter(self, _obj, event) -> bool:
                if int(event.type()) in self.WATCHED:
                    self.count += 1
                return False

        self.events = EventCounter()
        self._label_filter = LabelPaints()
        for label in self.readout_labels:
            label.installEventFilter(self._label_filter)

    # -- event-loop helpers -------------------------------------------------------------------

    def wait_until(self, predicate, timeout: float, what: str) -> None:
        from PyQt5.QtCore import QEventLoop

        deadline = perf() + timeout
        self.heartbeat.start()
        try:
            while not predicate():
                if perf() > deadline:
                    raise TimeoutError(f"waited {timeout:g} s for {what}")
                self.app.processEvents(QEventLoop.AllEvents | QEventLoop.WaitForMoreEvents)
        finally:
            self.heartbeat.stop()

    def pump(self, seconds: float) -> None:
        end = perf() + seconds
        self.wait_until(lambda: perf() >= end, seconds + 5, "a pause")

    def drain(self) -> None:
        for _ in range(5):
            self.app.processEvents()

    def readout_texts(self) -> list[str]:
        return [label.text() for label in self.readout_labels]

    def step(self, setter, value, settle: bool = False) -> tuple[float, float, bool, float]:
        """Set a value; process events until the plot (and any readout whose text changed) painted.

        Returns (latency to that paint, synchronous part, painted, latency until settled) in seconds.
        With ``settle``, events are processed further until a pass produces no more paints, layout
        requests or queued calls (a label whose text changed size re-lays out and paints again).
        """
        before = self.readout_texts()
        paints, labels = len(self.probe.plot_paints), self.label_paints
        t0 = perf()
        setter(value)
        t_sync = perf()
        readouts_changed = self.readout_texts() != before
        painted = True
        while len(self.probe.plot_paints) == paints or (readouts_changed and self.label_paints == labels):
            self.app.processEvents()
            if perf() - t0 > 1.0:
                painted = False
                break
        t_painted = t_settled = perf()
        if settle and painted:
            while perf() - t0 < 1.0:
                count = self.events.count
                self.app.processEvents()
                if self.events.count == count:
                    break
                t_settled = perf()
        return t_painted - t0, t_sync - t0, painted, t_settled - t0
    # -- 1. slider steps ------------------------------------------------------------------------

    def bench_steps(self) -> None:
        log("\n== 1. slider step: value change -> view + readouts updated and painted ==")
        n = self.args.steps
        self.window.editor.set_text("sin(x) + x^2/4")
        self.wait_until(lambda: self.window.controller.last_result_text == "sin(x) + x^2/4", 60, "sin(x) + x^2/4")
        self.pump(0.3)
        x0, x1 = self.window.plot2d.visible_x_range()
        lo, hi = x0 + 0.05 * (x1 - x0), x1 - 0.05 * (x1 - x0)
        half = n // 2
        a_values = np.round(np.concatenate([np.linspace(lo, hi, half + 1)[:-1], np.linspace(hi, lo, n - half)]), 6)
        # Δa: +1 -> +1e-12 -> +1, then -1 -> -1e-12 -> -1, logarithmically.
        down = np.logspace(0, -12, n // 4 + 1)
        d_values = np.concatenate([down, down[::-1][1:], -down, -down[::-1][1:]])

        for name, spin, values, fixed in (("a (pointSpin)", self.point_spin, a_values, ("delta", 0.5)),
                                          ("Δa (deltaSpin)", self.delta_spin, d_values, ("point", 1.0))):
            other = self.delta_spin if fixed[0] == "delta" else self.point_spin
            other.setValue(fixed[1])
            self.pump(0.2)
            total, sync, settled, unpainted = [], [], [], 0
            self.app.installEventFilter(self.events)
            previous = spin.value()
            gc_before = self.gc_counts()
            paint_mark = len(self.probe.plot_paints)
            for v in values:
                v = float(v)
                if v == previous:
                    continue
                previous = v
                latency, sync_part, painted, settled_latency = self.step(spin.setValue, v, settle=True)
                if painted:
                    total.append(latency * 1000)
                    sync.append(sync_part * 1000)
                    settled.append(settled_latency * 1000)
                else:
                    unpainted += 1
            self.app.removeEventFilter(self.events)
            gc_after = self.gc_counts()
            paints = self.probe.plot_paints[paint_mark:]
            paint_wall = [(e - s) * 1000 for s, e, _c in paints]
            paint_cpu = [c * 1000 for _s, _e, c in paints]
            key = "a" if spin is self.point_spin else "Δa"
            log(f"{name}: {len(total)} steps painted, {unpainted} without a paint within 1 s; "
                f"synchronous part (setValue -> return): median {med(sync):.2f} ms, p99 {pct(sync, 99):.2f} ms; "
                f"paint part median {med(np.subtract(total, sync)):.2f} ms, of which the plot's paintEvent "
                f"{med(paint_wall):.2f} ms wall / {med(paint_cpu):.2f} ms CPU (p99 {pct(paint_wall, 99):.2f} ms wall); "
                f"GC collections during the sweep (gen0/1/2): {np.subtract(gc_after, gc_before).tolist()}")
            self.results.ms("1", f"{key} step latency median ({len(total)} steps)", med(total), 5)
            self.results.ms("1", f"{key} step latency p99", pct(total, 99), 16)
            self.results.ms("1", f"{key} step latency max", max(total) if total else math.nan)
            self.results.add("1", f"{key} step until settled (relayout, 2nd paint): median / p99",
                             f"{med(settled):.2f} / {pct(settled, 99):.2f} ms")
            if unpainted:
                self.results.add("1", f"{key} steps without a paint", str(unpainted), "0", False)
            self.breakdown(spin, values[: max(len(values) // 8, 10)])

    def breakdown(self, spin, values, top: int = 8) -> None:
        """Where a step's time goes, in a separate pass with an EventTimeline (not in the latencies above)."""
        steps = 0
        totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        timeline = EventTimeline(self.app)
        with timeline:
            for v in values:
                if float(v) == spin.value():
                    continue
                timeline.records.clear()
                timeline.mark("setValue (synchronous: state, model, scene items)")
                spin.setValue(float(v))
                timeline.mark("(after setValue)")
                for _ in range(8):
                    self.app.processEvents()
                timeline.mark("end")
                steps += 1
                for what, (wall, used) in timeline.charge().items():
                    totals[what][0] += wall
                    totals[what][1] += used
        total = sum(w for w, _c in totals.values()) / steps * 1000
        log(f"  where the time goes ({steps} extra steps, {total:.1f} ms each incl. the event filter; "
            "ms per step, wall / CPU of the GUI thread; each event charged until the next one starts):")
        for what, (wall, used) in sorted(totals.items(), key=lambda kv: -kv[1][0])[:top]:
            log(f"    {wall / steps * 1000:6.2f} / {used / steps * 1000:6.2f}  {what}")

    @staticmethod
    def gc_counts() -> list[int]:
        return [s["collections"] for s in gc.get_stats()]

    # -- 2. responsiveness while compiling ------------------------------------------------------------

    def bench_responsiveness(self) -> None:
        from PyQt5.QtCore import Qt, QTimer
        from PyQt5.QtTest import QTest

        n = self.args.responsiveness_expressions
        log(f"\n== 2. event-loop responsiveness: 1 ms QTimer while {n} new expressions compile ==")
        ticks: list[float] = []
        timer = QTimer()
        timer.setTimerType(Qt.PreciseTimer)
        timer.setInterval(1)
        timer.timeout.connect(lambda: ticks.append(perf()))

        # The floor: the same timer with the window idle.
        timer.start()
        self.pump(1.0)
        timer.stop()
        idle_gaps = np.diff(ticks) * 1000
        log(f"idle baseline ({len(idle_gaps)} gaps): median {med(idle_gaps):.2f} ms, p99 {pct(idle_gaps, 99):.2f} ms, "
            f"max {idle_gaps.max():.2f} ms")

        ticks.clear()
        self.probe.intervals.clear()
        self.probe.gc_totals.clear()
        self.probe.recording = True
        texts = fresh_expressions(n)
        submitted: list[tuple[str, float]] = []
        timer.start()
        self.pump(0.1)
        for text in texts:
            t_submit, c_submit = perf(), cpu()
            self.line.setFocus()
            self.line.setText(text)
            QTest.keyClick(self.line, Qt.Key_Return)
            self.probe.intervals.append(("benchmark: setText + Return", self.probe.gui_thread, t_submit, perf(),
                                         cpu() - c_submit))
            submitted.append((text, t_submit))
            self.wait_until(lambda text=text: self.window.compiled is not None and self.window.compiled.text == text,
                            60, text)
            remaining = 0.3 - (perf() - t_submit)
            if remaining > 0:
                self.pump(remaining)
        self.pump(0.1)
        timer.stop()
        self.probe.recording = False
        intervals = list(self.probe.intervals)
        gaps = np.diff(ticks) * 1000
        worst = int(np.argmax(gaps))
        log(f"{len(ticks)} ticks over {ticks[-1] - ticks[0]:.2f} s; gaps: median {med(gaps):.2f} ms, "
            f"p99 {pct(gaps, 99):.2f} ms, max {gaps[worst]:.2f} ms; "
            f"gaps > 10 ms: {(gaps > 10).sum()}, > 16 ms: {(gaps > 16).sum()}, > 30 ms: {(gaps > 30).sum()}")
        for label in ("compile (worker)", "Controller._on_compiled", "plot paintEvent"):
            walls = [(e - s) * 1000 for name, _t, s, e, _c in intervals if name == label]
            cpus = [c * 1000 for name, _t, _s, _e, c in intervals if name == label]
            if walls:
                log(f"{label}: {len(walls)} calls, wall median {med(walls):.1f} ms (max {max(walls):.1f}), "
                    f"thread CPU median {med(cpus):.1f} ms (max {max(cpus):.1f})")
        log(f"garbage collections meanwhile: {self.probe.gc_summary()}")
        self.attribute_gaps(ticks, gaps, intervals)
        self.gap_timeline(max(n // 4, 3))
        self.results.ms("2", f"worst timer gap while compiling ({n} expr.)", float(gaps[worst]), 30)
        self.results.ms("2", "p99 timer gap while compiling", pct(gaps, 99), 10)
        self.results.ms("2", "median timer gap (1 ms timer)", med(gaps))
        self.results.ms("2", "idle baseline: worst / p99 gap", float(idle_gaps.max()))
        self.results.rows[-1].value += f" / {pct(idle_gaps, 99):.2f} ms"

    def gap_timeline(self, n: int, threshold_ms: float = 30.0, top: int = 12) -> None:
        """A separate pass with an EventTimeline: which GUI-thread events the long timer gaps were spent in."""
        from PyQt5.QtCore import Qt, QTimer
        from PyQt5.QtTest import QTest

        ticks: list[float] = []
        timer = QTimer()
        timer.setTimerType(Qt.PreciseTimer)
        timer.setInterval(1)
        timer.timeout.connect(lambda: ticks.append(perf()))
        timeline = EventTimeline(self.app)
        timer.start()
        with timeline:
            for text in fresh_expressions(n):
                t_submit = perf()
                timeline.mark("benchmark: setText + Return")
                self.line.setText(text)
                QTest.keyClick(self.line, Qt.Key_Return)
                timeline.mark("(waiting in the event loop)")
                self.wait_until(lambda text=text: self.window.compiled is not None
                                and self.window.compiled.text == text, 60, text)
                remaining = 0.3 - (perf() - t_submit)
                if remaining > 0:
                    self.pump(remaining)
        timer.stop()
        gaps = np.diff(ticks) * 1000
        spans = [(ticks[i], ticks[i + 1]) for i in np.flatnonzero(gaps > threshold_ms)]
        charged = timeline.charge(spans)
        total = sum(b - a for a, b in spans) * 1000
        log(f"diagnostic pass with an app-wide event timeline ({n} more expressions; the filter itself costs time): "
            f"{len(spans)} gaps > {threshold_ms:g} ms, together {total:.0f} ms, worst {gaps.max():.0f} ms; "
            "time inside them by the GUI-thread event being handled (wall / GUI-thread CPU, ms; wall minus CPU "
            "is waiting, mostly for the GIL):")
        for what, (wall, used) in sorted(charged.items(), key=lambda kv: -kv[1][0])[:top]:
            log(f"  {wall * 1000:8.1f} / {used * 1000:7.1f}  {what}")

    def attribute_gaps(self, ticks: list[float], gaps: np.ndarray, intervals) -> None:
        """For the long gaps, which instrumented work overlapped them, on which thread."""
        threshold = 10.0
        long_gaps = [(float(gaps[i]), ticks[i], ticks[i + 1]) for i in np.flatnonzero(gaps > threshold)]
        by_name_total: dict[str, float] = defaultdict(float)
        by_name_cpu: dict[str, float] = defaultdict(float)
        by_name_count: dict[str, int] = defaultdict(int)
        unexplained_total = 0.0
        described = []
        for length, a, b in long_gaps:
            overlaps = []
            gui_cover = []
            for name, ident, s, e, c in intervals:
                if s < b and e > a:
                    o = (min(e, b) - max(s, a)) * 1000
                    where = self.probe.thread_name(ident)
                    overlaps.append((o, f"{name} [{where}]", c * 1000 * o / max((e - s) * 1000, 1e-9)))
                    if where == "GUI" or name.startswith("gc"):
                        gui_cover.append((max(s, a), min(e, b)))
            covered = _union_length(gui_cover) * 1000
            unexplained_total += max(0.0, length - covered)
            for o, label, c in overlaps:
                by_name_total[label] += o
                by_name_cpu[label] += c
                by_name_count[label] += 1
            described.append((length, a, overlaps, covered))
        log(f"gaps > {threshold:g} ms: {len(long_gaps)}, together {sum(g for g, _, _ in long_gaps):.1f} ms")
        if not long_gaps:
            return
        log("what overlapped them (wall ms overlapping the gaps, the CPU its thread spent in that time, in how "
            "many gaps); intervals nest: _on_compiled contains set_function, which contains frame and resample:")
        for label, total in sorted(by_name_total.items(), key=lambda kv: -kv[1]):
            log(f"  {total:8.1f} ms (CPU {by_name_cpu[label]:7.1f} ms) in {by_name_count[label]:3d} gaps  {label}")
        log(f"  {unexplained_total:8.1f} ms not covered by any GUI-thread interval or GC "
            "(GUI thread waiting: GIL held by another thread, such as the surface refinement, or CPU)")
        log("the longest gaps:")
        t_origin = ticks[0]
        for length, a, overlaps, covered in sorted(described, key=lambda d: -d[0])[:8]:
            parts = ", ".join(f"{label} {o:.1f}" for o, label, _c in sorted(overlaps, key=lambda x: -x[0])[:6])
            log(f"  {length:6.1f} ms at t={a - t_origin:6.3f} s; GUI/GC-covered {covered:.1f} ms; {parts or '-'}")

    # -- 3. keystroke to new curve --------------------------------------------------------------------

    def bench_new_curve(self) -> None:
        n = self.args.curve_expressions
        log(f"\n== 3. keystroke (debounce fired) -> new curve painted, warm, {n} new expressions ==")
        for text in fresh_expressions(5):  # warm: the engine has compiled other expressions
            self.window.editor.set_text(text)
            self.wait_until(lambda text=text: self.window.controller.last_result_text == text, 60, text)
        self.pump(0.3)
        parts = defaultdict(list)
        self.probe.gc_totals.clear()
        for text in fresh_expressions(n):
            self.window.editor.set_text(text, submit=False)
            self.drain()
            t0 = perf()
            self.window.editor.submit()
            self.wait_until(lambda text=text: text in self.probe.compiled_at
                            and self.probe.paint_after(self.probe.compiled_at[text][1]) is not None, 60, text)
            s, e = self.probe.compiled_at[text]
            t1 = self.probe.paint_after(e)
            if self.window.compiled is None or self.window.compiled.text != text:
                raise RuntimeError(f"{text!r} did not compile")
            c0, c1 = self.probe.compile_spans.get(text, (math.nan, math.nan))
            parts["total"].append((t1 - t0) * 1000)
            parts["submit -> compile request starts"].append((c0 - t0) * 1000)
            parts["compile request (worker: parse, compile process)"].append((c1 - c0) * 1000)
            parts["compile request end -> _on_compiled starts (delivery)"].append(
                (s - c1) * 1000)
            parts["Controller._on_compiled"].append((e - s) * 1000)
            parts["_on_compiled end -> plot paint end"].append((t1 - e) * 1000)
            self.pump(0.2)
        total = parts.pop("total")
        log("median of each part (ms): " + "; ".join(f"{name} {med(v):.1f}" for name, v in parts.items()))
        log("per expression, total ms: " + ", ".join(f"{t:.0f}" for t in total))
        log(f"garbage collections meanwhile: {self.probe.gc_summary()}")
        self.results.ms("3", f"submit -> new curve painted, median ({n} expr.)", med(total), 150)
        self.results.ms("3", "submit -> new curve painted, max", max(total))

    # -- 6. the 3D view ------------------------------------------------------------------------------------

    SURFACE_TEXT = "sin(sqrt(x^2+y^2))"
    VIEWS_3D = ("plot3d", "sliceXPlot", "sliceYPlot", "gradientLinePlot")

    def bench_3d(self) -> None:
        from PyQt5.QtCore import QEvent, QObject
        from PyQt5.QtWidgets import QDoubleSpinBox, QLabel

        from derivgui.ui.view3d import page3d

        w = self.window
        log(f"\n== 6. 3D view: {self.SURFACE_TEXT} — point step -> overlays, readouts, GL view and slices painted; "
            "event loop while the surface is recomputed ==")
        self.point_y_spin = w.findChild(QDoubleSpinBox, "pointYSpin")
        self.x_min_spin = w.findChild(QDoubleSpinBox, "xMinSpin")
        for name, obj in (("pointYSpin", self.point_y_spin), ("xMinSpin", self.x_min_spin)):
            if obj is None:
                raise SystemExit(f"benchmarks/ui.py: no widget named {name!r} in the main window")
        self.paints_3d = dict(zip(self.VIEWS_3D, self.probe.watch(*self.VIEWS_3D), strict=True))
        t0 = perf()
        w.editor.set_text(self.SURFACE_TEXT)
        self.wait_until(lambda: w.compiled is not None and w.compiled.text == self.SURFACE_TEXT
                        and w.page3d.resolution == page3d.IDLE_RESOLUTION, 60, self.SURFACE_TEXT)
        log(f"compiled and refined to {w.page3d.resolution}x{w.page3d.resolution} in {(perf() - t0) * 1000:.0f} ms "
            f"(includes the {page3d.IDLE_DELAY_MS} ms idle delay)")
        self.pump(0.3)
        # Readout labels that are on screen (not scrolled out of the side panel): only they must repaint.
        labels = [*w.readouts_x.findChildren(QLabel), *w.readouts_y.findChildren(QLabel), w.gradient_norm]
        self.labels_3d = [label for label in labels if label.isVisible() and not label.visibleRegion().isEmpty()]
        self.label_paints_3d = 0
        session = self

        class LabelPaints(QObject):
            def eventFilter(self, _obj, event) -> bool:
                if event.type() == QEvent.Paint:
                    session.label_paints_3d += 1
                return False

        self._label_filter_3d = LabelPaints()
        for label in self.labels_3d:
            label.installEventFilter(self._label_filter_3d)
        self.window_syncs = 0

        class WindowSyncs(QObject):
            """UpdateRequests of the top-level window: each is one repaint pass, composed and flushed."""

            def eventFilter(self, obj, event) -> bool:
                if event.type() == QEvent.UpdateRequest and obj is w:
                    session.window_syncs += 1
                return False

        self._sync_filter_3d = WindowSyncs()
        w.installEventFilter(self._sync_filter_3d)
        size = w.plot3d.size()
        log(f"GL view {size.width()}x{size.height()} px; {len(self.labels_3d)} of {len(labels)} 3D readout labels "
            f"on screen; watched paints: {', '.join(self.VIEWS_3D)} (plot3d: its paintGL)")

        x0, x1 = w.state.surface_x_range
        y0, y1 = w.state.surface_y_range
        n = self.args.surface_steps
        half = n // 2
        # a sweeps left to right while b sweeps top to bottom, then back: a diagonal through the surface.
        a_values = np.round(np.linspace(x0 + 0.05 * (x1 - x0), x1 - 0.05 * (x1 - x0), half), 6)
        b_values = np.round(np.linspace(y1 - 0.05 * (y1 - y0), y0 + 0.05 * (y1 - y0), half), 6)
        for resolution in (page3d.IDLE_RESOLUTION, page3d.DRAFT_RESOLUTION):
            if w.page3d.resolution != resolution:
                w.page3d._draw_surface(resolution)
                self.pump(0.3)
            if resolution == page3d.DRAFT_RESOLUTION:
                a_values, b_values = a_values[::-1], b_values[::-1]
            self.sweep_3d(resolution, a_values, b_values)
        self.label_frame_3d()
        self.breakdown(self.point_spin, a_values[: max(len(a_values) // 4, 10)])
        self.bench_3d_responsiveness()
        for label in self.labels_3d:
            label.removeEventFilter(self._label_filter_3d)
        w.removeEventFilter(self._sync_filter_3d)
        self.probe.view_paints.clear()

    def label_frame_3d(self, n: int = 60) -> None:
        """The cost of one window repaint on the 3D page when nothing 3D changed: a label's new text only.

        A window holding a shown QOpenGLWidget is composed with OpenGL on every repaint (and flushed to the
        X server), whichever widget changed; this is that fixed cost per frame.
        """
        label = self.window.gradient_norm
        if label not in self.labels_3d:
            return
        original = label.text()
        times, gl_paints = [], 0
        gl = self.paints_3d["plot3d"]
        self.pump(0.2)
        for i in range(n):
            count, paints = self.label_paints_3d, len(gl)
            t0 = perf()
            label.setText(f"{original} [{i}]")  # same width class: no relayout of the panel
            while self.label_paints_3d == count and perf() - t0 < 1.0:
                self.app.processEvents()
            times.append((perf() - t0) * 1000)
            gl_paints += len(gl) - paints
        label.setText(original)
        self.pump(0.1)
        log(f"one repaint of the 3D page's window for a label's text only ({n} times, paintGL ran {gl_paints} "
            f"times): median {med(times):.2f} ms, p99 {pct(times, 99):.2f} ms")
        self.results.add("6", "  window repaint for one label's text (GL composition), median",
                         f"{med(times):.2f} ms")

    def readout_texts_3d(self) -> list[str]:
        return [label.text() for label in self.labels_3d]

    def step_3d(self, setter, value) -> tuple[float, float, bool, dict[str, float]]:
        """Set a value; process events until every watched 3D-page view (and a changed readout) painted.

        Returns (latency, synchronous part, painted, {view: wall ms of its paint}) with latencies in seconds.
        """
        before = self.readout_texts_3d()
        lists = list(self.paints_3d.values())
        counts = [len(p) for p in lists]
        labels, syncs = self.label_paints_3d, self.window_syncs
        t0 = perf()
        setter(value)
        t_sync = perf()
        changed = self.readout_texts_3d() != before
        painted = True
        while (any(len(p) == c for p, c in zip(lists, counts, strict=True))
               or (changed and self.label_paints_3d == labels)):
            self.app.processEvents()
            if perf() - t0 > 1.0:
                painted = False
                break
        t_painted = perf()
        walls = {name: sum(e - s for s, e, _c in p[c:]) * 1000
                 for (name, p), c in zip(self.paints_3d.items(), counts, strict=True)}
        walls["window repaints"] = self.window_syncs - syncs
        return t_painted - t0, t_sync - t0, painted, walls

    def sweep_3d(self, resolution: int, a_values, b_values) -> None:
        w = self.window
        total, sync = [], []
        walls: dict[str, list[float]] = defaultdict(list)
        unpainted = 0
        self.point_spin.setValue(float(a_values[0]))
        self.point_y_spin.setValue(float(b_values[0]))
        self.pump(0.2)
        self.probe.intervals.clear()
        self.probe.recording = True
        gc_before = self.gc_counts()
        for a, b in zip(a_values[1:], b_values[1:], strict=True):
            for spin, v in ((self.point_spin, float(a)), (self.point_y_spin, float(b))):
                if v == spin.value():
                    continue
                latency, sync_part, painted, step_walls = self.step_3d(spin.setValue, v)
                if not painted:
                    unpainted += 1
                    continue
                total.append(latency * 1000)
                sync.append(sync_part * 1000)
                for name, ms in step_walls.items():
                    walls[name].append(ms)
        self.probe.recording = False
        gc_after = self.gc_counts()
        if w.page3d.resolution != resolution:
            log(f"  (the surface changed resolution during the sweep: now {w.page3d.resolution})")
        steps = len(total)
        paints = np.sum([walls[name] for name in self.VIEWS_3D], axis=0) if steps else np.array([])
        rest = np.subtract(np.subtract(total, sync), paints) if steps else []
        log(f"{resolution}x{resolution} surface: {steps} a/b steps painted (alternating), {unpainted} without every "
            f"paint within 1 s; latency median {med(total):.2f} ms, p99 {pct(total, 99):.2f} ms, "
            f"max {max(total, default=math.nan):.2f} ms")
        log(f"  per step, median ms: synchronous setValue (state, point_report, overlays, slices, readouts) "
            f"{med(sync):.2f}; paints " + ", ".join(f"{name} {med(walls[name]):.2f}" for name in self.VIEWS_3D)
            + f" (p99 plot3d paintGL {pct(walls['plot3d'], 99):.2f}); the rest (layout, GL composition of the "
            f"window and flush, event delivery) {med(rest):.2f}; GC collections (gen0/1/2): "
            f"{np.subtract(gc_after, gc_before).tolist()}; window repaint passes (UpdateRequest of the main "
            f"window) per step: mean {np.mean(walls['window repaints']) if steps else math.nan:.2f}")
        self.log_intervals(steps, top=14)
        key = f"{resolution}x{resolution}"
        self.results.ms("6", f"a/b step latency, {key} surface, median ({steps} steps)", med(total), 16)
        self.results.ms("6", f"a/b step latency, {key} surface, p99", pct(total, 99), 33)
        self.results.add("6", f"  {key}: sync part / paintGL / slice+gradient paints, median",
                         f"{med(sync):.1f} / {med(walls['plot3d']):.1f} / "
                         f"{med(np.subtract(paints, walls['plot3d'])) if steps else math.nan:.1f} ms")
        if unpainted:
            self.results.add("6", f"{key} steps without every paint", str(unpainted), "0", False)

    def log_intervals(self, steps: int, top: int = 12) -> None:
        """Instrumented GUI-thread work recorded in the pass, per step (intervals nest)."""
        per: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
        for name, _ident, s, e, c in self.probe.intervals:
            per[name][0] += 1
            per[name][1] += e - s
            per[name][2] += c
        self.probe.intervals.clear()
        if not steps:
            return
        log("  instrumented work per step (calls, wall / CPU ms; nested: SurfacePage.set_point contains "
            "Plot3DView.set_point and the slice plots' set_function; paintGL contains the GL items' paint):")
        for name, (count, wall, used) in sorted(per.items(), key=lambda kv: -kv[1][1])[:top]:
            log(f"    {count / steps:5.2f} x {wall / steps * 1000:7.2f} / {used / steps * 1000:7.2f}  {name}")

    def bench_3d_responsiveness(self) -> None:
        from PyQt5.QtCore import Qt, QTimer
        from PyQt5.QtTest import QTest

        from derivgui.ui.view3d import page3d

        w = self.window
        n_ranges, n_expr = self.args.surface_ranges, self.args.surface_expressions
        log(f"\n  event loop while the surface is recomputed: 1 ms QTimer, {n_ranges} x-range changes (xMinSpin) "
            f"and {n_expr} new two-variable expressions, each followed by ~500 ms (idle refinement to "
            f"{page3d.IDLE_RESOLUTION}x{page3d.IDLE_RESOLUTION} after {page3d.IDLE_DELAY_MS} ms)")
        ticks: list[float] = []
        timer = QTimer()
        timer.setTimerType(Qt.PreciseTimer)
        timer.setInterval(1)
        timer.timeout.connect(lambda: ticks.append(perf()))
        x0, x1 = w.state.surface_x_range
        span = x1 - x0
        fractions = (-0.3, 0.1, -0.2, 0.2, -0.1, 0.3, 0.05, -0.4, 0.15, -0.25)
        x_mins = [round(x0 + span * fractions[k % len(fractions)] - 0.01 * (k // len(fractions)), 4)
                  for k in range(n_ranges)]
        actions: list[tuple[str, object, float, float]] = []  # (kind, what, start, end of the call)
        self.probe.intervals.clear()
        self.probe.gc_totals.clear()
        self.probe.recording = True
        timer.start()
        self.pump(0.1)
        for value in x_mins:
            if value == self.x_min_spin.value():
                value += 0.01
            t_start = perf()
            self.x_min_spin.setValue(value)
            actions.append(("range", value, t_start, perf()))
            self.pump(max(0.0, 0.5 - (perf() - t_start)))
            if w.page3d.resolution != page3d.IDLE_RESOLUTION:
                self.wait_until(lambda: w.page3d.resolution == page3d.IDLE_RESOLUTION, 5, "the refined surface")
        split = len(ticks)
        for text in fresh_surface_expressions(n_expr):
            t_start = perf()
            self.line.setFocus()
            self.line.setText(text)
            QTest.keyClick(self.line, Qt.Key_Return)
            actions.append(("expression", text, t_start, perf()))
            self.wait_until(lambda text=text: w.compiled is not None and w.compiled.text == text, 60, text)
            self.pump(max(0.0, 0.5 - (perf() - t_start)))
            self.wait_until(lambda: w.page3d.resolution == page3d.IDLE_RESOLUTION, 5, "the refined surface")
        self.pump(0.1)
        timer.stop()
        self.probe.recording = False
        intervals = list(self.probe.intervals)
        gaps = np.diff(ticks) * 1000
        range_gaps, expr_gaps = gaps[: split - 1], gaps[split - 1:]
        worst = int(np.argmax(gaps))
        log(f"  {len(ticks)} ticks over {ticks[-1] - ticks[0]:.2f} s; gaps: median {med(gaps):.2f} ms, p99 "
            f"{pct(gaps, 99):.2f} ms, max {gaps[worst]:.2f} ms; > 10 ms: {(gaps > 10).sum()}, > 16 ms: "
            f"{(gaps > 16).sum()}, > 30 ms: {(gaps > 30).sum()}")
        log(f"  range changes only: p99 {pct(range_gaps, 99):.2f} ms, max {range_gaps.max():.2f} ms; "
            f"expressions only: p99 {pct(expr_gaps, 99):.2f} ms, max {expr_gaps.max():.2f} ms")
        sync = [(e - s) * 1000 for kind, _what, s, e in actions if kind == "range"]
        log(f"  xMinSpin.setValue (synchronous: 100x100 draft sample + mesh, update_point, update_check): "
            f"median {med(sync):.1f} ms, max {max(sync):.1f} ms")
        for label in ("sample_surface", "SurfacePage._draw_surface", "Plot3DView.set_surface",
                      "Controller._redraw_surface", "Controller.update_check", "Controller.update_point",
                      "plot3d paintGL", "GLMeshItem.paint", "compile (worker)",
                      "Controller._on_compiled"):
            walls = [(e - s) * 1000 for name, _t, s, e, _c in intervals if name == label]
            if walls:
                log(f"  {label}: {len(walls)} calls, wall median {med(walls):.1f} ms, max {max(walls):.1f} ms")
        draws = [(e - s) * 1000 for name, _t, s, e, _c in intervals if name == "SurfacePage._draw_surface"]
        refine = [d for d in draws if d > med(draws)] if draws else []
        if refine:
            log(f"  (the slower half of _draw_surface, i.e. the {page3d.IDLE_RESOLUTION}x"
                f"{page3d.IDLE_RESOLUTION} refinements: median {med(refine):.1f} ms)")
        log(f"  garbage collections meanwhile: {self.probe.gc_summary()}")
        self.attribute_gaps(ticks, gaps, intervals)
        self.results.ms("6", f"worst timer gap, surface recomputed ({n_ranges} ranges, {n_expr} expr.)",
                        float(gaps[worst]), 30)
        self.results.ms("6", "p99 timer gap, surface recomputed", pct(gaps, 99), 10)
        self.results.add("6", "  range changes / new expressions: worst gap",
                         f"{range_gaps.max():.1f} / {expr_gaps.max():.1f} ms")
        self.results.add("6", "  xMinSpin.setValue (synchronous), median / max",
                         f"{med(sync):.1f} / {max(sync):.1f} ms")

    # -- 5. soak ------------------------------------------------------------------------------------------

    def bench_soak(self) -> None:
        from PyQt5.QtCore import Qt, QTimer

        from derivgui.numeric import compiled

        n, steps = self.args.soak_expressions, self.args.soak_steps
        log(f"\n== 5. soak: {n} expressions and {steps} slider steps in one window ==")
        if self.point_slider is None or self.delta_slider is None:
            raise SystemExit("benchmarks/ui.py: no pointSlider/deltaSlider in the main window")
        self.pump(0.5)
        gc.collect()
        timers_before = len(self.window.findChildren(QTimer))
        py_timers_before = sum(isinstance(o, QTimer) for o in gc.get_objects())
        rss_before = rss_mb()
        t_start = perf()
        per_expr = steps // n if n else 0
        extra = steps - per_expr * n
        done_steps = 0
        unpainted = 0
        errors = []
        compile_wait = []
        compile_request_ms = []
        trace = []
        full_at: tuple[int, float] | None = None  # (expressions, RSS MB) when the kernel cache first became full
        self.probe.gc_totals.clear()
        # A 1 ms timer through the whole soak, in constant memory: the worst stalls and a histogram.
        stalls = {"last": None, "worst": [], "over": dict.fromkeys((16, 30, 100, 250), 0), "ticks": 0}

        def tick() -> None:
            now = perf()
            if stalls["last"] is not None:
                gap = (now - stalls["last"]) * 1000
                for limit in stalls["over"]:
                    if gap > limit:
                        stalls["over"][limit] += 1
                worst = stalls["worst"]
                if len(worst) < 5 or gap > worst[-1]:
                    worst.append(gap)
                    worst.sort(reverse=True)
                    del worst[5:]
            stalls["last"] = now
            stalls["ticks"] += 1

        watchdog = QTimer()
        watchdog.setTimerType(Qt.PreciseTimer)
        watchdog.setInterval(1)
        watchdog.timeout.connect(tick)
        watchdog.start()
        rng = np.random.default_rng(1)
        for k in range(n):
            text = soak_expression(k)
            t0 = perf()
            self.window.editor.set_text(text)
            self.wait_until(lambda text=text: self.window.controller.last_result_text == text, 60, text)
            compile_wait.append((perf() - t0) * 1000)
            compile_request_ms.append(self.probe.compile_times.pop(text, math.nan) * 1000)
            # The probe's own records must not grow with the soak (they would count as RSS growth).
            self.probe.compile_spans.pop(text, None)
            self.probe.compiled_at.clear()
            del self.probe.plot_paints[:-50]
            if full_at is None and len(compiled.kernel_cache) >= compiled.CACHE_SIZE:
                full_at = (k + 1, rss_mb())
            if self.window.compiled is None or self.window.compiled.text != text:
                errors.append(text)
            count = per_expr + (1 if k < extra else 0)
            for j in range(count):
                slider = self.point_slider if j % 2 == 0 else self.delta_slider
                target = int(rng.integers(slider.minimum(), slider.maximum() + 1))
                if target == slider.value():
                    target = slider.minimum() if target != slider.minimum() else slider.maximum()
                _latency, _sync, painted, _settled = self.step(slider.setValue, target)
                unpainted += not painted
                done_steps += 1
            if (k + 1) % max(n // 10, 1) == 0 or k + 1 == n:
                trace.append((k + 1, rss_mb(), len(compiled.kernel_cache), perf() - t_start))
                log(f"  {k + 1:5d} expressions, {done_steps:6d} steps: RSS {trace[-1][1]:7.1f} MB, "
                    f"kernel cache {trace[-1][2]}, {trace[-1][3]:6.1f} s")
        elapsed = perf() - t_start
        watchdog.stop()
        del watchdog  # not counted among the QTimers below
        gc_summary = self.probe.gc_summary()  # before the explicit collection below
        worst_gc = max((v[2] for v in self.probe.gc_totals.values()), default=0.0)
        self.pump(0.5)
        rss_after = rss_mb()
        gc.collect()
        rss_after_gc = rss_mb()
        timers_after = len(self.window.findChildren(QTimer))
        py_timers_after = sum(isinstance(o, QTimer) for o in gc.get_objects())
        cache = len(compiled.kernel_cache)
        tenth = max(n // 10, 1)
        log(f"soak took {elapsed:.1f} s; submit -> compiled: median {med(compile_wait):.1f} ms, first {tenth} "
            f"median {med(compile_wait[:tenth]):.1f} ms, last {tenth} median {med(compile_wait[-tenth:]):.1f} ms, "
            f"max {max(compile_wait):.1f} ms; compile request alone: first {tenth} median "
            f"{med(compile_request_ms[:tenth]):.1f} ms, last {tenth} median {med(compile_request_ms[-tenth:]):.1f} ms")
        log(f"garbage collections in the soak (automatic ones): {gc_summary}")
        worst_gaps = ", ".join(f"{g:.0f}" for g in stalls["worst"])
        log(f"1 ms timer through the soak: {stalls['ticks']} ticks; worst gaps {worst_gaps} ms; gaps over "
            + ", ".join(f"{limit} ms: {count}" for limit, count in stalls["over"].items()))
        log(f"RSS before {rss_before:.1f} MB, after {rss_after:.1f} MB, after gc.collect() {rss_after_gc:.1f} MB; "
            f"QTimer children of the window {timers_before} -> {timers_after}; QTimer Python wrappers "
            f"{py_timers_before} -> {py_timers_after}")
        growth = rss_after_gc - rss_before
        self.results.add("5", f"RSS growth ({n} expr., {done_steps} steps)", f"{growth:.1f} MB", "< 50 MB",
                         bool(growth < 50))
        if full_at is not None:
            log(f"the kernel cache became full ({compiled.CACHE_SIZE}) after {full_at[0]} expressions at RSS "
                f"{full_at[1]:.1f} MB: {full_at[1] - rss_before:.1f} MB of the growth fills the cache, "
                f"{rss_after_gc - full_at[1]:.1f} MB came in the {n - full_at[0]} expressions after it")
            self.results.add("5", f"  of which after the cache was full (last {n - full_at[0]} expr.)",
                             f"{rss_after_gc - full_at[1]:.1f} MB")
        self.results.add("5", "soak duration", f"{elapsed:.1f} s")
        self.results.add("5", "worst event-loop stall in the soak (1 ms timer)",
                         f"{stalls['worst'][0] if stalls['worst'] else math.nan:.0f} ms")
        self.results.add("5", "longest garbage collection in the soak", f"{worst_gc * 1000:.0f} ms")
        self.results.add("5", "submit -> compiled in soak, median / last 10%",
                         f"{med(compile_wait):.1f} / {med(compile_wait[-tenth:]):.1f} ms")
        self.results.add("5", "expressions that did not compile", str(len(errors)), "0", not errors)
        self.results.add("5", "slider steps without a paint within 1 s", str(unpainted), "0", unpainted == 0)
        self.results.add("5", "len(compiled.kernel_cache)", str(cache), f"<= {compiled.CACHE_SIZE}",
                         cache <= compiled.CACHE_SIZE)
        self.results.add("5", "QTimer children of the window before/after", f"{timers_before}/{timers_after}",
                         "equal", timers_before == timers_after)

    def close(self) -> None:
        self.window.close()
        self.drain()
        running = self.threads.running()
        compile_thread_running = self.window.controller.compiler.thread.isRunning()
        log(f"\nafter close: QThreads started {len(self.threads.started)}, still running: {running or 'none'}")
        self.results.add("5", "QThreads running after the window closed", str(len(running)), "0",
                         not running and not compile_thread_running)


def _union_length(spans: list[tuple[float, float]]) -> float:
    total, end = 0.0, -math.inf
    for s, e in sorted(spans):
        if e <= end:
            continue
        total += e - max(s, end)
        end = e
    return total


# -- 4. start-up and import (subprocesses) ---------------------------------------------------------

STARTUP_CHILD = r"""
import json, sys, time
marks = {"interpreter": time.time()}
from derivgui.app import startup as derivgui_app
from derivgui.compiler import program_cache
derivgui_app.start_compilers()  # as derivgui.app.startup.run_gui does, before Qt: cache on, compile process starting
marks["compile process started"] = time.time()
from PyQt5.QtCore import QCoreApplication, QEvent, QEventLoop, QObject, Qt, QTimer
QCoreApplication.setAttribute(Qt.AA_ShareOpenGLContexts)
from PyQt5.QtWidgets import QApplication
app = QApplication([sys.argv[0]])
marks["qt"] = time.time()
import derivgui.ui.main_window
import derivgui.app.controller
marks["imports"] = time.time()
app, window = derivgui_app.build_window(settings_path=sys.argv[1])
marks["window built"] = time.time()
window.controller.compiler.result.connect(lambda *_: marks.setdefault("compiled", time.time()))
class Watch(QObject):
    painted = False
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Paint and window.compiled is not None:
            Watch.painted = True
        return False
watch = Watch()
window.plot2d.viewport().installEventFilter(watch)
window.show()
marks["shown"] = time.time()
heartbeat = QTimer()
heartbeat.start(10)
deadline = time.time() + 60
while not Watch.painted and time.time() < deadline:
    app.processEvents(QEventLoop.AllEvents | QEventLoop.WaitForMoreEvents)
marks["painted"] = time.time()
cache = program_cache.active()
from_disk = cache.loaded > 0
# Not timed: a cold start's entry is written once its formulas are in, for the warm runs that follow.
deadline = time.time() + 60
while not from_disk and cache.stored == 0 and time.time() < deadline:
    app.processEvents(QEventLoop.AllEvents, 50)
    time.sleep(0.01)
cache.flush()
print(json.dumps({"ok": Watch.painted, "marks": marks, "from_disk": from_disk, "stored": cache.stored}))
window.close()
"""

IMPORT_CHILD = (
    "import sys, json, derivgui; "
    "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('PyQt5', 'pytensor', 'pyqtgraph'))))"
)


def _startup_run(ini: str, cache_dir: str, label: str, i: int, cwd: str) -> tuple[float, dict]:
    """One start-up subprocess: seconds from Popen to the first painted plot, and its report."""
    env = dict(os.environ, DERIVGUI_CACHE_DIR=cache_dir)
    t_parent = time.time()
    proc = subprocess.run([sys.executable, "-c", STARTUP_CHILD, ini], capture_output=True, text=True,
                          timeout=180, cwd=cwd, env=env)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        log(proc.stdout + proc.stderr)
        raise SystemExit("benchmarks/ui.py: the start-up child failed")
    report = json.loads(lines[-1])
    marks = report["marks"]
    total = marks["painted"] - t_parent
    steps = [f"{name} +{(t - t_parent) * 1000:.0f}" for name, t in marks.items()]
    source = "from the disk cache" if report["from_disk"] else "compiled by a child"
    log(f"  {label} run {i + 1}: {total * 1000:.0f} ms{'' if report['ok'] else ' (NO PAINT)'} ({source}); "
        f"ms since Popen: " + ", ".join(steps))
    return total, report


def bench_startup(results: Results, runs: int) -> None:
    """Process start -> the default plot painted, with an empty program cache (PyTensor compiles the
    first expression in a child) and with a warm one (core.program_cache has it: no child needed)."""
    log(f"== 4. start-up: process start -> window shown with the default plot painted ({runs} runs with an "
        f"empty program cache, {runs} with a warm one) ==")
    totals: dict[str, list[float]] = {"empty": [], "warm": []}
    with tempfile.TemporaryDirectory(prefix="derivgui-bench-start-") as tmp:
        warm_dir = ""
        for i in range(runs):
            cache_dir = str(Path(tmp) / f"cache-empty-{i}")  # a new, empty cache for each cold start
            total, report = _startup_run(str(Path(tmp) / f"empty{i}.ini"), cache_dir, "empty cache", i, tmp)
            totals["empty"].append(total)
            if report["from_disk"]:
                log("  (an empty cache had the expression: the benchmark is broken)")
            if report["stored"]:
                warm_dir = cache_dir
        if not warm_dir:
            raise SystemExit("benchmarks/ui.py: no start-up run wrote the program cache")
        for i in range(runs):
            total, report = _startup_run(str(Path(tmp) / f"warm{i}.ini"), warm_dir, "warm cache", i, tmp)
            totals["warm"].append(total)
            if not report["from_disk"]:
                log("  (the warm cache was not used: the first plot waited for a compile)")
    empty, warm = totals["empty"], totals["warm"]
    results.add("4", f"start-up to painted default plot, empty cache, median of {runs}", f"{med(empty):.3f} s",
                "<= 2 s", bool(med(empty) <= 2.0))
    results.add("4", "start-up, empty cache, max", f"{max(empty):.3f} s")
    results.add("4", f"start-up to painted default plot, warm cache, median of {runs}", f"{med(warm):.3f} s",
                "<= 1 s", bool(med(warm) <= 1.0))
    results.add("4", "start-up, warm cache, max", f"{max(warm):.3f} s")

    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", IMPORT_CHILD], capture_output=True, text=True,
                          timeout=60)
    heavy = json.loads(proc.stdout.strip().splitlines()[-1])
    cumulative = None
    for line in proc.stderr.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == "derivgui":
            cumulative = int(parts[1])
    in_importtime = sorted({p.strip() for line in proc.stderr.splitlines() for p in line.split("|")[-1:]
                            if p.strip().split(".")[0] in ("PyQt5", "pytensor")})
    log(f"python -X importtime -c 'import derivgui': cumulative {cumulative} us; PyQt5/pytensor/pyqtgraph in "
        f"sys.modules: {heavy or 'none'}; PyQt5/pytensor lines in the importtime log: {len(in_importtime)}")
    bad = [m for m in heavy if m.split(".")[0] in ("PyQt5", "pytensor")] + in_importtime
    results.add("4", "import derivgui pulls in PyQt5 / pytensor", ", ".join(sorted(set(bad))[:3]) or "neither",
                "neither", not bad)
    results.add("4", "import derivgui, cumulative", f"{(cumulative or 0) / 1000:.1f} ms")


# -- main ----------------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--steps", type=int, default=500, help="slider steps per spin box (benchmark 1)")
    p.add_argument("--responsiveness-expressions", type=int, default=20, help="expressions typed in benchmark 2")
    p.add_argument("--curve-expressions", type=int, default=15, help="expressions timed in benchmark 3")
    p.add_argument("--startup-runs", type=int, default=5,
                   help="start-up subprocesses per case, empty and warm program cache (benchmark 4)")
    p.add_argument("--soak-expressions", type=int, default=1000, help="expressions compiled in the soak")
    p.add_argument("--soak-steps", type=int, default=10000, help="slider steps in the soak")
    p.add_argument("--surface-steps", type=int, default=300, help="a/b steps per surface resolution (benchmark 6)")
    p.add_argument("--surface-ranges", type=int, default=10, help="surface range changes in benchmark 6")
    p.add_argument("--surface-expressions", type=int, default=5, help="two-variable expressions in benchmark 6")
    p.add_argument("--only", default="1,2,3,4,5,6", help="comma-separated benchmarks to run (for quick checks)")
    p.add_argument("--no-fail", action="store_true", help="exit 0 even when a target is missed")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    ensure_display(argv)
    private_runtime_dir()
    sys.path.insert(0, str(ROOT))
    t_start = perf()
    log(f"derivgui UI benchmarks — Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"DISPLAY={os.environ.get('DISPLAY')}, QT_QPA_PLATFORM={os.environ.get('QT_QPA_PLATFORM') or '(default)'}")
    log(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    results = Results()
    meter = CpuMeter()

    def measured(section: str, run) -> None:
        start = meter.snapshot()
        run()
        text, load = meter.describe(start)
        log(text)
        results.add(section, "other processes' CPU load during this part", f"{load:.2f} of {os.cpu_count()} CPUs")

    only = {part.strip() for part in args.only.split(",")}
    if "4" in only:
        measured("4", lambda: bench_startup(results, args.startup_runs))
    if only & {"1", "2", "3", "5", "6"}:
        session = Session(args)
        meter.xvfb = meter.xvfb or meter._find_xvfb()
        session.results = results
        log(f"instrumented: {', '.join(session.probe.wrapped)}"
            + (f"; not found: {', '.join(session.probe.missing)}" if session.probe.missing else ""))
        for section, run in (("1", session.bench_steps), ("2", session.bench_responsiveness),
                             ("3", session.bench_new_curve), ("6", session.bench_3d), ("5", session.bench_soak)):
            if section in only:
                measured(section, run)
        session.close()

    log(f"\nderivgui UI benchmarks: {perf() - t_start:.0f} s in total\n")
    log(results.table())
    failed = results.failed
    log(f"\n{len(failed)} target(s) missed" + (": " + "; ".join(f"{r.metric} = {r.value}" for r in failed)
                                               if failed else ""))
    return 1 if failed and not args.no_fail else 0


if __name__ == "__main__":
    sys.exit(main())
