"""How fast the WeChat channel may send, by the kind of account."""

from bot.messages import SendingLimits

# WeCom allows 30 a minute per member. The Official Account's customer-service messages have daily quotas
# (45009/45047 come back as failures); 20 a second keeps bursts polite.
WECOM = SendingLimits(20.0, 2.0)
OFFICIAL_ACCOUNT = SendingLimits(20.0, 0.0)


def sending_limits(kind: str) -> SendingLimits:
    """The limits of a WeChat account of this kind ("work" for WeCom, else an Official Account)."""
    return WECOM if kind == "work" else OFFICIAL_ACCOUNT
