"""The Qt-free half of exporting: formats from names, sizes, layouts, the Δa sweep, CSV tables."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

import derivgui
from derivgui.files import exporting as ex
from derivgui.files.exporting import (
    ExportError,
    curve_csv,
    format_for_path,
    grid_csv,
    layout_for,
    parse_size,
    sequence_names,
    sweep_deltas,
)


@pytest.mark.parametrize("name, fmt", [
    ("a.png", "png"), ("A.PNG", "png"), ("dir/a.svg", "svg"), ("a.pdf", "pdf"), ("a.csv", "csv"),
    ("a.gif", "gif"), ("frames/f_%03d.png", "png-sequence"), ("f%d.png", "png-sequence"),
])
def test_format_from_extension(name, fmt):
    assert format_for_path(name) == fmt


@pytest.mark.parametrize("name", ["a.bmp", "a", "a.png-sequence", "archive.tar.gz", "f_%03d"])
def test_unknown_formats(name):
    with pytest.raises(ExportError, match="unknown format"):
        format_for_path(name)


def test_sequence_names():
    assert sequence_names("out/f_%03d.png", 3) == ["out/f_001.png", "out/f_002.png", "out/f_003.png"]
    assert sequence_names("f%d.png", 12)[0] == "f01.png"  # wide enough to sort
    with pytest.raises(ExportError):
        sequence_names("plain.png", 3)


@pytest.mark.parametrize("text, size", [("1600x1000", (1600, 1000)), (" 640 X 480 ", (640, 480)),
                                        ("800×500", (800, 500))])
def test_parse_size(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "1600", "1600x", "x1000", "-5x10", "1.5x2", "10x10", "20000x100",
                                  "9000x9000", "99999999999999x1", "1" * 2000 + "x100", "100x-5", "0x0"])
def test_bad_sizes(text):
    with pytest.raises(ExportError, match="bad size") as info:
        parse_size(text)
    assert len(str(info.value)) < 160  # a 2000-digit side is not echoed whole


def test_negative_size_says_positive():
    with pytest.raises(ExportError, match="positive"):
        parse_size("-5x100")


def test_animation_frames_have_a_smaller_limit():
    assert parse_size("4000x2500") == (4000, 2500)
    with pytest.raises(ExportError, match="animation"):
        parse_size("4000x2500", animated=True)


def test_layout():
    assert layout_for(800, 500) == (800, 500, 1.0)  # small pictures are laid out 1:1
    lw, lh, ratio = layout_for(3200, 2000)
    assert lw * ratio == 3200 and abs(lh * ratio - 2000) <= ratio
    assert 800 <= lw <= 1000  # text keeps its size relative to the picture
    assert layout_for(1600, 1000, scale=2.0) == (800, 500, 2.0)
    with pytest.raises(ExportError, match="scale"):
        layout_for(100, 100, scale=0)


def test_sweep_is_geometric_to_1e_15():
    d = sweep_deltas(0.5, 8)
    assert d[0] == 0.5 and d[-1] == 1e-15
    ratios = d[1:] / d[:-1]
    np.testing.assert_allclose(ratios, ratios[0])
    assert (sweep_deltas(-2.0, 4) < 0).all() and sweep_deltas(-2.0, 4)[-1] == -1e-15
    assert list(sweep_deltas(0.3, 1)) == [0.3]
    with pytest.raises(ExportError):
        sweep_deltas(0.0, 5)


def test_curve_csv_reads_back_exactly():
    f = derivgui.compile_expr("sqrt(x)")
    rows = list(csv.reader(io.StringIO(curve_csv(f.value_and_grad, (-1.0, 4.0), 6))))
    assert rows[0] == ["x", "f", "df_dx"]
    table = np.array(rows[1:], dtype=float)
    np.testing.assert_array_equal(table[:, 0], np.linspace(-1, 4, 6))
    assert np.isnan(table[0, 1]) and np.isnan(table[0, 2])  # outside the domain: nan, written as "nan"
    np.testing.assert_array_equal(table[1:, 1], np.sqrt(table[1:, 0]))
    assert rows[2][2] == "inf"  # sqrt'(0)


def test_grid_csv_order_and_values():
    f = derivgui.compile_expr("x - 2y")
    table = np.genfromtxt(io.StringIO(grid_csv(f.value_and_grad, (0, 1), (0, 2), 3)), delimiter=",", names=True)
    assert list(zip(table["x"][:3], table["y"][:3], strict=True)) == [(0, 0), (0, 1), (0, 2)]  # y fastest
    np.testing.assert_array_equal(table["f"], table["x"] - 2 * table["y"])
    assert (table["df_dx"] == 1).all() and (table["df_dy"] == -2).all()


# -- limits: every one named in a one-line message ----------------------------------------------


@pytest.mark.parametrize("pattern, message", [
    ("f_%0999999999d.png", "too wide"),  # used to build a 1 GB file name and run out of memory
    ("f_%0300d.png", "too wide"),
    ("x" * 250 + "_%03d.png", "file name too long"),
])
def test_sequence_patterns_are_bounded(pattern, message):
    with pytest.raises(ExportError, match=message) as info:
        sequence_names(pattern, 2)
    assert len(str(info.value)) < 200


def test_sequence_names_limits():
    assert sequence_names("f_%09d.png", 1) == ["f_000000001.png"]
    assert len(sequence_names("f_%d.png", ex.MAX_FRAMES)) == ex.MAX_FRAMES
    with pytest.raises(ExportError, match="frame count"):
        sequence_names("f_%d.png", ex.MAX_FRAMES + 1)


def test_gif_memory_is_bounded():
    ex.check_animation(800, 500, 1000, "gif")
    ex.check_animation(800, 500, 2000, "png-sequence")  # frames are written one at a time
    with pytest.raises(ExportError, match="400 million pixels") as info:
        ex.check_animation(800, 500, 2000, "gif")
    assert "1000 frames" in str(info.value)
    with pytest.raises(ExportError, match="frame count"):
        ex.check_animation(800, 500, 0, "gif")


def test_csv_samples_are_bounded():
    f = derivgui.compile_expr("x*y")
    with pytest.raises(ExportError, match="2 to 1000 grid points per side") as info:
        grid_csv(f.value_and_grad, (0, 1), (0, 1), 100_000)  # used to try to allocate 74.5 GiB
    assert "1,000,000 rows" in str(info.value)
    with pytest.raises(ExportError, match="2 to 100000 points"):
        curve_csv(derivgui.compile_expr("x").value_and_grad, (0, 1), 10 ** 9)
    assert ex.check_samples(1000, True) == 1000


def test_csv_blocks_are_exact_and_cancellable():
    values = np.array([-0.0, 0.0, np.nan, np.inf, -np.inf, 0.1, 1e-320] * 20)
    text = "".join(ex.csv_blocks({"v": values, "w": np.repeat(values[:7], 20)}, block_rows=9))
    rows = text.splitlines()
    assert rows[0] == "v,w" and len(rows) == 141
    assert rows[1:8] == ["-0.0,-0.0", "0.0,-0.0", "nan,-0.0", "inf,-0.0", "-inf,-0.0", "0.1,-0.0", "1e-320,-0.0"]
    back = np.array([r.split(",") for r in rows[1:]], dtype=float)
    np.testing.assert_array_equal(back[:, 0], values)
    assert np.signbit(back[0, 0]) and not np.signbit(back[1, 0])
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(ex.ExportCancelled):
        list(ex.csv_blocks({"v": values}, cancelled, block_rows=10))


def test_csv_is_written_in_blocks():
    out = io.StringIO()
    f = derivgui.compile_expr("x - 2y")
    ex.write_csv(out, ex.grid_columns(f.value_and_grad, (0, 1), (0, 2), 3))
    assert out.getvalue() == grid_csv(f.value_and_grad, (0, 1), (0, 2), 3)


def test_messages_quote_the_user_briefly():
    with pytest.raises(ExportError) as info:
        format_for_path("a." + "x" * 5000)
    assert len(str(info.value)) < 250
