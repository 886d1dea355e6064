"""The derivgui command, run as a user would: in a subprocess, and without any display."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import derivgui

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def headless_env() -> dict:
    """The environment of a server: no X display, no Wayland, no Qt platform chosen."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


def derivgui_cmd(*args: str, cwd=None, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "derivgui", *args], cwd=cwd, env=headless_env(),
                          capture_output=True, text=True, timeout=timeout)


def png_size(path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as image:
        image.load()
        return image.size


def png_pixels(path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def not_blank(pixels: np.ndarray) -> bool:
    flat = pixels.reshape(-1, 3).astype(np.uint32)
    colors = len(np.unique((flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2]))
    return colors > 50 and (flat != 255).any(axis=1).mean() > 0.01


# -- help -------------------------------------------------------------------------------------


def test_help_is_fast_and_imports_neither_qt_nor_pytensor():
    code = ("import sys; from derivgui.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "assert 'PyQt5.QtWidgets' not in sys.modules and 'pytensor' not in sys.modules, 'heavy import'\n")
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code], env=headless_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert time.perf_counter() - start < 5
    assert "derivgui export" in result.stdout


@pytest.mark.parametrize("args", [["--help"], ["export", "--help"]])
def test_help_documents_every_option(args):
    result = derivgui_cmd(*args)
    assert result.returncode == 0
    for option in ("--output", "--point", "--delta", "--size", "--range", "--scale", "--frames", "--animation",
                   "--samples", "--session", "--quiet", ".png", ".svg", ".pdf", ".csv", ".gif", "%03d"):
        assert option in result.stdout, option
    if args == ["--help"]:
        assert "SESSION" in result.stdout and "--version" in result.stdout


def test_version():
    result = derivgui_cmd("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"derivgui {derivgui.__version__}"


# -- exports without a display ----------------------------------------------------------------


def test_png_2d(tmp_path):
    out = tmp_path / "tanh.png"
    result = derivgui_cmd("export", "tanh(x)", "-o", str(out), "--point", "0.5", "--delta", "0.25",
                          "--size", "1600x1000", "--range", "-4", "4")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert f"wrote {out}" in result.stdout
    assert png_size(out) == (1600, 1000)
    pixels = png_pixels(out)
    assert not_blank(pixels)
    blue = (np.abs(pixels.astype(int) - (0x1F, 0x77, 0xB4)).sum(axis=2) < 40).sum()
    assert blue > 1000  # the curve


def test_vector_and_table_formats(tmp_path):
    svg, pdf, table = tmp_path / "sigmoid.svg", tmp_path / "sigmoid.pdf", tmp_path / "sigmoid.csv"
    for out in (svg, pdf):
        result = derivgui_cmd("export", "sigmoid(x)", "-o", str(out), "-q")
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert any(len(p.get("d", "")) > 1000 for p in root.iter("{http://www.w3.org/2000/svg}path"))
    assert pdf.read_bytes().startswith(b"%PDF")

    result = derivgui_cmd("export", "sigmoid(x)", "-o", str(table), "--range", "-3", "5", "--samples", "81")
    assert result.returncode == 0, result.stderr
    data = np.genfromtxt(table, delimiter=",", names=True)
    assert data.dtype.names == ("x", "f", "df_dx") and len(data) == 81
    f = derivgui.compile_expr("sigmoid(x)")
    np.testing.assert_array_equal(data["x"], np.linspace(-3, 5, 81))
    np.testing.assert_array_equal(data["f"], f(data["x"]))
    np.testing.assert_array_equal(data["df_dx"], f.grad(data["x"])[0])


def test_surface_csv(tmp_path):
    out = tmp_path / "grid.csv"
    result = derivgui_cmd("export", "x^2*y + y", "-o", str(out), "--samples", "6")
    assert result.returncode == 0, result.stderr
    data = np.genfromtxt(out, delimiter=",", names=True)
    assert data.dtype.names == ("x", "y", "f", "df_dx", "df_dy") and len(data) == 36
    assert (data["x"].min(), data["x"].max()) == (0, 10)  # the notebook's range for x^2*y + y
    f = derivgui.compile_expr("x^2*y + y")
    value, (gx, gy) = f.value_and_grad(data["x"], data["y"])
    np.testing.assert_array_equal(data["f"], value)
    np.testing.assert_array_equal(data["df_dx"], gx)
    np.testing.assert_array_equal(data["df_dy"], gy)


def test_gif_and_png_frames(tmp_path):
    from PIL import Image

    gif = tmp_path / "sweep.gif"
    result = derivgui_cmd("export", "sin(x)", "-o", str(gif), "--frames", "5", "--size", "320x200")
    assert result.returncode == 0, result.stderr
    with Image.open(gif) as image:
        assert image.size == (320, 200) and image.n_frames == 5
    (tmp_path / "frames").mkdir()
    result = derivgui_cmd("export", "sin(x)", "-o", str(tmp_path / "frames" / "s_%03d.png"), "--frames", "3",
                          "--size", "200x100")
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(tmp_path / "frames")) == ["s_001.png", "s_002.png", "s_003.png"]
    assert png_size(tmp_path / "frames" / "s_002.png") == (200, 100)


def test_session_file(tmp_path):
    from derivgui.model.session import save_session
    from derivgui.model.state import AppState

    state = AppState()
    state.update(expression="cos(x)", a=2.0, delta_a=0.1, x_range=(-1.0, 3.0))
    session = tmp_path / "s.derivgui.json"
    save_session(session, state, [])
    out = tmp_path / "s.csv"
    result = derivgui_cmd("export", "--session", str(session), "-o", str(out), "--samples", "5")
    assert result.returncode == 0, result.stderr
    data = np.genfromtxt(out, delimiter=",", names=True)
    np.testing.assert_array_equal(data["x"], np.linspace(-1, 3, 5))
    np.testing.assert_allclose(data["f"], np.cos(data["x"]))

    session.write_text("{ not json")
    result = derivgui_cmd("export", "--session", str(session), "-o", str(tmp_path / "t.png"))
    assert result.returncode == 1
    assert result.stderr.startswith("derivgui: error: the session file is not valid JSON")
    assert not (tmp_path / "t.png").exists()


def _plot3d_importable() -> bool:
    try:
        import derivgui.ui.view3d.plot3d  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.gl
@pytest.mark.skipif(not _plot3d_importable(), reason="derivgui.ui.view3d.plot3d cannot be imported")
@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="3D without a display needs Xvfb (apt-get install xvfb)")
def test_png_3d_without_display(tmp_path):
    out = tmp_path / "surface.png"
    result = derivgui_cmd("export", "x^2*y + y", "-o", str(out), "--point", "1", "2", "--delta", "0.5", "0.5",
                          "--range", "0", "10", "0", "10", "--size", "1200x800")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert png_size(out) == (1200, 800)
    pixels = png_pixels(out)
    assert not_blank(pixels)
    low_end_blue = (np.abs(pixels.astype(int) - (59, 76, 192)).sum(axis=2) < 90).sum()
    assert low_end_blue > 2000  # the surface itself was drawn, not only the labels


# -- errors: one line, non-zero, no file ------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["foo(x)", "-o", "{d}/out.png"], "derivgui: error: unknown function 'foo' (column 1)"),
    (["x^2 +", "-o", "{d}/out.png"], "(column "),
    (["x^2", "-o", "{d}/out.bmp"], "derivgui: error: unknown format ('.bmp')"),
    (["x^2", "-o", "{d}/out"], "derivgui: error: unknown format (no extension)"),
    (["x^2", "-o", "{d}/missing/out.png"], "derivgui: error: cannot write {d}/missing/out.png: folder"),
    (["x^2", "-o", "{d}/folder.png"], "folder.png is a folder"),
    (["x^2", "-o", "{d}/out.png", "--size", "12"], "derivgui: error: bad size '12'"),
    (["x^2", "-o", "{d}/out.png", "--size", "0x100"], "derivgui: error: bad size 0x100"),
    (["x^2", "-o", "{d}/out.png", "--size", "99999x100"], "bad size 99999x100"),
    (["x^2", "-o", "{d}/out.png", "--delta", "0"], "--delta must not be 0"),
    (["x^2", "-o", "{d}/out.png", "--range", "3", "1"], "--range 3 1"),
    (["x^2", "-o", "{d}/out.png", "--point", "1", "2", "3"], "--point takes 1 or 2 numbers"),
    (["x^2", "-o", "{d}/out.gif", "--animation", "turntable"], "needs f(x, y)"),
    (["x^2*y", "-o", "{d}/out.svg"], "SVG draws the 2D view"),
    (["x^2", "-o", "{d}/out.gif", "--frames", "0"], "--frames must be"),
    (["-o", "{d}/out.png"], "give an expression"),
    (["x^2", "-o", "{d}/out.png", "--session", "{d}/nope.json"], "cannot read"),
    (["x^2", "-o", "{d}/out.png", "--range", "-1e308", "1e308"], "--range -1e+308 1e+308 cannot be drawn"),
    (["x^2", "-o", "{d}/out.png", "--range", "0", "1e-300"], "too narrow"),
    (["x^2", "-o", "{d}/out.png", "--size", "-5x100"], "bad size '-5x100': expected positive WIDTHxHEIGHT"),
    (["x^2", "-o", "{d}/out.png", "--point", "1", "2"], "--point takes one number for a function of x alone"),
    (["x^2", "-o", "{d}/out.png", "--delta", "-1e-3", "2"], "--delta takes one number"),
    (["x^2", "-o", "{d}/out.png", "--delta", "-1e-320"], "is too small (under 1e-300)"),
    (["x^2", "-o", "{d}/out.png", "--point", "1" + "0" * 2000], "--point must be finite numbers, not inf"),
    (["x^2", "-o", "{d}/f_%0999999999d.png", "--frames", "2"], "the frame number %0999999999d is too wide"),
    (["x^2", "-o", "{d}/f_%0300d.png"], "too wide (the file names would be too long): use at most 9 digits"),
    (["x^2", "-o", "{d}/" + "f" * 250 + "_%03d.png"], "file name too long"),
    (["x^2", "-o", "{d}/" + "a" * 300 + ".png"], "file name too long"),
    (["x^2*y", "-o", "{d}/out.csv", "--samples", "100000"], "use 2 to 1000 grid points per side for f(x, y)"),
    (["x^2", "-o", "{d}/out.gif", "--frames", "2000"], "at most 400 million pixels in all"),
    (["x^2", "-o", "/proc/out.png"], "cannot write /proc/out.png: "),
])
def test_errors(tmp_path, args, message):
    d = str(tmp_path)
    (tmp_path / "folder.png").mkdir()
    result = derivgui_cmd("export", *(a.format(d=d) for a in args))
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert message.format(d=d) in lines[0]
    assert lines[0].startswith("derivgui: error: ")
    assert len(lines[0]) < 300 and ".part" not in lines[0]  # never a temporary file's name
    assert result.stdout == ""
    assert [p.name for p in tmp_path.iterdir()] == ["folder.png"]  # nothing written
    assert list((tmp_path / "folder.png").iterdir()) == []


