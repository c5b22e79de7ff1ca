"""One error base class for everything a user can get wrong, mapped to exit codes in one place (cli.py).

`InputError` is bad input or an unusable situation the user can fix (exit 2): its message is
complete and meant to be printed as it is, one problem per line. Anything else that escapes a
command is a bug (exit 70 with one line naming it, never a traceback unless ORETRACE_DEBUG=1).
"""

from __future__ import annotations

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_BUG = 0, 1, 2, 70


class InputError(Exception):
    """Bad input or an unusable state, explained in words; `summary` is an optional last line."""

    exit_code = EXIT_INPUT
    prefix = "error: "  # before the first line; "" where every line names its own file and line
    then: str | None = None  # what the command therefore did not do (set by the command)

    def __init__(self, message: str, summary: str | None = None):
        super().__init__(message)
        self.summary = summary

    def lines(self) -> list[str]:
        """The lines to print: the message, then the summary joined with `then`."""
        out = str(self).splitlines() or [type(self).__name__]
        out[0] = self.prefix + out[0]
        last = "; ".join(x for x in (self.summary, self.then) if x)
        if last:
            out.append(last)
        return out
