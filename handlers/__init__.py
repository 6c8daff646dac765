"""The handler table: every rule the router tries, in order. The first that matches answers the message."""

from bot.router import (
    Route,
    always,
    any_command,
    choice,
    command,
    has_contact,
    has_location,
    has_photo,
    has_rejected_media,
    intent,
)
from handlers import admin, ask, binding, households, start, visits

ROUTES: list[Route] = [
    Route("bind by contact", has_contact, binding.bind_by_contact),
    Route("start with code", binding.start_with_code, binding.bind_by_code),
    Route("start", command("start"), start.start),
    Route("help", command("help"), start.show_help),
    Route("rejected media", has_rejected_media, visits.refuse_media),
    Route("photo", has_photo, visits.receive_photo),
    Route("location", has_location, visits.receive_location),
    Route("choose household", choice(visits.CHOICE_PREFIX), visits.choose_household),
    Route("cancel visit", choice(visits.CANCEL_CHOICE), visits.cancel_pending),
    Route("typed household choice", visits.typed_while_choosing, visits.answer_typed_choice),
    Route("bind by code", binding.sends_code, binding.bind_by_code),
    Route("unbind", intent("unbind"), binding.unbind),
    Route("households", command("households"), households.my_households),
    Route("my households", intent("my_households"), households.my_households),
    Route("pairings", command("pairing"), households.my_pairings),
    Route("my pairings", intent("my_pairings"), households.my_pairings),
    Route("visits", command("visits"), visits.my_visits),
    Route("my visits", intent("my_visits"), visits.my_visits),
    Route("help by words", intent("help"), start.show_help),
    Route("progress", admin.asks_progress, admin.progress),
    Route("phase", command("phase"), ask.current_phase),
    Route("deadlines", command("deadlines"), ask.upcoming_deadlines),
    Route("unknown command", any_command, start.unknown_command),
    Route("undo visit", visits.wants_undo, visits.undo_last_visit),
    Route("nothing to cancel", visits.cancels, visits.nothing_to_cancel),
    Route("question", always, ask.answer_question),
]
