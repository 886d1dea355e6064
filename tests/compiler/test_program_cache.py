"""The on-disk program cache: every kind of ``Program`` survives its JSON, and whatever a cache file
holds instead (garbage, another version, a forbidden function, a FIFO, a folder, a huge file) is
ignored: ``load`` gives None, never raises, never hangs, never runs anything."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from derivgui.compiler import program_cache
from derivgui.compiler.engine import compile_program, derivative_formulas
from derivgui.compiler.program_cache import (
    ProgramCache,
    allowed_function,
    decode,
    decode_program,
    encode,
    encode_program,
)
from derivgui.expr.parse import parse
from derivgui.numeric.compiled import Kernel, Programs
from derivgui.numeric.program import Program, Runner, Step

# Between them: f(x) and f(x, y); every switching kind (abs, sign, floor, ceil, max, min), so
# switch-argument and branch programs; divisions (divisor programs); constant results (alloc,
# shape); DimShuffle and Switch (numpy.where) steps; derivgui's own helpers (sigmoid, softplus,
# tanh′); int8 and float64 constants, NaN among them (the domain guard); and a long expression.
TEXTS = [
    "1/(1+exp(-x))", "x^2", "5", "pi", "x", "abs(x)", "sign(x)*x^3", "floor(x) + ceil(2x)", "max(x, y) + min(x*y, 1)",
    "sin(x)*cos(y)", "sqrt(x^2+y^2)", "(x^2-1)/(x-1)", "log(x)/x", "tanh(x)", "softplus(x)", "sigmoid(x)*y",
    "1/x + 1/(x-2)", "x^x", "atan2(y, x)", "exp(-x^2/2)/sqrt(2pi)", "+".join(["2xy"] * 100),
]


def programs_equal(a: Programs, b: Programs) -> bool:
    for field in dataclasses.fields(Programs):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, Program) or isinstance(y, Program):
            if not (isinstance(x, Program) and isinstance(y, Program) and program_equal(x, y)):
                return False
        elif x != y:
            return False
    return True


def program_equal(a: Program, b: Program) -> bool:
    if (a.n_inputs, a.steps, a.outputs, a.n_registers) != (b.n_inputs, b.steps, b.outputs, b.n_registers):
        return False
    if len(a.constants) != len(b.constants):
        return False
    return all(r1 == r2 and c1.dtype == c2.dtype and c1.shape == c2.shape and np.array_equal(c1, c2, equal_nan=True)
               for (r1, c1), (r2, c2) in zip(a.constants, b.constants, strict=True))


@pytest.fixture(scope="module")
def compiled():
    """text -> (expression, programs, formulas), compiled once by the engine."""
    out = {}
    for text in TEXTS:
        expression = parse(text)
        out[text] = (expression, compile_program(expression), derivative_formulas(expression))
    return out


@pytest.fixture
def cache(tmp_path) -> ProgramCache:
    return ProgramCache(tmp_path / "cache")


def entry_text(compiled, text: str = "x^2", **changes) -> str:
    expression, programs, formulas = compiled[text]
    data = json.loads(encode(expression, programs, formulas))
    data.update(changes)
    return json.dumps(data)


# -- round trips -------------------------------------------------------------------------------


def test_the_texts_cover_every_kind_of_program(compiled):
    kinds = {name for _e, programs, _f in compiled.values() for name in
             ("switch_arguments", "branches", "divisors") if getattr(programs, name) is not None}
    assert kinds == {"switch_arguments", "branches", "divisors"}
    switches = {k for _e, programs, _f in compiled.values() for k in programs.switch_kinds}
    assert switches >= {"abs", "sign", "floor", "ceil", "max", "min"}
    steps = [s for _e, programs, _f in compiled.values() for f in dataclasses.fields(Programs)
             if isinstance(getattr(programs, f.name), Program) for s in getattr(programs, f.name).steps]
    functions = {s.function.rpartition(".")[2] for s in steps}
    assert {"dimshuffle", "alloc", "where", "sigmoid_prime"} <= functions
    assert any(s.params for s in steps)
    dtypes = {str(c.dtype) for _e, p, _f in compiled.values() for _r, c in p.main.constants}
    assert {"int8", "float64"} <= dtypes


@pytest.mark.parametrize("text", TEXTS)
def test_round_trip_through_json(compiled, text):
    expression, programs, formulas = compiled[text]
    entry = decode(encode(expression, programs, formulas), expression)
    assert programs_equal(entry.programs, programs)
    assert entry.formulas == formulas
    # And it computes the same numbers, NaN where the original gives NaN.
    n = len(expression.variables)
    points = [np.linspace(-3.1, 2.9, 41) + 0.37 * k for k in range(n)]
    original, loaded = Kernel(programs, n), Kernel(entry.programs, n)
    for got, want in zip(loaded.evaluate(tuple(points)), original.evaluate(tuple(points)), strict=True):
        for g, w in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,),
                        strict=True):
            np.testing.assert_array_equal(g, w)


def test_round_trip_of_constants_of_every_dtype_and_of_nested_parameters():
    constants = tuple((2 + i, np.array(v, dtype=d)) for i, (d, v) in enumerate([
        ("bool", [True, False]), ("int8", 2), ("int16", [[1, -2], [3, 4]]), ("int32", -7), ("int64", 2**40),
        ("uint8", 255), ("uint16", 7), ("uint32", 2**31), ("uint64", 2**63 + 5), ("float16", 0.5),
        ("float32", [np.float32(0.1), -np.inf]), ("float64", [np.nan, -0.0, 1e-310, np.inf, 2.0 / 3.0]),
    ]))
    steps = (Step("numpy.add", (0, 1), 14, (), True),
             Step("derivgui.numeric.program.dimshuffle", (14,), 15, ((0, "x"),)),
             Step("derivgui.numeric.program.shape_i", (0,), 16, (0,)))
    program = Program(2, constants, steps, (14, 15, 16, 13), 17)
    back = decode_program(json.loads(json.dumps(encode_program(program))))
    assert program_equal(back, program)
    assert [str(c.dtype) for _r, c in back.constants] == [str(c.dtype) for _r, c in constants]
    assert np.signbit(back.constants[-1][1][1])  # -0.0 stays negative
    assert all(not c.flags.writeable for _r, c in back.constants)  # shared by every call: read-only
    assert back.steps[1].params == ((0, "x"),)
    outputs = Runner(back)(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    np.testing.assert_array_equal(outputs[0], [4.0, 6.0])


def test_store_then_load(cache, compiled):
    expression, programs, formulas = compiled["max(x, y) + min(x*y, 1)"]
    assert cache.load(expression) is None
    assert cache.store(expression, programs, formulas)
    [path] = cache.entries()
    assert path == cache.path_for(expression) and path.parent == cache.directory / "programs"
    assert json.loads(path.read_text())["key"] == expression.normalized  # plain JSON, readable
    entry = cache.load(expression)
    assert entry is not None and programs_equal(entry.programs, programs) and entry.formulas == formulas
    # Another spelling of the same expression is the same entry.
    assert cache.load(parse("max( x , y )+min(x y, 1)")) is not None
    assert cache.load(parse("max(x, y) + min(x*y, 2)")) is None


def test_store_later_writes_on_another_thread(cache, compiled):
    expression, programs, formulas = compiled["x^2"]
    cache.store_later(expression, programs, None)
    cache.flush()
    entry = cache.load(expression)
    assert entry is not None and entry.formulas is None
    cache.store_later(expression, programs, formulas)
    cache.flush()
    assert cache.load(expression).formulas == formulas
    assert cache.stored == 2


def test_only_the_most_recent_entries_are_kept(tmp_path, compiled):
    cache = ProgramCache(tmp_path, max_entries=4)
    texts = TEXTS[:7]
    for i, text in enumerate(texts):
        expression, programs, _formulas = compiled[text]
        assert cache.store(expression, programs)
        os.utime(cache.path_for(expression), ns=(i * 10**9, i * 10**9))  # distinct, increasing times
        if i == 1:
            first = compiled[texts[0]][0]
            assert cache.load(first) is not None  # a hit counts as recent use
            os.utime(cache.path_for(first), ns=(i * 10**9 + 1, i * 10**9 + 1))
    cache.prune()
    kept = {p.name for p in cache.entries()}
    assert len(kept) == 4
    assert kept == {cache.path_for(compiled[t][0]).name for t in texts[-4:]}
    (cache.folder / "notes.txt").write_text("not ours")  # never touched
    cache.prune()
    assert (cache.folder / "notes.txt").exists()


def test_default_directory(monkeypatch, tmp_path):
    monkeypatch.delenv(program_cache.ENV_DIR, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert program_cache.default_directory() == tmp_path / "home" / ".cache" / "derivgui"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    assert program_cache.default_directory() == tmp_path / "home" / ".cache" / "derivgui"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert program_cache.default_directory() == tmp_path / "xdg" / "derivgui"
    monkeypatch.setenv(program_cache.ENV_DIR, str(tmp_path / "mine"))
    assert program_cache.default_directory() == tmp_path / "mine"
    assert ProgramCache().folder == tmp_path / "mine" / "programs"


def test_versions_do_not_import_pytensor():
    from importlib.metadata import version

    code = ("import sys, json; from derivgui.compiler import program_cache as p; v = p.versions(); "
            "print(json.dumps([v, 'pytensor' in sys.modules, 'importlib.metadata' in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    versions, pytensor_imported, metadata_imported = json.loads(out)
    assert versions["pytensor"] == version("pytensor")
    assert versions["numpy"] == np.__version__
    assert versions["derivgui"].startswith(__import__("derivgui").__version__ + "+")
    assert not pytensor_imported and not metadata_imported


def test_enable_is_what_turns_it_on(tmp_path):
    assert program_cache.active() is None  # the API, the command line and the tests: off
    try:
        cache = program_cache.enable(tmp_path)
        assert program_cache.active() is cache and cache.directory == tmp_path
    finally:
        program_cache.disable()
    assert program_cache.active() is None


# -- hostile files -----------------------------------------------------------------------------


def loads_nothing(cache: ProgramCache, expression, seconds: float = 5.0) -> bool:
    """``cache.load`` gives None, without raising, within ``seconds`` (a hang fails the test)."""
    result: list = []
    thread = threading.Thread(target=lambda: result.append(cache.load(expression)), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "load hung"
    return result == [None]


def write_entry(cache: ProgramCache, expression, content: str | bytes) -> Path:
    path = cache.path_for(expression)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


@pytest.mark.parametrize("content", [
    b"", b"\x00\xff\xfe garbage \x80", b"null", b"[]", b"{}", b"42", b'"text"', b"{" * 5000, b"[" * 100_000,
    b'{"format": 1', "\u00e9\ud800".encode("utf-8", "surrogatepass"),
])
def test_garbage_is_ignored(cache, compiled, content):
    expression = compiled["x^2"][0]
    write_entry(cache, expression, content)
    assert loads_nothing(cache, expression)


def test_a_truncated_entry_is_ignored(cache, compiled):
    expression = compiled["x^2"][0]
    text = entry_text(compiled)
    for cut in (1, len(text) // 3, len(text) - 1):
        write_entry(cache, expression, text[:cut])
        assert loads_nothing(cache, expression)


@pytest.mark.parametrize("changes", [
    {"format": 1}, {"format": 3}, {"format": "2"}, {"derivgui": "0.0.1+0000"}, {"pytensor": "2.0.0"},
    {"numpy": "1.0"}, {"key": "(x^3)"}, {"variables": ["x", "y"]}, {"formulas": "f"}, {"formulas": [1]},
    {"formulas": ["a", "b"]}, {"programs": None}, {"programs": []}, {"programs": {"main": None}},
    {"request": None}, {"request": {"parameters": [], "orders": [1, 2], "hessian": False, "verdicts": True}},
    {"request": {"parameters": ["k"], "orders": [1], "hessian": False, "verdicts": True}},
])
def test_another_version_or_a_wrong_field_is_ignored(cache, compiled, changes):
    expression = compiled["x^2"][0]
    write_entry(cache, expression, entry_text(compiled, **changes))
    assert loads_nothing(cache, expression)


def test_the_entry_of_another_expression_is_ignored(cache, compiled):
    """A file renamed (or a hash collision): the key inside must be this expression's."""
    other = compiled["x^2"][0]
    expression = compiled["sin(x)*cos(y)"][0]
    write_entry(cache, expression, entry_text(compiled))
    assert loads_nothing(cache, expression)
    assert cache.load(other) is None  # not at its own path


