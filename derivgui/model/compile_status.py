"""What the compiler made of each curve's text: part of the model, but never saved.

It is derived from the text on every run (a saved "ready" would be a claim about a compile that
has not happened yet), so it lives beside ``AppState``'s saved fields, not among them: one
``CompileStatus`` per curve, in the same order, evented like the rest of the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from psygnal import evented

IDLE, COMPILING, READY, ERROR = "idle", "compiling", "ready", "error"


@evented
@dataclass
class CompileStatus:
    text: str = ""  # the text this status is about (the newest requested)
    state: str = IDLE  # idle, compiling, ready or error
    message: str = ""  # the error, for ERROR
    variables: tuple[str, ...] = ()  # what the compiled function takes, for READY

    def compiling(self, text: str) -> None:
        self.text, self.state, self.message, self.variables = text, COMPILING, "", ()

    def ready(self, text: str, variables: tuple[str, ...]) -> None:
        self.text, self.state, self.message, self.variables = text, READY, "", tuple(variables)

    def failed(self, text: str, message: str) -> None:
        self.text, self.state, self.message, self.variables = text, ERROR, message, ()
