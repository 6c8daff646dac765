"""A fake WeChat on 127.0.0.1: the API server (tokens, messages, media, menu) and the callback requests WeChat makes.

The API side answers like api.weixin.qq.com / qyapi.weixin.qq.com, including error codes on demand. The callback
side builds each request as WeChat does: XML body, signature over (token, timestamp, nonce), and in safe or
compatible mode the AES envelope with msg_signature over (token, timestamp, nonce, Encrypt).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as WorkCrypto

APP_ID, APP_SECRET = "wx0123456789abcdef", "official-secret-0123456789"
CORP_ID, CORP_SECRET, AGENT_ID = "ww0123456789abcdef", "work-secret-0123456789", "1000002"
CALLBACK_TOKEN = "callback-token-xyz"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")  # 43 characters, as WeChat shows it
ACCOUNT = "gh_0123456789ab"  # the Official Account's original id (ToUserName)
TOKEN_PATHS = ("/cgi-bin/token", "/cgi-bin/gettoken")


@dataclass
class Call:
    """One request the fake API received."""

    method: str
    path: str
    params: dict
    body: dict | None


@dataclass
class FakeWeChatApi:
    """The WeChat API on a free port of 127.0.0.1; `fail()` queues errors, `media` holds downloadable files."""

    calls: list[Call] = field(default_factory=list)
    media: dict[str, bytes] = field(default_factory=dict)
    media_delay: float = 0.0
    send_delay: float = 0.0  # seconds a message send takes to be answered (recorded in calls on arrival)
    valid_tokens: set[str] = field(default_factory=set)
    _failures: dict[str, list] = field(default_factory=dict)
    _issued: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> str:
        """Serves in a thread; returns the base URL to put in [wechat] api_base_url."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake._handle(self, None)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                if self.headers.get("Content-Type", "").startswith("multipart/form-data"):
                    fake._handle(self, {"multipart": raw})  # an upload: the raw form, for tests to read
                else:
                    fake._handle(self, json.loads(raw.decode("utf-8")))

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        """Stops serving."""
        self._server.shutdown()
        self._server.server_close()

    def fail(self, path: str, *errors) -> None:
        """The next calls to cgi-bin/<path> fail, one per error: an errcode (int) or "http" (a 500 answer)."""
        with self._lock:
            self._failures.setdefault("/cgi-bin/" + path, []).extend(errors)

    def expire_tokens(self) -> None:
        """Every token issued so far stops working (WeChat then answers 40001)."""
        with self._lock:
            self.valid_tokens.clear()

    def sent(self, path: str) -> list[dict]:
        """The JSON bodies posted to cgi-bin/<path>, in order."""
        return [c.body for c in self.calls if c.path == "/cgi-bin/" + path]

    def token_fetches(self) -> int:
        """How many access tokens were handed out."""
        return sum(1 for c in self.calls if c.path in TOKEN_PATHS)

    # ---- serving ----

    def _handle(self, request: BaseHTTPRequestHandler, body: dict | None) -> None:
        url = urlsplit(request.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        with self._lock:
            self.calls.append(Call(request.command, url.path, params, body))
            failure = self._failures.get(url.path, []).pop(0) if self._failures.get(url.path) else None
        if failure == "http":
            return _reply(request, 500, b"server error", "text/plain")
        if failure is not None:
            return _json(request, {"errcode": failure, "errmsg": f"fake error {failure}"})
        if url.path in TOKEN_PATHS:
            return self._token(request, params)
        if params.get("access_token") not in self.valid_tokens:
            return _json(request, {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"})
        if url.path == "/cgi-bin/media/get":
            return self._media(request, params.get("media_id", ""))
        if url.path == "/cgi-bin/media/upload" and body and "multipart" in body:
            return _json(request, {"errcode": 0, "type": params.get("type"), "media_id": f"MEDIA-{len(self.calls)}"})
        if url.path in ("/cgi-bin/message/custom/send", "/cgi-bin/message/template/send", "/cgi-bin/message/send",
                        "/cgi-bin/menu/create"):
            if self.send_delay and url.path != "/cgi-bin/menu/create":
                time.sleep(self.send_delay)
            return _json(request, {"errcode": 0, "errmsg": "ok", "msgid": 1000 + len(self.calls)})
        return _json(request, {"errcode": 48001, "errmsg": "api unauthorized"})

    def _token(self, request, params: dict) -> None:
        good = (params.get("appid") == APP_ID and params.get("secret") == APP_SECRET
                and params.get("grant_type") == "client_credential") \
            or (params.get("corpid") == CORP_ID and params.get("corpsecret") == CORP_SECRET)
        if not good:
            return _json(request, {"errcode": 40125, "errmsg": "invalid appsecret"})
        with self._lock:
            self._issued += 1
            token = f"ACCESS-TOKEN-{self._issued}-{secrets.token_hex(4)}"
            self.valid_tokens.add(token)
        _json(request, {"access_token": token, "expires_in": 7200})

    def _media(self, request, media_id: str) -> None:
        if self.media_delay:
            time.sleep(self.media_delay)
        if media_id not in self.media:
            return _json(request, {"errcode": 40007, "errmsg": "invalid media_id"})
        _reply(request, 200, self.media[media_id], "image/jpeg")


def _json(request, payload: dict) -> None:
    _reply(request, 200, json.dumps(payload).encode(), "application/json; charset=utf-8")


def _reply(request, status: int, data: bytes, content_type: str) -> None:
    request.send_response(status)
    request.send_header("Content-Type", content_type)
    request.send_header("Content-Length", str(len(data)))
    request.end_headers()
    request.wfile.write(data)


# ---- WeChat's side of the callback ----

def sha1_signature(*parts: str) -> str:
    """WeChat's signature: SHA-1 of the parts sorted and concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def message_xml(fields: dict) -> str:
    """A callback message as WeChat writes it (strings in CDATA, numbers bare)."""
    nodes = []
    for name, value in fields.items():
        cdata = str(value).replace("]]>", "]]]]><![CDATA[>")
        text = str(value) if isinstance(value, (int, float)) else f"<![CDATA[{cdata}]]>"
        nodes.append(f"<{name}>{text}</{name}>")
    return "<xml>" + "".join(nodes) + "</xml>"


@dataclass
class WeChatServer:
    """Builds callback requests as WeChat does, for kind "official" (mode plain/compatible/safe) or "work"."""

    kind: str = "official"
    mode: str = "plain"

    @property
    def receiver_id(self) -> str:
        """The id sealed into every encrypted message: the AppID, or WeCom's CorpID."""
        return CORP_ID if self.kind == "work" else APP_ID

    @property
    def encrypted(self) -> bool:
        """Whether requests carry the AES envelope (always for WeCom)."""
        return self.kind == "work" or self.mode in ("compatible", "safe")

    def message(self, msg_type: str, sender: str = "user-1", **fields) -> dict:
        """The fields of a message or event from sender, with WeChat's header fields."""
        head = {"ToUserName": CORP_ID if self.kind == "work" else ACCOUNT, "FromUserName": sender,
                "CreateTime": int(time.time()), "MsgType": msg_type}
        if self.kind == "work":
            fields.setdefault("AgentID", int(AGENT_ID))
        return {**head, **fields}

    def post(self, fields: dict | None = None, *, raw: str | bytes | None = None, envelope: str | bytes | None = None,
             timestamp: int | None = None, token: str = CALLBACK_TOKEN, key: str = AES_KEY,
             signed_encrypt: str = "") -> tuple[str, bytes]:
        """The query string and body of a POST, signed with token: a message's fields, or a raw message text
        (encrypted with key in safe mode like any message), or an exact envelope body sent as it is (its
        msg_signature then covers `signed_encrypt`)."""
        timestamp = str(int(time.time()) if timestamp is None else timestamp)
        nonce = secrets.token_hex(5)
        params = {"timestamp": timestamp, "nonce": nonce}
        if self.kind == "official":
            params.update(signature=sha1_signature(token, timestamp, nonce), openid="user-1")
        body = envelope if envelope is not None else (raw if raw is not None else message_xml(fields))
        if self.encrypted:
            encrypt = signed_encrypt
            if envelope is None:
                encrypt = PrpCrypto(base64.b64decode(key + "=")).encrypt(body, self.receiver_id).decode()
                body = self._envelope(body if fields and self.mode == "compatible" else "", encrypt)
            params.update(encrypt_type="aes", msg_signature=sha1_signature(token, timestamp, nonce, encrypt))
        return urlencode(params), body.encode("utf-8") if isinstance(body, str) else body

    def _envelope(self, plain_xml: str, encrypt: str) -> str:
        to_user = CORP_ID if self.kind == "work" else ACCOUNT
        if not plain_xml:
            return f"<xml><ToUserName><![CDATA[{to_user}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
        plain_part = plain_xml[len("<xml>"):-len("</xml>")]
        return f"<xml>{plain_part}<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"

    def verification(self, echo: str = "echo-1234567890", timestamp: int | None = None,
                     token: str = CALLBACK_TOKEN) -> tuple[str, str]:
        """The query of the GET that verifies the URL, and the text our server must answer."""
        timestamp = str(int(time.time()) if timestamp is None else timestamp)
        nonce = secrets.token_hex(5)
        if self.kind == "official":
            return urlencode({"signature": sha1_signature(token, timestamp, nonce), "timestamp": timestamp,
                              "nonce": nonce, "echostr": echo}), echo
        encrypted = PrpCrypto(base64.b64decode(AES_KEY + "=")).encrypt(echo, CORP_ID).decode()
        return urlencode({"msg_signature": sha1_signature(token, timestamp, nonce, encrypted), "timestamp": timestamp,
                          "nonce": nonce, "echostr": encrypted}), echo

    def read_reply(self, body: str) -> dict:
        """Our passive reply as WeChat reads it: decrypted (checking its signature) when encrypted; its fields."""
        import xmltodict

        if self.encrypted:
            envelope = xmltodict.parse(body)["xml"]
            crypto = (WorkCrypto if self.kind == "work" else WeChatCrypto)(CALLBACK_TOKEN, AES_KEY, self.receiver_id)
            body = crypto.decrypt_message(body, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"])
        return xmltodict.parse(body)["xml"]


def configure(app, kind: str, api_base_url: str, **overrides):
    """Points the app's [wechat] settings at the fake API with the fake's credentials, for kind."""
    import dataclasses

    from bot.config import WeChatSettings

    values = dict(enabled=True, kind=kind, secret=APP_SECRET, token=CALLBACK_TOKEN, encoding_aes_key=AES_KEY,
                  api_base_url=api_base_url)
    if kind == "work":
        values.update(corp_id=CORP_ID, agent_id=AGENT_ID, secret=CORP_SECRET)
    else:
        values.update(app_id=APP_ID)
    app.settings = dataclasses.replace(app.settings, wechat=WeChatSettings(**{**values, **overrides}))
    return app
