"""What an import says back: the problems found (RowIssue, RosterError) and the counts of what changed (ImportReport)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bot.errors import UserError
from bot.roster.layout import SHEETS

MAX_LISTED_ERRORS = 200


@dataclass(frozen=True)
class RowIssue:
    """One problem: where it is (sheet, row as Excel numbers it, column) and why, in Chinese."""

    sheet: str
    row: int | None  # None: the problem is the sheet's, not a row's
    column: str
    reason: str

    def __str__(self) -> str:
        place = f"“{self.sheet}”表第 {self.row} 行" if self.row is not None else f"“{self.sheet}”表"
        column = f"「{self.column}」" if self.column else ""
        return f"{place}{column}：{self.reason}"


class RosterError(UserError):
    """The roster cannot be imported; str() is the Chinese explanation, `errors` every row problem found."""

    def __init__(self, message: str, errors: list[RowIssue] | None = None):
        super().__init__(message)
        self.errors = errors or []


def rejection(errors: list[RowIssue]) -> RosterError:
    """The RosterError for a roster with row problems: all listed up to a cap, the rest counted by column."""
    lines = [f"花名册中有 {len(errors)} 处错误，没有导入任何数据。请改正后重新导入："]
    lines += [f"  {issue}" for issue in errors[:MAX_LISTED_ERRORS]]
    rest = errors[MAX_LISTED_ERRORS:]
    if rest:
        by_column = Counter((issue.sheet, issue.column) for issue in rest)
        parts = "，".join(f"“{sheet}”表「{column}」{n} 处" for (sheet, column), n in by_column.most_common())
        lines.append(f"  ……另有 {len(rest)} 处错误未列出：{parts}")
    return RosterError("\n".join(lines), errors)


@dataclass
class TableCounts:
    """For one sheet: rows read, and how many were new, changed or already the same in the database."""

    rows: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0  # stored rows the file no longer has, deleted (pairings, with --prune-pairings)

    @property
    def unchanged(self) -> int:
        """Rows already stored exactly as the file has them."""
        return self.rows - self.added - self.updated


@dataclass
class ImportReport:
    """The outcome of a successful import or dry run."""

    source: str
    dry_run: bool
    counts: dict[str, TableCounts] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    check_seconds: float = 0.0
    write_seconds: float = 0.0
    longest_lock_seconds: float = 0.0  # the longest any one write transaction held SQLite's write lock
    chunks: int = 0  # write transactions committed

    @property
    def rows(self) -> int:
        """All data rows read."""
        return sum(c.rows for c in self.counts.values())

    def summary(self) -> str:
        """A short Chinese account: per sheet what was (or would be) added and updated, then the warnings."""
        if self.dry_run:
            lines = [f"检查通过：{self.source} 共 {self.rows} 行，没有错误。这是试运行，没有写入数据库。"]
            for sheet in SHEETS:
                if (c := self.counts.get(sheet.name)) is not None:
                    lines.append(f"  {sheet.name}：{c.rows} 行，其中新增 {c.added}，已有 {c.rows - c.added}（有改动的会更新）"
                                 + (f"，将删除 {c.removed}" if c.removed else ""))
        elif not any(c.added or c.updated or c.removed for c in self.counts.values()):
            lines = [f"导入完成：{self.source} 共 {self.rows} 行，与数据库中的完全一致，没有任何改动。"]
        else:
            lines = [f"导入完成：{self.source} 共 {self.rows} 行。"]
            for sheet in SHEETS:
                if (c := self.counts.get(sheet.name)) is not None:
                    lines.append(f"  {sheet.name}：新增 {c.added}，更新 {c.updated}，未变 {c.unchanged}"
                                 + (f"，删除 {c.removed}" if c.removed else ""))
        if self.warnings:
            lines.append("提示：")
            lines += [f"  {w}" for w in self.warnings]
        return "\n".join(lines)
