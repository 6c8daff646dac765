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
from bot.scope_report import write_scope_report
from bot.store.overdue import rule_of
from bot.store.report_rows import Period


def export_page(req: PageRequest) -> Response:
    """What the workbook holds and the button to download it."""
    return req.render("export.html", scope=scope_name(req), as_of=req.app.local_text(req.now))


def export_download(req: PageRequest) -> Response:
    """Writes the scope's workbook in this worker thread and sends it; the temporary file goes afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="console-export-"))
    name = f"{scope_name(req)}走访进度{req.app.local(req.now):%Y%m%d}.xlsx"
    path = folder / "report.xlsx"
    write_scope_report(req.db, path, req.admin.scope, req.now, Period(), rule=rule_of(req.app),
                       campaign=req.app.campaign, label=scope_name(req), tz=req.app.tz)
    audit.record_action(req.db, req.admin, audit.REPORT_EXPORT, scope_name(req), req.now)
    return FileResponse(path, filename=name, media_type=XLSX_TYPE,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))


def scope_name(req: PageRequest) -> str:
    """全州 for the office, else the administrator's unit (with those below it)."""
    return "全州" if req.admin.is_office else req.admin.unit_name
