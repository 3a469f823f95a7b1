"""One exception type for every problem a user can fix.

The CLI prints ``str(error)`` as one line and exits non-zero, so messages must name the
file, the line (when there is one) and the problem.
"""

from __future__ import annotations


class SucesosError(Exception):
    """A user-facing error: printed as one line, no traceback.

    >>> str(SucesosError("bad value", path="x.jsonl", line=3))
    'x.jsonl:3: bad value'
    """

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        self.message = message
        self.path = path
        self.line = line
        super().__init__(self._format())

    def _format(self) -> str:
        if self.path is None:
            return self.message
        if self.line is None:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"
