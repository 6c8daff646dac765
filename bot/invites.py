"""`campaign-bot invite`'s library side: binding codes for cadres, listed or written to a workbook to hand out."""

from __future__ import annotations

from pathlib import Path

from bot.errors import NotFound, UsageError
from bot.store.binding_codes import IssuedCode, bound_cadre_ids, issue_codes, unit_cadre_ids
from bot.store.cadres import cadre_by_id

XLSX_HEADERS = ("干部编号", "姓名", "绑定码", "有效期至", "发给干部的话")


def write_codes_xlsx(path: Path, issued: list[IssuedCode], local_text) -> None:
    """Writes the codes to a workbook: 干部编号, 姓名, 绑定码, 有效期至 (local_text shows a moment in local time)."""
    from openpyxl import Workbook

    from bot.excel import append_row

    book = Workbook()
    sheet = book.active
    sheet.title = "绑定码"
    sheet.append(XLSX_HEADERS)
    for item in issued:
        expires = local_text(item.expires_at)
        message = f"{item.name}同志：请给创先争优活动助手发送“绑定 {item.code}”完成绑定（{expires}前有效，只能用一次）。"
        append_row(sheet, (item.cadre_id, item.name, item.code, expires, message))
    for column, width in zip("ABCDE", (12, 12, 14, 18, 70)):
        sheet.column_dimensions[column].width = width
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def issue_invites(app, cadre_ids: tuple[str, ...], unit_id: str | None, out_path: str | None,
                  rebind: bool = False) -> list[str]:
    """Issues codes for the cadres (and those of the unit and every unit below it) and writes them to a workbook;
    cadres already bound are skipped and named unless rebind; returns the lines to show."""
    if not cadre_ids and not unit_id:
        raise UsageError("请给出干部编号，或用 --unit 给出单位编号。")
    if out_path and not out_path.lower().endswith(".xlsx"):
        raise UsageError(f"--out 要以 .xlsx 结尾，例如 绑定码.xlsx（现在是 {out_path}）。")
    if out_path and Path(out_path).exists():
        raise UsageError(f"{out_path} 已经存在，没有覆盖，也没有生成绑定码。请换一个文件名，或先移走原文件。")
    ids = list(dict.fromkeys(list(cadre_ids) + (unit_cadre_ids(app.db, unit_id) if unit_id else [])))
    if not ids:
        raise NotFound(f"单位 {unit_id} 及下属单位没有干部。")
    bound = set() if rebind else bound_cadre_ids(app.db, ids)
    skipped = [_named(app, c) for c in ids if c in bound]
    notes = [f"已绑定、没有生成绑定码（共 {len(skipped)} 人）：{'、'.join(skipped)}。需要换绑时加 --rebind。"] \
        if skipped else []
    ids = [c for c in ids if c not in bound]
    if not ids:
        return notes
    issued = issue_codes(app.db, ids, app.clock.now(), app.settings.binding.code_ttl_days)
    if out_path:
        write_codes_xlsx(Path(out_path), issued, app.local_text)
        return [f"已为 {len(issued)} 名干部生成绑定码，写入 {out_path}（他们此前未用的绑定码已作废）"] + notes
    lines = [f"{item.cadre_id}\t{item.name}\t{item.code}\t有效期至 {app.local_text(item.expires_at)}" for item in issued]
    return lines + ["干部发送“绑定 绑定码”即可绑定，每个绑定码只能用一次；此前未用的绑定码已作废。"] + notes


def _named(app, cadre_id: str) -> str:
    cadre = cadre_by_id(app.db, cadre_id)
    return f"{cadre.name}（{cadre_id}）" if cadre else cadre_id
