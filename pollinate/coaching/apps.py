from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoachingConfig(AppConfig):
    name = "pollinate.coaching"
    label = "coaching"
    verbose_name = _("Coaching")

    def ready(self) -> None:
        from pollinate.activity.verbs import verb_register

        for verb, phrase in {
            "coaching.offer_created": _("volunteered as a peer coach"),
            "coaching.offer_updated": _("updated their coaching offer"),
            "coaching.offer_active": _("resumed coaching"),
            "coaching.offer_paused": _("paused coaching"),
            "coaching.offer_stepped_down": _("stepped down as a coach"),
            "coaching.requested": _("asked for a coach"),
            "coaching.proposed": _("asked a coach for help"),
            "coaching.accepted": _("accepted to coach a colleague"),
            "coaching.declined": _("declined a coaching proposal"),
            "coaching.scheduled": _("scheduled a coaching session"),
            "coaching.noted": _("wrote session notes"),
            "coaching.rescheduled": _("moved a coaching session"),
            "coaching.cancelled": _("cancelled a coaching session"),
            "coaching.feedback": _("gave feedback on a coaching session"),
            "coaching.helped": _("confirmed a coach helped them"),
            "coaching.closed": _("closed a coaching request"),
            "coaching.certified": _("certified a coach"),
        }.items():
            verb_register(verb, phrase)
