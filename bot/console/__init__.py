"""The web console for unit administrators and the campaign office: server-rendered pages on the bot's HTTP server.

Layout: auth (login links, sessions), serving (the page wrapper: session, CSRF, worker thread, error pages),
audit (操作记录), pagination (keyset), charts (SVG geometry), nav, routes,
pages/ (one module per section; what they read is in bot/store/console_views.py), templates/ and static/ (served from the package, no CDN)."""

from bot.console.auth import LinkRefused, LoginLink, issue_login_link

__all__ = ["LinkRefused", "LoginLink", "issue_login_link"]
