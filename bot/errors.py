"""The one family of errors whose message a person reads: Chinese, saying what to do; the CLI prints it and exits."""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can put right; str() is the Chinese message, exit_code what the CLI exits with."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        """The Chinese message for the user."""
        return str(self)


class NotFound(UserError, LookupError):
    """Something the user named (a cadre, a unit) is not in the database."""


class UsageError(UserError):
    """A command given wrongly (a missing or malformed option): exit code 2, as for click's own usage errors."""

    exit_code = 2
