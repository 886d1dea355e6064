"""Compiled programs kept on disk between runs, so the window's first plot needs no PyTensor.

A compile costs a child process that imports PyTensor (~0.5 s) and rewrites the graph; the
window's first expression is almost always one of the last ones used. ``ProgramCache`` keeps the
``Programs`` (and the derivative formulas) of the most recent expressions, one JSON file each,
keyed by ``Expression.normalized`` and the capabilities of the compile (``request.CompileRequest``:
the window's default request, value and gradient, is keyed by the text alone), in
``$DERIVGUI_CACHE_DIR`` or else the XDG cache folder (``$XDG_CACHE_HOME/derivgui`` or
``~/.cache/derivgui``), under ``programs/``.

JSON, never pickle: loading a file can only ever build data. A program's steps name their
functions, and a name is accepted only if it is a NumPy or SciPy ufunc, one of the few other
NumPy functions PyTensor names, or a public helper of ``derivgui.numeric.program``: nothing that
reads or writes files or runs code. Constants are lists with their dtype and shape.

Every entry records its format (``FORMAT``: entries of another, such as format 1's from before
requests, are ignored and replaced), the request's capabilities and the names of the main
program's inputs and outputs, and the versions that made it: derivgui's (with a fingerprint of the modules
that build programs, so an edited engine never reuses an old entry), PyTensor's (read from its
installed metadata, without importing it) and NumPy's. Whatever a file holds (garbage, another
version, wrong types, an unknown function, a huge file, a FIFO or a folder in its place) it is
ignored and the expression compiled again, which then replaces it: ``load`` never raises and
never blocks on a special file.

Writes are atomic (``atomic.atomic_write_text``) and happen on a background thread
(``store_later``), after a compile: never on the window's critical path. Only the application
turns the cache on (``enable``, from ``derivgui.app.startup.run_gui``); the API, the command line and tests
that build a window themselves compile as before unless they call ``enable`` too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import math
import os
import re
import stat
import sys
import threading
import types
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from derivgui.compiler.request import CompileRequest
from derivgui.expr.parse import Expression
from derivgui.numeric.compiled import Programs
from derivgui.numeric.program import Program, Runner, Step
from derivgui.version import __version__

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

FORMAT = 2  # 2: named inputs and outputs, the request's capabilities, Programs.verdicts
ENV_DIR = "DERIVGUI_CACHE_DIR"
MAX_ENTRIES = 32  # the most recent expressions kept; older files are removed after a write
MAX_FILE_BYTES = 4_000_000  # a typical entry is a few kB, the longest expressions a few hundred kB
# Bounds on what a valid entry can hold (far above what any accepted expression compiles to).
MAX_REGISTERS = 200_000
MAX_CONSTANT_VALUES = 100_000
MAX_ALLOC_VALUES = 10_000_000
MAX_FORMULA_CHARS = 1_000_000
_NAME = re.compile(r"[0-9a-f]{40}\.json")
_DTYPES = frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                     "float16", "float32", "float64"})
# NumPy and SciPy functions PyTensor's Elemwise ops name that are not ufuncs (none of them does I/O).
_OTHER_FUNCTIONS = frozenset({"numpy.where", "numpy.around", "numpy.real", "numpy.imag", "numpy.angle",
                              "scipy.special.polygamma"})
_PROGRAM_MODULE = "derivgui.numeric.program"
# The modules whose code decides what a compile produces (paths in the derivgui package): an edit
# to one of them invalidates every entry even when derivgui's version number stays the same (as it
# does in a checkout).
_SOURCES = ("numeric/compiled.py", "expr/domain.py", "compiler/engine.py", "compiler/formula.py",
            "expr/functions.py", "expr/parse.py", "numeric/program.py", "compiler/program_cache.py",
            "compiler/jet.py", "compiler/request.py")
_NAME_CHARS = 40  # the longest input or output name: "d1/" and a parameter's 32 characters


class _Invalid(Exception):
    """What a cache file holds is not a valid entry for this expression."""


@dataclass(frozen=True)
class Entry:
    programs: Programs
    formulas: tuple[str, ...] | None = None


def default_directory() -> Path:
    """``$DERIVGUI_CACHE_DIR``, else ``$XDG_CACHE_HOME/derivgui``, else ``~/.cache/derivgui``."""
    explicit = os.environ.get(ENV_DIR)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG spec: a relative path is invalid and ignored
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "derivgui"


# -- versions ----------------------------------------------------------------------------------


@functools.cache
def versions() -> dict[str, str]:
    """What an entry must have been made with to be used (computed once per process)."""
    return {"derivgui": f"{__version__}+{_source_fingerprint()}",
            "pytensor": distribution_version("pytensor"), "numpy": np.__version__}


def _source_fingerprint() -> str:
    digest = hashlib.sha256()
    folder = Path(__file__).resolve().parent.parent  # the derivgui package
    for name in _SOURCES:
        try:
            digest.update(name.encode() + b"\0" + (folder / name).read_bytes() + b"\0")
        except OSError:
            digest.update(name.encode() + b"\0missing\0")
    return digest.hexdigest()[:16]


def distribution_version(name: str) -> str:
    """The installed version of distribution ``name``, without importing it, or "" if not found.

    Read from the name of its ``.dist-info`` folder on ``sys.path`` (what ``importlib.metadata``
    reads too, without the ~20 ms of importing ``importlib.metadata`` itself, which would fall on the
    first plot); ``importlib.metadata`` only if that finds nothing.
    """
    wanted = re.sub(r"[-_.]+", "_", name).lower()
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for candidate in names:
            if not candidate.endswith(".dist-info"):
                continue
            project, _, release = candidate[: -len(".dist-info")].partition("-")
            if release and re.sub(r"[-_.]+", "_", project).lower() == wanted:
                return release
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover - always there on Python 3.8+
        return ""
    try:
        return version(name)
    except PackageNotFoundError:
        return ""


# -- encoding ----------------------------------------------------------------------------------


def _json_value(value):
    """A step parameter as JSON data: tuples become lists; only plain scalars and strings are allowed."""
    if isinstance(value, (tuple, list)):
        return [_json_value(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"a step parameter of type {type(value).__name__} cannot be stored")


def _encode_constant(register: int, value) -> dict:
    array = np.asarray(value)
    if array.dtype.name not in _DTYPES:
        raise TypeError(f"a constant of dtype {array.dtype} cannot be stored")
    return {"register": int(register), "dtype": array.dtype.name, "shape": list(array.shape),
            "data": array.reshape(-1).tolist()}


def encode_program(program: Program) -> dict:
    return {
        "n_inputs": program.n_inputs,
        "n_registers": program.n_registers,
        "outputs": list(program.outputs),
        "constants": [_encode_constant(r, v) for r, v in program.constants],
        "steps": [[s.function, list(s.args), s.out, _json_value(s.params), bool(s.ufunc_float64)]
                  for s in program.steps],
        "input_names": list(program.input_names),
        "output_names": list(program.output_names),
    }


def encode(expression: Expression, programs: Programs, formulas: tuple[str, ...] | None = None,
           request: CompileRequest | None = None) -> str:
    """The JSON text of one entry (TypeError or ValueError if something in it cannot be stored)."""
    request = request if request is not None else CompileRequest(expression.text)
    fields: dict[str, object] = {}
    for f in dataclasses.fields(Programs):
        value = getattr(programs, f.name)
        if isinstance(value, Program):
            fields[f.name] = encode_program(value)
        elif value is None or isinstance(value, bool):
            fields[f.name] = value
        elif isinstance(value, tuple) and all(isinstance(v, str) for v in value):
            fields[f.name] = list(value)
        else:
            raise TypeError(f"Programs.{f.name} cannot be stored")
    if formulas is not None and not (isinstance(formulas, tuple) and all(isinstance(s, str) for s in formulas)):
        formulas = None
    entry = {"format": FORMAT, **versions(), "key": expression.normalized, "variables": list(expression.variables),
             "request": request.capabilities(), "programs": fields,
             "formulas": None if formulas is None else list(formulas)}
    return json.dumps(entry, separators=(",", ":"), ensure_ascii=False)


# -- decoding and validation -------------------------------------------------------------------


def _require(condition: bool, why: str = "invalid entry") -> None:
    if not condition:
        raise _Invalid(why)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_list(value, lo: int, hi: int) -> tuple[int, ...]:
    _require(isinstance(value, list) and all(_is_int(v) and lo <= v < hi for v in value), "bad register list")
    return tuple(value)


@functools.cache
def _program_helpers() -> frozenset[str]:
    """The public functions ``derivgui.numeric.program`` defines for steps to name."""
    import derivgui.numeric.program as module

    return frozenset(name for name, value in vars(module).items()
                     if isinstance(value, types.FunctionType) and value.__module__ == _PROGRAM_MODULE
                     and not name.startswith("_") and name != "resolve")


@functools.lru_cache(maxsize=512)
def allowed_function(name: str) -> bool:
    """Whether a step may call ``name``: a NumPy/SciPy ufunc, a known harmless NumPy function or a
    public helper of ``derivgui.numeric.program``; never anything that touches files or runs code."""
    if not isinstance(name, str) or len(name) > 100:
        return False
    module_name, _, attribute = name.rpartition(".")
    if module_name == _PROGRAM_MODULE:
        return attribute in _program_helpers()
    if module_name not in ("numpy", "scipy.special") or not attribute.isidentifier() or attribute.startswith("_"):
        return False
    if name in _OTHER_FUNCTIONS:
        return True
    try:
        from derivgui.numeric.program import resolve

        return isinstance(resolve(name), np.ufunc)
    except Exception:  # noqa: BLE001 - missing in this NumPy/SciPy, or a module that fails to import
        return False


def _decode_param(value, depth: int = 0):
    _require(depth <= 4, "parameters nested too deep")
    if isinstance(value, list):
        _require(len(value) <= 64, "too many parameters")
        return tuple(_decode_param(v, depth + 1) for v in value)
    if isinstance(value, float):
        _require(math.isfinite(value), "a parameter is not finite")
        return value
    if isinstance(value, str):
        _require(len(value) <= 32, "a parameter is too long")
        return value
    _require(value is None or isinstance(value, (bool, int)), "a parameter of unknown type")
    if _is_int(value):
        _require(abs(value) <= 1_000_000, "a parameter is out of range")
    return value


def _decode_constant(data, n_registers: int) -> tuple[int, np.ndarray]:
    _require(isinstance(data, dict) and set(data) == {"register", "dtype", "shape", "data"}, "bad constant")
    register, dtype, shape, values = data["register"], data["dtype"], data["shape"], data["data"]
    _require(_is_int(register) and 0 <= register < n_registers, "bad constant register")
    _require(isinstance(dtype, str) and dtype in _DTYPES, "bad constant dtype")
    _require(isinstance(shape, list) and len(shape) <= 4 and all(_is_int(d) and 0 <= d <= MAX_CONSTANT_VALUES
                                                                   for d in shape), "bad constant shape")
    size = math.prod(shape)
    _require(size <= MAX_CONSTANT_VALUES and isinstance(values, list) and len(values) == size, "bad constant size")
    kind = np.dtype(dtype).kind
    if kind == "b":
        _require(all(isinstance(v, bool) for v in values), "bad boolean constant")
    elif kind in "iu":
        _require(all(_is_int(v) for v in values), "bad integer constant")
    else:
        _require(all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values), "bad float constant")
    with np.errstate(all="ignore"):
        array = np.array(values, dtype=dtype).reshape(shape)  # OverflowError for an int out of range
    array.flags.writeable = False  # shared by every call of the program: no one may change it
    return register, array


def _names(value, count: int | None) -> tuple[str, ...]:
    _require(isinstance(value, list) and all(isinstance(v, str) and len(v) <= _NAME_CHARS for v in value)
             and (not value or count is None or len(value) == count), "bad names")
    return tuple(value)


def decode_program(data, n_inputs: int | None = None, n_outputs: int | None = None) -> Program:
    """A ``Program`` from its JSON data, checked register by register; ``_Invalid`` if anything is off."""
    _require(isinstance(data, dict) and set(data) == {"n_inputs", "n_registers", "outputs", "constants", "steps",
                                                      "input_names", "output_names"}, "bad program")
    n_registers = data["n_registers"]
    _require(_is_int(n_registers) and 0 < n_registers <= MAX_REGISTERS, "bad register count")
    inputs = data["n_inputs"]
    _require(_is_int(inputs) and 0 <= inputs <= n_registers and (n_inputs is None or inputs == n_inputs),
             "bad input count")
    _require(isinstance(data["constants"], list) and isinstance(data["steps"], list), "bad program")
    constants = tuple(_decode_constant(c, n_registers) for c in data["constants"])
    _require(sum(int(a.size) for _r, a in constants) <= MAX_CONSTANT_VALUES, "too many constant values")
    defined = set(range(inputs))
    for register, _array in constants:
        _require(register not in defined, "a register is defined twice")
        defined.add(register)
    steps = []
    for raw in data["steps"]:
        _require(isinstance(raw, list) and len(raw) == 5, "bad step")
        function, args, out, params, ufunc = raw
        _require(isinstance(function, str) and allowed_function(function), "a function that may not be called")
        args = _int_list(args, 0, n_registers)
        _require(len(args) <= 64 and all(a in defined for a in args), "a step reads an undefined register")
        _require(_is_int(out) and 0 <= out < n_registers and out not in defined, "bad step output")
        _require(isinstance(params, list) and isinstance(ufunc, bool), "bad step")
        defined.add(out)
        steps.append(Step(function, args, out, _decode_param(params), ufunc))
    outputs = _int_list(data["outputs"], 0, n_registers)
    _require(all(o in defined for o in outputs), "an output is never computed")
    _require(n_outputs is None or len(outputs) == n_outputs, "bad output count")
    program = Program(inputs, constants, tuple(steps), outputs, n_registers, _names(data["input_names"], inputs),
                      _names(data["output_names"], len(outputs)))
    _check_allocations(program)
    return program


def _check_allocations(program: Program) -> None:
    """An ``alloc`` whose size is a constant must be of a sane size (not a memory bomb)."""
    constants = dict(program.constants)
    alloc = f"{_PROGRAM_MODULE}.alloc"
    for step in program.steps:
        if step.function == alloc:
            dims = [constants[a] for a in step.args[1:] if a in constants]
            with np.errstate(all="ignore"):
                sizes = [abs(float(np.prod(d, dtype=np.float64))) for d in dims]
            _require(all(math.isfinite(s) and s <= MAX_ALLOC_VALUES for s in sizes), "an allocation too large")


def _smoke_test(program: Program, n_outputs: int | None) -> None:
    """Run the program once on three points: a program that cannot run is not used."""
    points = np.array([0.25, 1.5, -2.0])
    try:
        with np.errstate(all="ignore"):
            outputs = Runner(program)(*[points.copy() for _ in range(program.n_inputs)])
        for output in outputs:
            np.broadcast_to(np.asarray(output, dtype=np.float64), points.shape)
    except Exception as exc:  # noqa: BLE001 - any failure means: compile it again
        raise _Invalid(f"the program does not run: {exc}") from None
    _require(n_outputs is None or len(outputs) == n_outputs, "bad output count")


def decode(text: str | bytes, expression: Expression, request: CompileRequest | None = None) -> Entry:
    """The entry ``text`` holds for ``expression`` compiled for ``request`` (by default, the
    window's); ``_Invalid`` unless it is a valid entry of this format, made by these versions for
    exactly this expression and these capabilities."""
    request = request if request is not None else CompileRequest(expression.text)
    data = json.loads(text)
    _require(isinstance(data, dict), "not an object")
    _require(data.get("format") == FORMAT, "another format")
    for name, version in versions().items():
        _require(data.get(name) == version, f"made by another {name}")
    _require(data.get("key") == expression.normalized, "another expression")
    _require(data.get("variables") == list(expression.variables), "other variables")
    _require(data.get("request") == request.capabilities(), "other capabilities")
    raw = data.get("programs")
    names = {f.name for f in dataclasses.fields(Programs)}
    _require(isinstance(raw, dict) and set(raw) == names, "other programs")
    verdicts = raw.get("verdicts")
    _require(verdicts is request.verdicts, "verdicts do not match the request")
    n = len(expression.variables)
    p = len(request.parameters)
    input_names = (*expression.variables, *request.parameters)
    output_names = request.output_names(expression.variables)
    kinds = raw.get("switch_kinds")
    _require(isinstance(kinds, list) and len(kinds) <= 1000 and all(isinstance(k, str) and len(k) <= 16
                                                                     for k in kinds), "bad switch kinds")
    k = len(kinds)
    # Each program's inputs and outputs, where known: (inputs, outputs).
    shapes: dict[str, tuple[int | None, int | None]] = {
        "main": (n + p, len(output_names)), "switch_arguments": (n + p, k), "branches": (n + p + k, 1 + n),
        "divisors": (1 + p, None)}
    fields: dict[str, Any] = {"switch_kinds": tuple(kinds), "verdicts": verdicts}  # each checked below
    for name in names - {"switch_kinds", "verdicts"}:
        value = raw[name]
        if value is None:
            _require(name != "main", "no main program")
            fields[name] = None
            continue
        _require(request.verdicts or name == "main", "verdict programs without verdicts")
        n_inputs, n_outputs = shapes.get(name, (None, None))
        program = decode_program(value, n_inputs, n_outputs)
        if name == "main":
            _require(program.input_names == input_names and program.output_names == output_names,
                     "other inputs or outputs")
        _smoke_test(program, n_outputs)
        fields[name] = program
    _require((fields.get("switch_arguments") is None) == (k == 0) == (fields.get("branches") is None),
             "switch programs do not match the switch kinds")
    formulas = data.get("formulas")
    if formulas is not None:
        _require(isinstance(formulas, list) and len(formulas) == n and all(isinstance(s, str) for s in formulas)
                 and sum(map(len, formulas)) <= MAX_FORMULA_CHARS, "bad formulas")
        formulas = tuple(formulas)
    try:
        programs = Programs(**fields)
    except TypeError as exc:
        raise _Invalid(str(exc)) from None
    return Entry(programs, formulas)


# -- the cache ---------------------------------------------------------------------------------


class ProgramCache:
    """The compiled programs of recent expressions, one JSON file each under ``directory/programs``."""

    def __init__(self, directory: str | os.PathLike | None = None, max_entries: int = MAX_ENTRIES,
                 max_bytes: int = MAX_FILE_BYTES) -> None:
        self.directory = Path(directory) if directory is not None else default_directory()
        self.folder = self.directory / "programs"
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._writer: ThreadPoolExecutor | None = None
        self._pending: Future | None = None
        self._lock = threading.Lock()
        self.loaded = self.stored = 0  # counters, for tests and benchmarks

    def path_for(self, expression: Expression, request: CompileRequest | None = None) -> Path:
        """The file of ``expression``'s entry for ``request`` (by default the window's, keyed by the text alone)."""
        key = expression.normalized if request is None else request.cache_key(expression)
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        return self.folder / f"{digest[:40]}.json"

    def load(self, expression: Expression, request: CompileRequest | None = None) -> Entry | None:
        """The valid entry for ``expression`` compiled for ``request`` (by default, the window's), or
        None (missing, unusable, another version or format…). Never raises."""
        try:
            path = self.path_for(expression, request)
            text = self._read(path)
            if text is None:
                return None
            entry = decode(text, expression, request)
        except Exception:  # noqa: BLE001 - whatever the file holds (RecursionError, MemoryError…): compile again
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: kept longest
        self.loaded += 1
        return entry

    def _read(self, path: Path) -> str | None:
        """The text of ``path`` if it is a regular file of at most ``max_bytes``; never blocks."""
        flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(path, flags)  # O_NONBLOCK: a FIFO opens at once (and is refused below)
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > self.max_bytes:
                return None
            chunks, size = [], 0
            while size <= self.max_bytes:
                chunk = os.read(fd, min(1 << 20, self.max_bytes + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            if size > self.max_bytes:
                return None  # it grew while being read
            return b"".join(chunks).decode("utf-8")
        except (OSError, UnicodeError):
            return None
        finally:
            os.close(fd)

    def store(self, expression: Expression, programs: Programs, formulas: tuple[str, ...] | None = None,
              request: CompileRequest | None = None) -> bool:
        """Write the entry now (atomically), then drop the oldest beyond ``max_entries``. False if it
        could not be written (a full disk, a read-only folder, something that cannot be stored)."""
        try:
            text = encode(expression, programs, formulas, request)
            if len(text.encode("utf-8")) > self.max_bytes:
                return False
            from derivgui.files.atomic import atomic_write_text

            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            atomic_write_text(self.path_for(expression, request), text)
        except Exception:  # noqa: BLE001 - a cache that cannot be written is just not used
            return False
        self.stored += 1
        self.prune()
        return True

    def store_later(self, expression: Expression, programs: Programs,
                    formulas: tuple[str, ...] | None = None, request: CompileRequest | None = None) -> None:
        """``store`` on a background thread: the caller (a compile lane) goes on at once."""
        from concurrent.futures import ThreadPoolExecutor

        with self._lock:
            if self._writer is None:
                self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="derivgui-program-cache")
            self._pending = self._writer.submit(self.store, expression, programs, formulas, request)

    def flush(self, timeout: float | None = 10.0) -> None:
        """Wait for the writes ``store_later`` queued (tests, and a benchmark that restarts)."""
        with self._lock:
            pending = self._pending
        if pending is not None:
            with contextlib.suppress(Exception):
                pending.result(timeout)

    def prune(self) -> None:
        """Remove the least recently used entries beyond ``max_entries`` (only files named as ours)."""
        try:
            entries = []
            with os.scandir(self.folder) as listing:
                for item in listing:
                    if _NAME.fullmatch(item.name):
                        with contextlib.suppress(OSError):
                            entries.append((item.stat(follow_symlinks=False).st_mtime_ns, item.path))
            entries.sort(reverse=True)
            for _mtime, path in entries[self.max_entries:]:
                with contextlib.suppress(OSError):
                    os.unlink(path)
        except OSError:
            pass

    def entries(self) -> list[Path]:
        """The entry files present (any version), for tests."""
        try:
            return sorted(p for p in self.folder.iterdir() if _NAME.fullmatch(p.name))
        except OSError:
            return []


_active: ProgramCache | None = None


def enable(directory: str | os.PathLike | None = None) -> ProgramCache:
    """Turn the cache on for this process (the window's compile lanes use it); no I/O yet."""
    global _active
    _active = ProgramCache(directory)
    return _active


def disable() -> None:
    global _active
    _active = None


def active() -> ProgramCache | None:
    """The cache the window's compiles use, or None (the default outside ``derivgui.app.startup.run_gui``)."""
    return _active

