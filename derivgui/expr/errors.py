"""The one error type that crosses the boundary between user text and the program."""

from __future__ import annotations


class ExpressionError(ValueError):
    """A problem with what the user typed, with the 0-based column where it was found.

    It is a ``ValueError`` so that callers who do not know derivgui can still catch it, and it
    carries ``column`` so the editor can put a marker under the exact character at fault.
    """

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column

    def __str__(self) -> str:
        if self.column is None:
            return self.message
        return f"{self.message} (column {self.column + 1})"

    def __reduce__(self):  # keep column when pickled across processes
        return (type(self), (self.message, self.column))
