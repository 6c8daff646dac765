"""Checks on a WeChat callback request that come before any SDK sees it: size, freshness, safe XML, the retry key."""

from __future__ import annotations

import re
from xml.parsers.expat import ExpatError

import xmltodict
from starlette.requests import Request

MAX_BODY_BYTES = 64 * 1024  # WeChat's messages are a few KB; anything near this is not from WeChat
MAX_CLOCK_SKEW_SECONDS = 300
MAX_DEPTH = 5  # below <xml>: WeChat's deepest (SendPicsInfo/PicList/item/PicMd5Sum) is 4
_CREATE_TIME = re.compile(r"[0-9]{1,10}")  # Unix seconds; ASCII only (int() would read other scripts' digits)
# Fields the bot reads: each must be plain text (a nested element in their place is no WeChat message)
TEXT_FIELDS = ("ToUserName", "FromUserName", "CreateTime", "MsgType", "MsgId", "Event", "EventKey", "Content",
               "MediaId", "Recognition", "Label", "Location_X", "Location_Y", "Latitude", "Longitude", "Encrypt")
_DECLARATIONS = re.compile(r"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)


class Refused(Exception):
    """The request is turned away with this HTTP status; `reason` is for the log only."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """Reads the body, refusing with 413 as soon as it exceeds limit (declared or actual)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Refused(413, f"body of {declared} bytes declared")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Refused(413, "body larger than the limit")
    return bytes(body)


def check_fresh(timestamp: str | None, now: float) -> None:
    """Refuses (403) a request whose signed timestamp is missing or more than 5 minutes from now."""
    try:
        moment = int(timestamp or "")
    except ValueError:
        raise Refused(403, "timestamp missing or not a number") from None
    if abs(now - moment) > MAX_CLOCK_SKEW_SECONDS:
        raise Refused(403, "timestamp older than 5 minutes")


def safe_xml_text(raw: bytes | str) -> str:
    """The body as text, refused (400) unless UTF-8 without any DTD: no entity can be declared, so none expands."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise Refused(400, "body is not UTF-8") from None
    if "\x00" in text or _DECLARATIONS.search(text):
        raise Refused(400, "XML with a DTD or entity declaration")
    return text


def parse_envelope(text: str) -> dict:
    """The children of the <xml> root as a dict of strings; 400 when malformed."""
    try:
        document = xmltodict.parse(text, disable_entities=True)
    except (ExpatError, ValueError) as exc:
        raise Refused(400, f"malformed XML: {exc}") from None
    root = document.get("xml") if isinstance(document, dict) else None
    if not isinstance(root, dict):
        raise Refused(400, "XML without an <xml> root")
    if nesting_depth(root) > MAX_DEPTH:
        raise Refused(400, "XML nested deeper than any WeChat message")
    if any(root.get(name) is not None and not isinstance(root[name], str) for name in TEXT_FIELDS):
        raise Refused(400, "an element where WeChat sends text")
    created = root.get("CreateTime")
    if created is not None and not _CREATE_TIME.fullmatch(str(created)):
        raise Refused(400, "CreateTime is not a Unix time")  # a year past 9999 would crash the conversion
    return root


def nesting_depth(tree) -> int:
    """How deep the parsed XML nests below its root (walked without recursion: a hostile depth would overflow it)."""
    deepest, pending = 0, [(tree, 0)]
    while pending:
        node, depth = pending.pop()
        deepest = max(deepest, depth)
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        pending.extend((child, depth + (not isinstance(node, list))) for child in children)
    return deepest


def retry_key(fields: dict) -> str:
    """The key WeChat's retries share: MsgId for messages, FromUserName + CreateTime (+ event) for events."""
    if fields.get("MsgId"):
        return f"msg:{fields['MsgId']}"
    return f"event:{fields.get('FromUserName')}:{fields.get('CreateTime')}:{str(fields.get('Event', '')).lower()}"