def _mutated(compiled, text: str, mutate) -> str:
    data = json.loads(entry_text(compiled, text))
    mutate(data["programs"])
    return json.dumps(data)


def _set_step(index: int, position: int, value):
    def mutate(programs):
        programs["main"]["steps"][index][position] = value
    return mutate


def _set_main(key: str, value):
    def mutate(programs):
        programs["main"][key] = value
    return mutate


def _set_constant(key: str, value):
    def mutate(programs):
        programs["main"]["constants"][0][key] = value
    return mutate


@pytest.mark.parametrize("mutate", [
    _set_step(0, 0, "os.system"), _set_step(0, 0, "builtins.eval"), _set_step(0, 0, "numpy.save"),
    _set_step(0, 0, "numpy.load"), _set_step(0, 0, "numpy.fromfile"), _set_step(0, 0, "scipy.special.os"),
    _set_step(0, 0, "derivgui.numeric.program.resolve"), _set_step(0, 0, "derivgui.numeric.program.importlib"),
    _set_step(0, 0, "derivgui.numeric.program.Runner"), _set_step(0, 0, "numpy._core.multiarray.add"),
    _set_step(0, 0, "numpy.__class__"), _set_step(0, 0, "no.such.module.f"), _set_step(0, 0, 12),
    _set_step(0, 0, "numpy.not_a_function"),
])
def test_a_function_outside_the_allowed_ones_is_ignored(cache, compiled, mutate):
    expression = compiled["x^2"][0]
    write_entry(cache, expression, _mutated(compiled, "x^2", mutate))
    assert loads_nothing(cache, expression)


