"""花名册 (office only): upload a workbook, see the row-level check of `import --dry-run`, then confirm the import.

The check and the import run in the worker thread that serves the request, never in the event loop; the uploaded
file is kept only until the import (or the next upload of the same session) and never leaves the server."""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile
from starlette.responses import FileResponse, Response

from bot.console import audit
from bot.console.errors import Refused
from bot.console.serving import PageRequest, too_large
from bot.db import transaction
from bot.roster import RosterError, import_roster, write_template
from bot.store import console as store
from bot.store.console_views import fresh_counts

UPLOAD_KEPT = timedelta(days=1)  # a checked workbook nobody confirmed is deleted after this
XLSX_MAGIC = b"PK\x03\x04"  # an .xlsx is a zip file
_UNSAFE_NAME = re.compile(r"[^\w\u4e00-\u9fff.()（）-]+")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def roster_form(req: PageRequest) -> Response:
    """The upload form with what the workbook must contain."""
    return _render(req, stage="form")


def roster_check(req: PageRequest) -> Response:
    """Checks an uploaded workbook as `import --dry-run` does; keeps it for confirmation when it passes."""
    upload = req.form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise Refused(400, "没有选择文件", "请先选择要上传的花名册（.xlsx 工作簿）。", "roster upload without a file")
    if upload.size is not None and upload.size > req.app.settings.console.max_upload_bytes:
        raise too_large(req.console, f"roster upload of {upload.size} bytes")
    head = upload.file.read(len(XLSX_MAGIC))
    if not upload.filename.lower().endswith(".xlsx") or head != XLSX_MAGIC:
        raise Refused(415, "不是 Excel 工作簿", "花名册请上传 .xlsx 格式的 Excel 工作簿（可先下载模板填写），没有导入任何数据。",
                      f"roster upload is not an .xlsx workbook ({Path(upload.filename).suffix or 'no suffix'})")
    _forget_pending(req)
    upload_id = secrets.token_urlsafe(16)
    path = uploads_dir(req) / upload_id / safe_name(upload.filename)
    path.parent.mkdir(parents=True)
    upload.file.seek(0)
    with path.open("wb") as out:
        shutil.copyfileobj(upload.file, out)
    try:
        report = import_roster(req.db, path, dry_run=True, now=req.now)
    except RosterError as exc:
        shutil.rmtree(path.parent, ignore_errors=True)
        return _render(req, 422, stage="errors", filename=path.name, error=str(exc), issues=exc.errors)
    store.insert_upload(req.db, upload_id, req.admin.session_id, str(path), path.name, req.now)
    return _render(req, stage="checked", filename=path.name, summary=report.summary(), upload_id=upload_id)


def roster_import(req: PageRequest) -> Response:
    """Imports the workbook this session checked, records it in 操作记录, and deletes the uploaded file."""
    upload_id = req.form.get("upload_id")
    row = store.pending_upload(req.db, upload_id, req.admin.session_id) if isinstance(upload_id, str) else None
    if row is None or not Path(row[0]).exists():
        raise Refused(410, "请重新上传", "这份花名册已经导入过，或已被新上传的文件替换。请重新上传后再确认。",
                      "roster import of an unknown, used or replaced upload")
    path = Path(row[0])
    try:
        report = import_roster(req.db, path, dry_run=False, now=req.now)  # new pairings date from now (the clock)
    except RosterError as exc:  # the database changed since the check
        return _render(req, 422, stage="errors", filename=row[1], error=str(exc), issues=exc.errors)
    with transaction(req.db):
        store.mark_upload_imported(req.db, upload_id, req.now)
        lines = report.summary().splitlines()
        changes = "；".join(line.strip() for line in lines[1:] if line.startswith("  ")) or lines[0]
        audit.record_action(req.db, req.admin, audit.ROSTER_IMPORT, row[1], req.now, changes)
    shutil.rmtree(path.parent, ignore_errors=True)
    fresh_counts(req.db)  # units moved or came: recount now, in the import's time, not in the next reader's
    return _render(req, stage="imported", filename=row[1], summary=report.summary())


def roster_template(req: PageRequest) -> Response:
    """The empty roster workbook with its headers and instructions, to fill in."""
    folder = Path(tempfile.mkdtemp(prefix="console-template-"))
    path = folder / "花名册模板.xlsx"
    write_template(path)
    return FileResponse(path, filename=path.name, media_type=XLSX_TYPE,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))


def _render(req: PageRequest, status: int = 200, **context) -> Response:
    return req.render("roster.html", status, max_upload_bytes=req.app.settings.console.max_upload_bytes, **context)


def uploads_dir(req: PageRequest) -> Path:
    """Where checked uploads wait for confirmation: beside the database, never under a served folder."""
    return Path(req.app.settings.database.path).resolve().parent / "console-uploads"


def safe_name(filename: str) -> str:
    """The uploaded file's own name (shown in the report) without any path or odd character."""
    name = _UNSAFE_NAME.sub("_", Path(filename.replace("\\", "/")).name)[-100:]
    return name if name.lower().endswith(".xlsx") and len(name) > 5 else "花名册.xlsx"


def _forget_pending(req: PageRequest) -> None:
    """Drops this session's earlier upload that was checked but never confirmed, and anyone's older than a day."""
    older_than = req.now - UPLOAD_KEPT
    for path in store.stale_upload_paths(req.db, req.admin.session_id, older_than):
        shutil.rmtree(Path(path).parent, ignore_errors=True)
    store.forget_stale_uploads(req.db, req.admin.session_id, older_than)
