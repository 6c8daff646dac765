"""Where a cadre's reminders go: the most recently seen active binding, one per cadre."""

from __future__ import annotations

# The binding a cadre's reminders go to: the active one the cadre used last (then the newest bound), so a cadre
# bound on Telegram and WeChat gets each reminder once, on the channel they actually read.
_LATEST_ACTIVE = ("SELECT rowid FROM bindings WHERE cadre_id = {cadre} AND active = 1 "
                  "ORDER BY COALESCE(last_seen_at, bound_at) DESC, bound_at DESC, channel, chat_id LIMIT 1")


def chosen_binding_rowid(cadre_column: str) -> str:
    """A SQL subquery: the rowid of the chosen binding of the cadre in cadre_column (no row if none)."""
    return _LATEST_ACTIVE.format(cadre=cadre_column)


def chosen_binding_join(cadre_column: str, alias: str = "ch") -> str:
    """A LEFT JOIN clause giving, as `alias`, the chosen binding of the cadre in cadre_column (NULLs if none)."""
    return f"LEFT JOIN bindings {alias} ON {alias}.rowid = ({chosen_binding_rowid(cadre_column)})"


NOT_BOUND = "未绑定"
