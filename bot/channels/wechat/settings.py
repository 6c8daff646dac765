"""The [wechat] section of the config: what the WeChat channel needs to run."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class WeChatSettings:
    """[wechat]: the Official Account or WeCom app, its secrets and callback."""

    enabled: bool = False
    kind: str = "official"  # "official" (公众号/服务号) or "work" (企业微信)
    app_id: str = ""
    corp_id: str = ""
    agent_id: str = ""
    secret: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    encoding_aes_key: str = field(default="", repr=False)
    path: str = "/wechat"
    template_id: str = ""
    api_base_url: str = ""
