"""What a planning run did: rows added per reminder, and the problems found on the way."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)


@dataclass
class PlanReport:
    """Rows added per (reminder key, status) and the campaign or roster problems met, each once."""

    rows: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def added(self, key: str, count: int, status: str = "pending") -> None:
        """Counts rows added for a reminder."""
        if count:
            self.rows[(key, status)] += count

    def problem(self, text: str) -> None:
        """Notes a problem (once)."""
        if text not in self.problems:
            self.problems.append(text)

    @property
    def total(self) -> int:
        """All rows added."""
        return sum(self.rows.values())

    def log(self) -> None:
        """Writes the run's outcome and problems to the log."""
        for (key, status), count in sorted(self.rows.items()):
            logger.info("planned %d %s deliveries of %s", count, status, key)
        for text in self.problems:
            logger.warning("reminder problem: %s", text)
