"""The Telegram channel package: the adapter (python-telegram-bot), its settings and its sending limits."""
