"""resources/ ships inside the wheel and is found through importlib.resources from a plain install."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out)], check=True, cwd=out)
    (path,) = out.glob("derivgui-*.whl")
    return path


def test_wheel_contains_resources(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("derivgui/resources/lessons/lessons.json", "derivgui/resources/icons/derivgui.svg",
                   "derivgui/resources/derivgui.desktop", "derivgui/compiler/engine.py", "derivgui/ui/main_window.py"):
        assert needed in names
    assert not any("screenshots" in name for name in names)
    entry_points = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "[gui_scripts]" in entry_points and "derivgui = derivgui.cli:main" in entry_points


def test_resources_load_from_a_non_editable_install(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True)
    code = ("import derivgui.resources_path as r, derivgui.model.lessons as l; "
            "print(r.__file__); print(len(l.load_lessons())); print(r.resource('icons', 'derivgui.svg').is_file())")
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run([sys.executable, "-I", "-c", code.replace("import", "import sys; sys.path.insert(0, "
                             f"{str(target)!r}); import", 1)], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    module_file, count, icon = result.stdout.split()
    assert module_file.startswith(str(target))
    assert int(count) >= 9 and icon == "True"
