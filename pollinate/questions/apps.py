from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuestionsConfig(AppConfig):
    name = "pollinate.questions"
    label = "questions"
    verbose_name = _("Questions")

    def ready(self) -> None:
        from pollinate.activity.verbs import verb_register
        from pollinate.questions import search

        verb_register("question.asked", _("asked a question"))
        verb_register("question.answered", _("answered a question"))
        verb_register("answer.commented", _("commented on an answer"))
        verb_register("answer.helpful", _("found an answer helpful"))
        verb_register("answer.accepted", _("accepted an answer"))
        verb_register("question.closed", _("closed a question"))
        verb_register("question.escalated", _("escalated an unanswered question"))
        verb_register("question.edited", _("edited a question"))
        verb_register("question.deleted", _("deleted a question"))
        verb_register("answer.edited", _("edited an answer"))
        verb_register("answer.deleted", _("deleted an answer"))
        search.register()
