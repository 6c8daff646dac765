"""How fast the Telegram channel may send."""

from bot.messages import SendingLimits

# Telegram allows 30 a second overall and 1 a second per chat, counted where the messages arrive; 29 and 1.05 s
# leave room for jitter on the way.
SENDING_LIMITS = SendingLimits(29.0, 1.05)
