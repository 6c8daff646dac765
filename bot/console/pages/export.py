"""导出: the workbook of `campaign-bot report` for the administrator's scope."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.responses import FileResponse, Response

from bot.console import audit
from bot.console.pages.roster import XLSX_TYPE
from bot.console.serving import PageRequest
from datetime import date

from bot.console.errors import Refused
from bot.scope_report import period_of_days, write_scope_report
from bot.store.overdue import rule_of


def export_page(req: PageRequest) -> Response:
    """What the workbook holds and the button to download it."""
    return req.render("export.html", scope=scope_name(req), as_of=req.app.local_text(req.now))


def requested_days(req: PageRequest) -> tuple[date | None, date | None]:
    """The period's first and last day from the form (either may be empty); a malformed or reversed one is refused."""
    days = []
    for name in ("from", "to"):
        text = req.request.query_params.get(name, "").strip()
        try:
            days.append(date.fromisoformat(text) if text else None)
        except ValueError:
            raise Refused(400, "日期不对", f"“{text}”不是日期，请按 2010-05-01 的格式填写，或留空。",
                          f"export: malformed {name} day") from None
    if days[0] and days[1] and days[0] > days[1]:
        raise Refused(400, "日期不对", "开始日期在结束日期之后，请对调后重新导出。", "export: period reversed")
    return days[0], days[1]


def export_download(req: PageRequest) -> Response:
    """Writes the scope's workbook in this worker thread and sends it; the temporary file goes afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="console-export-"))
    name = f"{scope_name(req)}走访进度{req.app.local(req.now):%Y%m%d}.xlsx"
    path = folder / "report.xlsx"
    from_day, to_day = requested_days(req)
    write_scope_report(req.db, path, req.admin.scope, req.now, period_of_days(from_day, to_day, req.app.tz),
                       rule=rule_of(req.app), campaign=req.app.campaign, label=scope_name(req), tz=req.app.tz)
    audit.record_action(req.db, req.admin, audit.REPORT_EXPORT, scope_name(req), req.now)
    return FileResponse(path, filename=name, media_type=XLSX_TYPE,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))


def scope_name(req: PageRequest) -> str:
    """全州 for the office, else the administrator's unit (with those below it)."""
    return "全州" if req.admin.is_office else req.admin.unit_name