def test_a_forbidden_function_is_never_called(cache, compiled, tmp_path):
    marker = tmp_path / "ran"
    expression = compiled["x^2"][0]

    def mutate(programs):
        main = programs["main"]
        main["steps"].insert(0, ["os.system", [], main["n_registers"], [f"touch {marker}"], False])
        main["n_registers"] += 1
    write_entry(cache, expression, _mutated(compiled, "x^2", mutate))
    assert loads_nothing(cache, expression)
    time.sleep(0.1)
    assert not marker.exists()


@pytest.mark.parametrize("mutate", [
    _set_main("n_registers", "9"), _set_main("n_registers", True), _set_main("n_registers", 10**9),
    _set_main("n_registers", 1), _set_main("n_inputs", 2), _set_main("n_inputs", -1), _set_main("outputs", [0]),
    _set_main("outputs", [999]), _set_main("outputs", "0"), _set_main("steps", {}), _set_main("constants", None),
    _set_step(0, 1, [True]), _set_step(0, 1, [999]), _set_step(0, 1, [-1]), _set_step(0, 1, "0"),
    _set_step(0, 2, 0), _set_step(0, 2, 1.5), _set_step(0, 3, [[[[[[1]]]]]]), _set_step(0, 3, [{"a": 1}]),
    _set_step(0, 3, [float("nan")]), _set_step(0, 3, ["x" * 100]), _set_step(0, 4, "yes"),
    lambda p: p["main"]["steps"][0].pop(), lambda p: p["main"].pop("steps"), lambda p: p["main"].update(extra=1),
    lambda p: p.update(divisors={"n_inputs": 1}), lambda p: p.update(unknown=None), lambda p: p.pop("main"),
    lambda p: p.update(switch_kinds=["abs"]), lambda p: p.update(switch_kinds="abs"),
    lambda p: p.update(verdicts=False), lambda p: p.update(verdicts=1), lambda p: p.pop("verdicts"),
    _set_main("output_names", ["value", "d2/x"]), _set_main("output_names", ["value"]),
    _set_main("input_names", ["y"]), _set_main("input_names", "x"), _set_main("output_names", [1, 2]),
    lambda p: p["main"].pop("output_names"),
    lambda p: p["main"]["steps"][0].__setitem__(1, [p["main"]["n_registers"] - 1]),  # not written before
    _set_constant("dtype", "object"), _set_constant("dtype", "complex128"), _set_constant("dtype", 8),
    _set_constant("shape", [3]), _set_constant("shape", [-1]), _set_constant("shape", [1, 1, 1, 1, 1]),
    _set_constant("data", ["2"]), _set_constant("data", [[2]]), _set_constant("data", [True]),
    lambda p: p["main"]["constants"][0].update(dtype="int8", data=[300]),  # out of the dtype's range
    _set_constant("register", 0), _set_constant("register", 10**6),
    lambda p: p["main"]["constants"][0].pop("data"),
])
def test_wrong_types_and_inconsistent_programs_are_ignored(cache, compiled, mutate):
    expression = compiled["x^2"][0]
    programs = json.loads(entry_text(compiled))["programs"]
    assert programs["main"]["constants"] and programs["main"]["steps"]  # what the mutations change exists
    write_entry(cache, expression, _mutated(compiled, "x^2", mutate))
    assert loads_nothing(cache, expression)


