"""A fake Telegram Bot API server on 127.0.0.1: records calls, serves getUpdates from a queue, serves files,
and answers 429 / 403 / 400 for chats it is told to."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TOKEN = "123456:FAKE-token-for-tests"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "活动助手", "username": "campaign_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
JSON_FIELDS = {"reply_markup", "commands", "allowed_updates", "entities", "caption_entities", "reply_parameters",
               "link_preview_options"}
SEND_METHODS = {"sendMessage", "sendDocument", "sendPhoto", "sendMediaGroup", "sendLocation", "copyMessage"}


@dataclass
class Call:
    """One Bot API request the fake received."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def chat_id(self) -> str | None:
        value = self.params.get("chat_id")
        return None if value is None else str(value)


class _QuietServer(uvicorn.Server):
    def capture_signals(self):
        return contextlib.nullcontext()


class FakeBotApi:
    """Start with `await fake.start()`; point PTB at `fake.base_url` and `fake.base_file_url`."""

    def __init__(self, token: str = TOKEN):
        self.token = token
        self.calls: list[Call] = []
        self.updates: list[dict] = []
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, data)
        self.chat_errors: dict[str, dict] = {}  # chat id -> the error body for send* methods
        self.webhook: dict[str, Any] = {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        self._next_update_id = 1000
        self._next_message_id = 1
        self._changed = asyncio.Condition()
        self._closing = False
        routes = [Route("/bot{token}/{method}", self._api, methods=["GET", "POST"]),
                  Route("/file/bot{token}/{path:path}", self._file, methods=["GET"])]
        config = uvicorn.Config(Starlette(routes=routes), host="127.0.0.1", port=0, lifespan="off",
                                log_level="warning", access_log=False)
        self._server = _QuietServer(config)
        self._task: asyncio.Task | None = None

    # ---- lifecycle ----

    async def start(self) -> None:
        """Starts listening on a free port of 127.0.0.1."""
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        """Releases any long poll and stops the server."""
        self._closing = True
        async with self._changed:
            self._changed.notify_all()
        self._server.should_exit = True
        if self._task:
            await self._task

    @property
    def url(self) -> str:
        port = self._server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    # ---- what tests arrange ----

    def push_update(self, update: dict) -> int:
        """Queues an update for getUpdates (an update_id is assigned unless given); returns its id."""
        update = dict(update)
        update.setdefault("update_id", self._next_update_id)
        self._next_update_id = max(self._next_update_id, update["update_id"]) + 1
        self.updates.append(update)
        asyncio.get_running_loop().create_task(self._notify())
        return update["update_id"]

    def add_file(self, file_id: str, data: bytes, file_path: str | None = None) -> None:
        """Makes a file available to getFile and for download."""
        self.files[file_id] = (file_path or f"photos/{file_id}.jpg", data)

    def block_chat(self, chat_id: int | str) -> None:
        """send* to the chat answers 403: the user blocked the bot."""
        self.chat_errors[str(chat_id)] = {"ok": False, "error_code": 403,
                                          "description": "Forbidden: bot was blocked by the user"}

    def flood_chat(self, chat_id: int | str, retry_after: int) -> None:
        """send* to the chat answers 429 with retry_after."""
        self.chat_errors[str(chat_id)] = {"ok": False, "error_code": 429,
                                          "description": f"Too Many Requests: retry after {retry_after}",
                                          "parameters": {"retry_after": retry_after}}

    def lose_chat(self, chat_id: int | str) -> None:
        """send* to the chat answers 400 chat not found."""
        self.chat_errors[str(chat_id)] = {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}

    # ---- what tests read ----

    def calls_to(self, method: str) -> list[Call]:
        """The recorded calls of one method, in order."""
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, chat_id: int | str | None = None, count: int = 1,
                       timeout: float = 5.0) -> list[Call]:
        """Waits until `count` calls of the method (to the chat, when given) were made; returns them."""
        def matching() -> list[Call]:
            return [c for c in self.calls_to(method) if chat_id is None or c.chat_id == str(chat_id)]

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(matching()) >= count), timeout)
        return matching()

    # ---- the HTTP side ----

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _api(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401)
        method = request.path_params["method"]
        params, files = await _read_params(request)
        call = Call(method, params, files)
        if method != "getUpdates":
            self.calls.append(call)
            await self._notify()
        error = self.chat_errors.get(call.chat_id or "") if method in SEND_METHODS else None
        if error is not None:
            return JSONResponse(error, status_code=error["error_code"])
        handler = getattr(self, f"_m_{method}", None)
        result = await handler(call) if handler else True
        if isinstance(result, Response):
            return result
        return JSONResponse({"ok": True, "result": result})

    async def _file(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return Response(status_code=404)
        for file_path, data in self.files.values():
            if file_path == request.path_params["path"]:
                return Response(data, media_type="application/octet-stream")
        return Response(status_code=404)

    async def _m_getMe(self, call: Call) -> dict:
        return BOT_USER

    async def _m_setWebhook(self, call: Call) -> bool:
        self.webhook["url"] = call.params.get("url", "")
        return True

    async def _m_deleteWebhook(self, call: Call) -> bool:
        self.webhook = {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        return True

    async def _m_getWebhookInfo(self, call: Call) -> dict:
        return dict(self.webhook)

    async def _m_getUpdates(self, call: Call) -> list[dict]:
        offset = int(call.params.get("offset") or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        wait = min(float(call.params.get("timeout") or 0), 2.0)
        async with self._changed:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait_for(lambda: self.updates or self._closing), wait)
        return list(self.updates[: int(call.params.get("limit") or 100)])

    async def _m_getFile(self, call: Call) -> dict | Response:
        file_id = call.params.get("file_id", "")
        if file_id not in self.files:
            return JSONResponse({"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"},
                                status_code=400)
        path, data = self.files[file_id]
        return {"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_size": len(data), "file_path": path}

    async def _m_sendMessage(self, call: Call) -> dict:
        return self._message(call, text=call.params.get("text", ""))

    async def _m_sendDocument(self, call: Call) -> dict:
        data = call.files.get("document", b"")
        return self._message(call, caption=call.params.get("caption"),
                             document={"file_id": f"sent-{len(self.calls)}", "file_unique_id": f"s{len(self.calls)}",
                                       "file_size": len(data)})

    def _message(self, call: Call, **content) -> dict:
        self._next_message_id += 1
        chat = {"id": int(call.chat_id), "type": "private", "first_name": "x"}
        body = {"message_id": self._next_message_id, "date": int(time.time()), "chat": chat, "from": BOT_USER}
        return body | {k: v for k, v in content.items() if v is not None}


async def _read_params(request: Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The call's parameters (JSON fields decoded) and uploaded files, from a form, multipart or JSON body."""
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    files: dict[str, bytes] = {}
    if content_type.startswith("multipart/form-data"):
        raw = {}
        message = email.message_from_bytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body,
                                           policy=email.policy.HTTP)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if part.get_filename() is not None:
                files[name] = payload
            else:
                raw[name] = payload.decode()
    elif content_type.startswith("application/json"):
        raw = {k: v if isinstance(v, str) else json.dumps(v) for k, v in json.loads(body or b"{}").items()}
    else:
        raw = dict(parse_qsl(body.decode()))
    params = {k: json.loads(v) if k in JSON_FIELDS else v for k, v in raw.items()}
    return params, files


# ---- raw updates, as Telegram sends them ----

_message_ids = iter(range(1, 10**9))


def user(user_id: int, first_name: str = "用户") -> dict:
    """The `from` of an update: a human user."""
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "zh-hans"}


def private_message(user_id: int, **content) -> dict:
    """An update carrying a private message from user_id (whose private chat has the same id)."""
    return _message_update({"id": user_id, "type": "private", "first_name": "用户"}, user_id, content)


GROUP = -4001  # a group chat the bot was added to


def group_message(user_id: int, **content) -> dict:
    """An update carrying a message from user_id in the group chat GROUP."""
    return _message_update({"id": GROUP, "type": "group", "title": "村组"}, user_id, content)


def _message_update(chat: dict, user_id: int, content: dict) -> dict:
    message = {"message_id": next(_message_ids), "date": 1273626000, "chat": chat, "from": user(user_id)}
    return {"message": message | content}


def photo_sizes(file_id: str, sizes=((90, 67, 1200), (320, 240, 9000), (1280, 960, 60000))) -> list[dict]:
    """The PhotoSize list Telegram sends: thumbnails first; the last, largest, has the id `file_id`."""
    return [{"file_id": f"{file_id}-{w}" if i < len(sizes) - 1 else file_id, "file_unique_id": f"u{file_id}{w}",
             "width": w, "height": h, "file_size": size} for i, (w, h, size) in enumerate(sizes)]


def callback(user_id: int, data: str, query_id: str = "q1") -> dict:
    """An update for a button press in user_id's private chat."""
    chat = {"id": user_id, "type": "private", "first_name": "用户"}
    message = {"message_id": 77, "date": 1273626000, "chat": chat, "from": BOT_USER, "text": "这次走访的是哪一户？"}
    return {"callback_query": {"id": query_id, "from": user(user_id), "chat_instance": "ci", "data": data,
                               "message": message}}
