"""The one error tree of source_check.

Every error a user can meet derives from :class:`SourceCheckError`. Errors about a
place in a file carry that place as data (:class:`Position`), so that the CLI, an
editor or a bureau system can point at it without parsing the message.

Examples
--------
>>> err = PackError([Issue("未知键 'chek'", Position("p.yaml", 3, 5), rule_id="R1")])
>>> str(err)
"p.yaml:3:5: [R1] 未知键 'chek'"
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "InputError",
    "Issue",
    "PackError",
    "Position",
    "SourceCheckError",
]


@dataclass(frozen=True, slots=True)
class Position:
    """A place in a file: 1-based line and column (0 when unknown)."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}"
        return self.file

    def shifted(self, columns: int) -> Position:
        """The position ``columns`` characters further along the same line."""
        return Position(self.file, self.line, self.column + columns)


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found, with where it is and, if any, which rule it belongs to."""

    message: str
    position: Position | None = None
    rule_id: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.position is not None:
            parts.append(f"{self.position}:")
        if self.rule_id:
            parts.append(f"[{self.rule_id}]")
        parts.append(self.message)
        text = " ".join(parts)
        if self.hint:
            text += f"（{self.hint}）"
        return text


class SourceCheckError(Exception):
    """Root of every error source_check raises on purpose."""


class PackError(SourceCheckError):
    """A rule pack cannot be loaded: all problems found, each with its position.

    Problems are collected and raised once, so a pack author sees every mistake in
    one go rather than one per run.
    """

    def __init__(self, issues: Sequence[Issue] | str) -> None:
        if isinstance(issues, str):
            issues = [Issue(issues)]
        self.issues: list[Issue] = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


class InputError(SourceCheckError):
    """Input data cannot be read or does not fit the pack (missing columns, bad file)."""

    def __init__(self, message: str, position: Position | None = None) -> None:
        self.position = position
        self.message = message
        super().__init__(f"{position}: {message}" if position else message)
