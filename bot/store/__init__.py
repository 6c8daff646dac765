"""The data-access layer: every SQL statement of the core, one module per concept (cadres, bindings, households,
visits, units, conversation state, binding codes, deliveries, report rows, seen messages, tokens; supervision: scopes,
supervision, evidence; the web console: console (its links, sessions, audit, uploads), console_views, reviews,
task_board, notice_board).

Functions are plain and synchronous, take the database first and return frozen dataclasses, so a caller may run them
off the event loop (asyncio.to_thread) without change. Handlers, channel adapters and the CLI call these; they hold
no SQL of their own (tests/test_architecture.py checks)."""
