"""The one error type for bad scenarios and bad arguments (exit status 2)."""

from __future__ import annotations

__all__ = ["ScenarioError", "FieldError"]


class ScenarioError(ValueError):
    """A scenario (or a command-line override) is malformed.

    The message names the file, the dotted key, what was expected and what was found.
    """

    def __init__(self, file: str, key: str | None, message: str):
        self.file = str(file)
        self.key = key
        self.message = message
        where = f"{self.file}: {key}" if key else self.file
        super().__init__(f"{where}: {message}")


class FieldError(ValueError):
    """Raised inside a schema validator to blame a key below the validated table.

    ``key`` is dotted and relative to the table whose validator raised.
    """

    def __init__(self, key: str, message: str):
        self.key = key
        self.message = message
        super().__init__(message)
