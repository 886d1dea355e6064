"""The child's side of ``compile_process``: the compiler that a ``CompileProcess`` runs.

Run as ``python -m derivgui.compiler.compile_server`` (``CompileProcess`` does). It imports the engine,
and with it PyTensor, which the window's side (``compile_process``) never imports; it answers in
the protocol that ``compile_process`` describes, with that module's ``send_message`` and
``receive_message``.
"""

from __future__ import annotations

import os
import sys
from typing import IO, cast

from derivgui.compiler.compile_process import receive_message, send_message
from derivgui.compiler.engine import compile_program, derivative_formulas
from derivgui.compiler.request import CompileRequest, as_request, parse_request
from derivgui.expr.errors import ExpressionError
from derivgui.expr.parse import parse


def serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    """Say ready, then answer requests until the input ends."""
    compile_program(parse("x"))  # PyTensor builds its rewrite databases on first use: do it now
    send_message(replies, ("ready",))
    while (request := receive_message(requests)) is not None:
        kind, asked = cast(tuple[str, CompileRequest | str], request)  # what CompileProcess sends
        reply: tuple[object, ...]
        try:
            wanted = as_request(asked)
            expression = parse_request(wanted)
            if kind == "compile":
                result: object = compile_program(expression, wanted)
            else:
                result = derivative_formulas(expression, wanted)
            reply = ("ok", result)
        except ExpressionError as exc:
            reply = ("error", exc.message, exc.column)
        except Exception as exc:  # noqa: BLE001 - any failure is an answer, never a dead child
            reply = ("error", f"could not compile this expression: {exc}", None)
        send_message(replies, reply)


def main() -> None:
    # Background work: when the window's thread or the X server wants a core (a new expression's
    # first paints come while this child builds the formulas), they get it first. In
    # benchmarks/ui.py section 6 one of two runs before had a 54 ms gap after a new expression;
    # three runs after had 18-23 ms at worst.
    if hasattr(os, "nice"):
        os.nice(10)
    # Replies get a private copy of stdout; anything a library prints (warnings, PyTensor's log)
    # goes to stderr instead, as it would in the window's process.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        serve(sys.stdin.buffer, replies)
    except (KeyboardInterrupt, BrokenPipeError):
        pass


if __name__ == "__main__":
    main()