def test_a_memory_bomb_allocation_is_ignored(cache, compiled):
    expression = compiled["x^2"][0]

    def mutate(programs):
        main = programs["main"]
        n = main["n_registers"]
        main["constants"].append({"register": n, "dtype": "int64", "shape": [], "data": [10**12]})
        main["steps"].append(["derivgui.numeric.program.alloc", [main["outputs"][0], n], n + 1, [], False])
        main["n_registers"] = n + 2
    write_entry(cache, expression, _mutated(compiled, "x^2", mutate))
    assert loads_nothing(cache, expression)


def test_a_program_that_cannot_run_is_ignored(cache, compiled):
    expression = compiled["x^2"][0]
    write_entry(cache, expression, _mutated(compiled, "x^2", _set_step(1, 0, "numpy.arctan2")))  # one argument
    assert loads_nothing(cache, expression)


def test_special_files_are_ignored_without_blocking(cache, compiled, tmp_path):
    expression = compiled["x^2"][0]
    path = cache.path_for(expression)
    path.parent.mkdir(parents=True)
    os.mkfifo(path)  # opening it for reading the ordinary way would block until a writer came
    assert loads_nothing(cache, expression)
    path.unlink()
    path.mkdir()
    assert loads_nothing(cache, expression)
    assert not cache.store(expression, *compiled["x^2"][1:])  # a folder is in its place: not written
    path.rmdir()
    target = tmp_path / "elsewhere.json"
    target.write_text(entry_text(compiled))
    path.symlink_to(target)  # never followed
    assert loads_nothing(cache, expression)
    path.unlink()
    path.symlink_to("/dev/zero")
    assert loads_nothing(cache, expression)


