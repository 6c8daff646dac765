"""How fast the Telegram channel may send."""

from bot.messages import SendingLimits

# Telegram allows 30 a second overall and 1 a second per chat, counted where the messages arrive; 29 and 1.05 s
# leave room for jitter on the way. Connections are sized to rate × latency: 30 messages a second through an API
# that takes 2 s to answer are 60 in flight; the dispatcher never claims more rows than that.
SENDS_IN_FLIGHT = 62
CONNECTIONS = SENDS_IN_FLIGHT + 16  # the rest for replies to cadres, file downloads and commands meanwhile
SENDING_LIMITS = SendingLimits(29.0, 1.05, max_in_flight=SENDS_IN_FLIGHT)
