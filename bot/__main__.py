"""python -m bot: the same as the campaign-bot command."""

from bot.cli import main

main()