def test_a_huge_file_is_ignored_without_reading_it(cache, compiled):
    expression = compiled["x^2"][0]
    path = write_entry(cache, expression, entry_text(compiled))
    with open(path, "r+b") as f:
        f.truncate(program_cache.MAX_FILE_BYTES + 1)  # sparse: fast to make
    assert loads_nothing(cache, expression)
    small = ProgramCache(cache.directory, max_bytes=100)
    path.write_text(entry_text(compiled))
    assert loads_nothing(small, expression)


def test_a_bad_file_is_replaced_by_the_next_store(cache, compiled):
    expression, programs, formulas = compiled["x^2"]
    write_entry(cache, expression, b"\x00garbage")
    assert cache.load(expression) is None
    assert cache.store(expression, programs, formulas)
    assert cache.load(expression) is not None


def test_an_unusable_cache_folder_is_never_an_error(tmp_path, compiled):
    expression, programs, formulas = compiled["x^2"]
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    cache = ProgramCache(blocker)
    assert cache.load(expression) is None
    assert not cache.store(expression, programs, formulas)
    cache.store_later(expression, programs, formulas)
    cache.flush()
    cache.prune()
    assert cache.entries() == []


def test_what_cannot_be_stored_is_not_stored(cache, compiled):
    expression, programs, _formulas = compiled["x^2"]
    weird = dataclasses.replace(programs, main=dataclasses.replace(
        programs.main, constants=((programs.main.constants[0][0], np.array("text")),)))
    assert not cache.store(expression, weird)
    too_big = ProgramCache(cache.directory, max_bytes=50)
    assert not too_big.store(expression, programs)
    assert cache.entries() == []


def test_allowed_functions():
    for name in ("numpy.add", "numpy.where", "numpy.true_divide", "scipy.special.expit", "scipy.special.erf",
                 "derivgui.numeric.program.alloc", "derivgui.numeric.program.dimshuffle",
                 "derivgui.numeric.program.sigmoid_prime"):
        assert allowed_function(name), name
    for name in ("os.system", "numpy.save", "numpy.load", "numpy.savetxt", "numpy.memmap", "numpy.fromfile",
                 "numpy.lib.format.open_memmap", "numpy.testing.assert_equal", "numpy.os", "numpy.__loader__",
                 "derivgui.numeric.program.resolve", "derivgui.numeric.program.importlib",
                 "derivgui.numeric.program.np",
                 "derivgui.numeric.program._reusable_buffers", "scipy.special.__getattr__", "", ".", "numpy.",
                 "x" * 200, "numpy.add.reduce"):
        assert not allowed_function(name), name
