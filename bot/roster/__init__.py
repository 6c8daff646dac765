"""The roster: importing units, cadres, households and pairings from a workbook or CSV folder, and its template."""

from bot.roster.importer import import_roster
from bot.roster.report import ImportReport, RosterError, RowIssue
from bot.roster.runs import unfinished_notice
from bot.roster.template import write_template

__all__ = ["ImportReport", "RosterError", "RowIssue", "import_roster", "unfinished_notice", "write_template"]
