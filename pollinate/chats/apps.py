from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatsConfig(AppConfig):
    name = "pollinate.chats"
    label = "chats"
    verbose_name = _("Live chats")

    def ready(self) -> None:
        from pollinate.activity.verbs import verb_register

        verb_register("chat.scheduled", _("scheduled a live chat"))
        verb_register("chat.updated", _("updated a live chat"))
        verb_register("chat.rsvp_going", _("is going to a live chat"))
        verb_register("chat.prompt_released", _("released a prompt in a live chat"))
        verb_register("chat.message_hidden", _("hid a message in a live chat"))
        verb_register("chat.participant_muted", _("muted someone in a live chat"))
        verb_register("chat.participant_unmuted", _("unmuted someone in a live chat"))
        verb_register("chat.answer_promoted", _("promoted a live chat answer to a practice"))
        verb_register("chat.answer_collected", _("added a live chat answer to a collection"))
