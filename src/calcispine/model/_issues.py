"""Data-quality problems that travel with a result instead of being raised one by one."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class IssueLevel(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class DataIssue:
    level: IssueLevel
    location: str
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.level.value}: {self.location}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class Notepad:
    """Collects issues while a result is being built (gpsea's notepad idea)."""

    def __init__(self) -> None:
        self._issues: list[DataIssue] = []

    def add(self, level: IssueLevel, location: str, message: str, hint: str | None = None) -> None:
        self._issues.append(DataIssue(level, location, message, hint))

    def warn(self, location: str, message: str, hint: str | None = None) -> None:
        self.add(IssueLevel.WARNING, location, message, hint)

    def error(self, location: str, message: str, hint: str | None = None) -> None:
        self.add(IssueLevel.ERROR, location, message, hint)

    def info(self, location: str, message: str, hint: str | None = None) -> None:
        self.add(IssueLevel.INFO, location, message, hint)

    @property
    def issues(self) -> tuple[DataIssue, ...]:
        return tuple(self._issues)

    @property
    def has_errors(self) -> bool:
        return any(i.level is IssueLevel.ERROR for i in self._issues)
