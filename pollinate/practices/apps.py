from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PracticesConfig(AppConfig):
    name = "pollinate.practices"
    label = "practices"
    verbose_name = _("Practices")

    def ready(self) -> None:
        from pollinate.activity.verbs import verb_register
        from pollinate.people import services as people_services
        from pollinate.practices import search
        from pollinate.practices.services import topic_merge_move

        for verb, phrase in (
            ("practice.drafted", _("started a draft practice")),
            ("practice.shared", _("shared a practice")),
            ("practice.edited", _("improved a practice")),
            ("practice.restored", _("restored an earlier version of a practice")),
            ("practice.verified", _("practice verified by other sites")),
            ("practice.unverified", _("practice no longer verified")),
            ("practice.superseded", _("replaced a practice with a newer one")),
            ("practice.retired", _("retired a practice")),
            ("practice.reactivated", _("brought a practice back")),
            ("practice.review_set", _("set a review date for a practice")),
            ("practice.review_due", _("practice is due for review")),
            ("practice.photo_added", _("added a photo to a practice")),
            ("practice.photo_removed", _("removed a photo from a practice")),
            ("practice.trying", _("is trying a practice")),
            ("practice.adopted", _("adopted a practice")),
            ("practice.adapted", _("adapted a practice")),
            ("practice.dropped", _("dropped a practice")),
            ("practice.commented", _("commented on a practice")),
            ("practice.comment_removed", _("removed a comment")),
            ("practice.reacted", _("found a practice useful")),
        ):
            verb_register(verb, phrase)
        search.register()
        if topic_merge_move not in people_services.TOPIC_MERGE_MOVERS:
            people_services.TOPIC_MERGE_MOVERS.append(topic_merge_move)
