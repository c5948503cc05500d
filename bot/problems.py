"""What is wrong with training data, located: one ``Problem`` per mistake, all raised together."""

from __future__ import annotations

from dataclasses import dataclass

from bot.data import Location


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the training data, located."""

    where: Location | None  # None for an intent built in code: the intent's id says which
    message: str
    intent: str | None = None

    def __str__(self) -> str:
        """One line for an editor: where (if it has a place), which intent, what."""
        where = f"{self.where}: " if self.where else ""
        who = f"intent '{self.intent}': " if self.intent else ""
        return f"{where}{who}{self.message}"


class TrainingDataError(Exception):
    """The training data cannot be used; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the training data:\n{lines}")

    def __reduce__(self) -> tuple[type[TrainingDataError], tuple[list[Problem]]]:
        # Training runs in a child process (core.isolated): the error comes back pickled, and the default
        # (the class called with ``args``, the message) made ``problems`` a string, listed letter by letter.
        return type(self), (self.problems,)
