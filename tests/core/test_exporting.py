"""The Qt-free half of exporting: formats from names, sizes, layouts, the Δa sweep, CSV tables."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

import derivgui
from derivgui.core.exporting import (
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
                                  "9000x9000", "99999999999999x1"])
def test_bad_sizes(text):
    with pytest.raises(ExportError, match="bad size"):
        parse_size(text)


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