def test_usage_error_exits_2(tmp_path):
    result = derivgui_cmd("export", "x^2")  # no -o
    assert result.returncode == 2
    assert "-o/--output" in result.stderr


def test_failed_export_keeps_the_previous_file(tmp_path):
    out = tmp_path / "plot.png"
    out.write_bytes(b"the good picture")
    result = derivgui_cmd("export", "sin(x", "-o", str(out))
    assert result.returncode == 1
    assert "column" in result.stderr
    assert out.read_bytes() == b"the good picture"
    assert os.listdir(tmp_path) == ["plot.png"]


def test_killed_export_leaves_no_partial_file(tmp_path):
    """SIGTERM in the middle of an animation: the temporary file is removed, the old file kept."""
    out = tmp_path / "long.gif"
    out.write_bytes(b"previous animation")
    proc = subprocess.Popen([sys.executable, "-m", "derivgui", "export", "sin(x)", "-o", str(out),
                             "--frames", "2000", "--size", "320x200", "-q"],
                            env=headless_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not any(".part" in name for name in os.listdir(tmp_path)):  # frames are being written
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    assert out.read_bytes() == b"previous animation"
    assert os.listdir(tmp_path) == ["long.gif"]


# -- negative numbers, usage errors, signals ------------------------------------------------------


def test_negative_numbers_in_every_form(tmp_path):
    out = tmp_path / "t.csv"
    result = derivgui_cmd("export", "x^2", "-o", str(out), "--point", "-1e0", "--delta", "-1e-3",
                          "--range", "-1e1", "-.5", "--samples", "3", "-q")
    assert result.returncode == 0, result.stderr
    data = np.genfromtxt(out, delimiter=",", names=True)
    np.testing.assert_array_equal(data["x"], [-10, -5.25, -0.5])


@pytest.mark.parametrize("args, message", [
    (["exprot", "x^2", "-o", "a.png"], "derivgui: error: unknown command 'exprot' (did you mean 'export'?)"),
    ([], "derivgui: error: no display"),  # no DISPLAY: Qt used to abort with exit 134
    (["export", "x", "-o", "a.png", "--frames", "1" * 2000], "argument --frames: '111"),
    (["export", "x", "-o", "a.png", "--point", "z" * 2000], "argument --point: 'zzz"),
    (["export", "x", "-o", "a.png", "--animation", "s" * 2000], "is not an animation"),
    (["export", "x", "-o", "a.png", "y" * 2000], "unrecognized arguments: yyy"),
])
def test_usage_errors_are_one_short_line_and_exit_2(tmp_path, args, message):
    result = derivgui_cmd(*args, cwd=tmp_path, timeout=60)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert len(errors[0]) < 200
    assert "Traceback" not in result.stderr
    assert os.listdir(tmp_path) == []


def _signal_during_export(tmp_path, args, out, signum):
    """Start an export, send ``signum`` while its temporary file is being written, and return the result."""
    out.write_bytes(b"the previous file")
    proc = subprocess.Popen([sys.executable, "-m", "derivgui", "export", *args, "-o", str(out), "-q"],
                            env=headless_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not any(".part" in name for name in os.listdir(tmp_path)):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.01)
        proc.send_signal(signum)
        _stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert out.read_bytes() == b"the previous file"
    assert os.listdir(tmp_path) == [out.name]  # the temporary file is gone
    assert "Traceback" not in stderr
    return proc.returncode, stderr


def test_sigint_during_a_csv_export(tmp_path):
    rc, stderr = _signal_during_export(tmp_path, ["x^2*y + y", "--samples", "1000"], tmp_path / "grid.csv",
                                       signal.SIGINT)
    assert rc == 130
    assert stderr.strip() == f"derivgui: interrupted by SIGINT; nothing was written ({tmp_path / 'grid.csv'} " \
                             "was left as it was)"


def test_sigterm_during_a_png_export(tmp_path):
    """A PNG used to be finished and renamed into place after SIGTERM, with exit 143 and no word."""
    rc, stderr = _signal_during_export(tmp_path, ["sin(x)", "--size", "8000x8000"], tmp_path / "big.png",
                                       signal.SIGTERM)
    assert rc == 143
    assert stderr.startswith("derivgui: interrupted by SIGTERM; nothing was written") and stderr.count("\n") == 1
