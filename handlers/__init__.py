"""The handler table: every route the router tries, in order; the first whose rule matches (in its state) answers.

The program gives this table to the app (BotApp.create(..., routes=ROUTES)); nothing imports it back."""

from bot.messages import Event
from bot.rules import (
    BOUND,
    IDLE,
    UNIT_ADMIN,
    Route,
    always,
    any_command,
    choice,
    command,
    event,
    has_contact,
    has_location,
    has_photo,
    has_refused_media,
    spoken_unheard,
    intent,
)
from handlers import (ask, binding, console_link, households, media, next_page, notices, review, start,
                      supervision_views, tasks, visits)
from handlers.binding import CONFIRMING_UNBIND
from handlers.notices import CONFIRMING_NOTICE
from handlers.paging import BROWSING, NEXT_PAGE, asks_next_page
from handlers.review import COMMENTING, SUPPLEMENTING
from handlers.tasks import AWAITING_EVIDENCE, CHOOSING_TASK
from handlers.visits import CHOOSING_HOUSEHOLD

# What a channel reports besides messages: following, blocking, menu buttons that answer by themselves.
EVENT_ROUTES: list[Route] = [
    Route("subscribe", event(Event.SUBSCRIBE), start.welcome),
    Route("unsubscribe", event(Event.UNSUBSCRIBE), binding.unsubscribed),
    Route("how to report a visit", visits.asks_how_to_report, visits.how_to_report),
]

ROUTES: list[Route] = EVENT_ROUTES + [
    Route("bind by contact", has_contact, binding.bind_by_contact),
    Route("start with code", binding.start_with_code, binding.bind_by_code),
    Route("start", start.starts, start.start),
    Route("help", command("help"), start.show_help),
    Route("voice not heard", spoken_unheard, media.ask_to_type),
    # administrators' supervision (before photos: a task's evidence is a photo or a file)
    Route("task evidence", tasks.sends_evidence, tasks.receive_evidence, requires=UNIT_ADMIN, state=AWAITING_EVIDENCE),
    Route("choose task", choice(tasks.TASK_PREFIX), tasks.choose_task, requires=UNIT_ADMIN, state=CHOOSING_TASK),
    Route("cancel task", choice(tasks.CANCEL_TASK), tasks.cancel, requires=UNIT_ADMIN),
    Route("report task", tasks.reports_task, tasks.report_task, requires=UNIT_ADMIN),
    Route("review comment", review.writes_comment, review.receive_comment, requires=UNIT_ADMIN, state=COMMENTING),
    Route("review button", choice(review.REVIEW_PREFIX), review.review_by_button, requires=UNIT_ADMIN),
    Route("review typed", review.typed_review, review.review_by_text, requires=UNIT_ADMIN),
    Route("review list", review.asks_review, review.list_visits, requires=UNIT_ADMIN),
    Route("next page", choice(NEXT_PAGE), next_page.next_page, requires=UNIT_ADMIN, state=BROWSING),
    Route("stale next page", asks_next_page, next_page.stale_page),
    Route("confirm notice", choice(notices.NOTICE_PREFIX), notices.confirm, requires=UNIT_ADMIN,
          state=CONFIRMING_NOTICE),
    Route("stale notice choice", choice(notices.NOTICE_PREFIX), notices.stale_choice),
    Route("notice status", notices.asks_status, notices.show_status, requires=UNIT_ADMIN),
    Route("send notice", notices.sends_notice, notices.write_notice, requires=UNIT_ADMIN),
    Route("notice read by button", choice(notices.READ_PREFIX), notices.read_by_button, requires=BOUND),
    Route("notice received", notices.says_received, notices.read_by_text, requires=BOUND),
    Route("tasks", tasks.asks_tasks, tasks.show_tasks, requires=UNIT_ADMIN),
    Route("answer supplement", choice(review.SUPPLEMENT_PREFIX), review.answer_supplement, requires=BOUND,
          state=SUPPLEMENTING),
    Route("stale supplement choice", choice(review.SUPPLEMENT_PREFIX), review.stale_supplement),
    Route("refused media", has_refused_media, media.refuse_media),
    Route("photo while choosing", has_photo, visits.receive_pending_photo, requires=BOUND, state=CHOOSING_HOUSEHOLD),
    Route("photo", has_photo, visits.receive_photo, requires=BOUND),
    Route("location while choosing", has_location, visits.receive_pending_location, requires=BOUND,
          state=CHOOSING_HOUSEHOLD),
    Route("location", has_location, visits.receive_location, requires=BOUND),
    Route("choose household", choice(visits.CHOICE_PREFIX), visits.choose_household, requires=BOUND,
          state=CHOOSING_HOUSEHOLD),
    Route("stale household choice", choice(visits.CHOICE_PREFIX), visits.stale_choice),
    Route("cancel visit", choice(visits.CANCEL_CHOICE), visits.cancel_pending),
    Route("typed household choice", visits.typed_choice, visits.answer_typed_choice, requires=BOUND,
          state=CHOOSING_HOUSEHOLD),
    Route("bind by code", binding.sends_code, binding.bind_by_code),
    Route("unbind", intent("unbind"), binding.unbind),
    Route("confirm unbind", choice(binding.UNBIND_PREFIX), binding.confirm_unbind, requires=BOUND,
          state=CONFIRMING_UNBIND),
    Route("stale unbind choice", choice(binding.UNBIND_PREFIX), binding.stale_choice),
    Route("households", command("households"), households.my_households, requires=BOUND),
    Route("my households", intent("my_households"), households.my_households, requires=BOUND),
    Route("pairings", command("pairing"), households.my_pairings, requires=BOUND),
    Route("my pairings", intent("my_pairings"), households.my_pairings, requires=BOUND),
    Route("visits", command("visits"), visits.my_visits, requires=BOUND),
    Route("my visits", intent("my_visits"), visits.my_visits, requires=BOUND),
    Route("help by words", intent("help"), start.show_help),
    Route("who has not visited", supervision_views.asks_overdue, supervision_views.who_has_not_visited,
          requires=UNIT_ADMIN),
    Route("progress", supervision_views.asks_progress, supervision_views.progress, requires=UNIT_ADMIN),
    Route("export", supervision_views.asks_export, supervision_views.export, requires=UNIT_ADMIN),
    Route("console link", console_link.asks_console, console_link.console_link, requires=UNIT_ADMIN),
    Route("phase", command("phase"), ask.current_phase),
    Route("deadlines", command("deadlines"), ask.upcoming_deadlines),
    Route("unknown command", any_command, start.unknown_command),
    Route("undo visit", visits.wants_undo, visits.undo_last_visit, requires=BOUND, state=IDLE),
    Route("nothing to cancel", visits.cancels, visits.nothing_to_cancel),
    Route("question", always, ask.answer_question),
]
