"""WeChat's HTTP API for both kinds (Official Account, WeCom): the access token kept in SQLite, calls and media.

wechatpy 1.8's clients are synchronous (requests) and hard-code the token and WeCom addresses, so the few endpoints
the bot uses are called here with httpx, every one of them under `[wechat] api_base_url` when it is set.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import datetime, timedelta, timezone

import httpx
import sqlite_utils

from bot.channels.wechat.settings import WeChatSettings
from bot.redaction import add_secrets, redact_loggers
from bot.store.tokens import cached_token, store_token

logger = logging.getLogger(__name__)

BASE_URLS = {"official": "https://api.weixin.qq.com", "work": "https://qyapi.weixin.qq.com"}
REFRESH_AHEAD_SECONDS = 300  # a token this close to its expiry is replaced before use
INVALID_TOKEN_CODES = frozenset({40001, 40014, 42001})
MEANINGS = {
    -1: "微信系统繁忙，稍后再试",
    40001: "access_token 无效",
    40003: "OpenID 不正确（不是关注本公众号的用户）",
    40007: "media_id 无效或已过期（临时素材只保留 3 天）",
    40013: "AppID/CorpID 不正确",
    40014: "access_token 不合法",
    40037: "模板 ID 不正确",
    40125: "AppSecret 不正确",
    40164: "调用接口的 IP 不在白名单中",
    42001: "access_token 已过期",
    43004: "用户未关注公众号",
    43019: "用户已将公众号拉黑",
    45009: "接口调用次数已达今日上限",
    45015: "超过 48 小时客服消息时限，只能发模板消息",
    45047: "客服消息超过下行条数上限（用户回复前最多 20 条）",
    60020: "调用接口的 IP 不在企业微信可信 IP 中",
    81013: "接收人不在应用的可见范围内",
}


class WeChatApiError(Exception):
    """WeChat answered with an error code (code None: the request did not get an answer)."""

    def __init__(self, code: int | None, message: str = ""):
        self.code = code
        self.message = message
        super().__init__(self.meaning)

    @property
    def meaning(self) -> str:
        """The error in Chinese, with its code: what goes into delivery reasons and logs."""
        if self.code is None:
            return f"微信接口无法访问：{self.message}"
        known = MEANINGS.get(self.code)
        return f"{known}（{self.code}）" if known else f"微信接口错误 {self.code}：{self.message}"


class MediaTooLarge(Exception):
    """A downloaded media file is larger than the bot accepts."""


def missing_settings(settings: WeChatSettings, callback: bool = True) -> list[str]:
    """The [wechat] keys this kind needs (for the API, and for the callback too) that are left empty."""
    needed = ["corp_id", "agent_id", "secret"] if settings.kind == "work" else ["app_id", "secret"]
    if callback:
        needed += ["token", "encoding_aes_key"] if settings.kind == "work" else ["token"]
    return [key for key in needed if not getattr(settings, key)]


def api_root(settings: WeChatSettings) -> str:
    """Where API calls go: api_base_url when set, else the kind's official host."""
    root = (settings.api_base_url or BASE_URLS[settings.kind]).rstrip("/")
    return root.removesuffix("/cgi-bin")


class WeChatApi:
    """Calls WeChat's API with an access token cached in the access_tokens table and refreshed one at a time."""

    def __init__(self, settings: WeChatSettings, db: sqlite_utils.Database, *, wall_clock=time.time,
                 timeout: float = 10.0, media_retry_delays: tuple[float, ...] = (0.5, 2.0)):
        add_secrets([settings.secret, settings.token, settings.encoding_aes_key])
        redact_loggers(["httpx"])  # it logs each request's URL, access_token included
        self.settings = settings
        self.db = db
        self.wall_clock = wall_clock
        self.media_retry_delays = media_retry_delays
        self._http = httpx.AsyncClient(base_url=api_root(settings) + "/cgi-bin/", timeout=timeout)
        self._refresh_lock = asyncio.Lock()

    @property
    def token_name(self) -> str:
        """The access_tokens row of this account (WeCom: one token per application)."""
        if self.settings.kind == "work":
            return f"wechat-work:{self.settings.corp_id}:{self.settings.agent_id}"
        return f"wechat-official:{self.settings.app_id}"

    async def close(self) -> None:
        """Closes the HTTP connections."""
        await self._http.aclose()

    # ---- access token ----

    async def access_token(self, stale: str | None = None) -> str:
        """A valid access token: the cached one unless it is near expiry or is `stale` (rejected by WeChat)."""
        cached = self._cached_token()
        if cached is not None and cached != stale:
            return cached
        async with self._refresh_lock:
            cached = self._cached_token()  # another caller may have refreshed while we waited
            if cached is not None and cached != stale:
                return cached
            return await self._fetch_token()

    def _cached_token(self) -> str | None:
        cached = cached_token(self.db, self.token_name)
        if cached is None:
            return None
        remaining = cached.expires_at.timestamp() - self.wall_clock()
        return cached.token if remaining > REFRESH_AHEAD_SECONDS else None

    async def _fetch_token(self) -> str:
        if self.settings.kind == "work":
            path, params = "gettoken", {"corpid": self.settings.corp_id, "corpsecret": self.settings.secret}
        else:
            path = "token"
            params = {"grant_type": "client_credential", "appid": self.settings.app_id, "secret": self.settings.secret}
        result = _checked(_json_or_empty((await self._request("GET", path, params=params)).content))
        if not isinstance(result.get("access_token"), str):
            raise WeChatApiError(None, "回答里没有 access_token")
        token, expires_in = result["access_token"], int(result.get("expires_in", 7200))
        expires_at = datetime.fromtimestamp(self.wall_clock() + expires_in, timezone.utc)
        store_token(self.db, self.token_name, token, expires_at)
        logger.info("fetched a new WeChat access token, valid for %d s", expires_in)
        return token

    # ---- calls ----

    async def post(self, path: str, payload: dict, params: dict | None = None) -> dict:
        """POSTs JSON to cgi-bin/<path>; on an invalid-token answer refreshes the token once and retries."""
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        token = await self.access_token()
        result = await self._post_once(path, body, params, token)
        if result.get("errcode") in INVALID_TOKEN_CODES:
            result = await self._post_once(path, body, params, await self.access_token(stale=token))
        return _checked(result)

    async def _post_once(self, path: str, body: bytes, params: dict | None, token: str) -> dict:
        response = await self._request("POST", path, params={**(params or {}), "access_token": token},
                                       content=body, headers={"Content-Type": "application/json; charset=utf-8"})
        return _json_or_empty(response.content)

    async def download_media(self, media_id: str, max_bytes: int) -> bytes:
        """Downloads temporary media by MediaId, retrying transient failures (network, 5xx, busy)."""
        delays = list(self.media_retry_delays)
        token = stale = None
        while True:
            try:
                token = await self.access_token(stale=stale)
                return await self._media_once(media_id, token, max_bytes)
            except WeChatApiError as exc:
                if exc.code in INVALID_TOKEN_CODES and stale is None:
                    stale = token
                    continue
                if not delays or not is_transient(exc):
                    raise
                logger.warning("media download failed (%s); retrying", exc.meaning)
            await asyncio.sleep(delays.pop(0))

    async def _media_once(self, media_id: str, token: str, max_bytes: int) -> bytes:
        try:
            async with self._http.stream("GET", "media/get",
                                         params={"access_token": token, "media_id": media_id}) as response:
                if response.status_code >= 400:
                    raise WeChatApiError(None, f"HTTP {response.status_code}")
                content_type = response.headers.get("content-type", "")
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > max_bytes:
                        raise MediaTooLarge(media_id)
        except httpx.HTTPError as exc:
            raise WeChatApiError(None, type(exc).__name__) from None
        if content_type.startswith(("application/json", "text/")):
            result = _json_or_empty(bytes(data))
            raise WeChatApiError(result.get("errcode") or -1, str(result.get("errmsg", "not a media file")))
        return bytes(data)

    async def _request(self, method: str, path: str, **kwargs) -> httpx.Response:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise WeChatApiError(None, type(exc).__name__) from None
        if response.status_code >= 400:
            raise WeChatApiError(None, f"HTTP {response.status_code}")
        return response


def is_transient(exc: WeChatApiError) -> bool:
    """A network failure or WeChat's "system busy" (-1): worth trying again later."""
    return exc.code is None or exc.code == -1


def _json_or_empty(data: bytes) -> dict:
    """WeChat's JSON answer as a dict ({} when it is not JSON), errcode as an int."""
    try:
        result = json.loads(data.decode("utf-8", "replace"))
    except ValueError:
        return {}
    if not isinstance(result, dict):
        return {}
    try:
        result["errcode"] = int(result.get("errcode", 0))
    except (TypeError, ValueError):
        result["errcode"] = -1
    return result


def _checked(result: dict) -> dict:
    if not result:
        raise WeChatApiError(None, "回答不是 JSON")
    if result["errcode"] != 0:
        raise WeChatApiError(result["errcode"], str(result.get("errmsg", "")))
    return result


def seconds_until_tomorrow(now: datetime) -> float:
    """How long a daily quota (45009) lasts: until midnight Beijing time."""
    beijing = timezone(timedelta(hours=8))
    local = now.astimezone(beijing)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - local).total_seconds()
