"""The verbs of the activity spine, each with a translatable phrase for people to read.

Apps register their verbs in ``AppConfig.ready``; an unknown verb still renders (as its code).
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

_PHRASES: dict[str, str | Promise] = {
    "person.joined": _("joined Pollinate"),
    "person.profile_updated": _("updated their profile"),
    "person.invited": _("invited someone to Pollinate"),
    "person.role_granted": _("was given a role"),
    "person.skill_set": _("added a skill"),
    "topic.merged": _("merged two topics"),
}


def verb_register(verb: str, phrase: str | Promise) -> None:
    _PHRASES[verb] = phrase


def verb_phrase(verb: str) -> str:
    return str(_PHRASES.get(verb, verb))


def verbs_known() -> list[str]:
    return sorted(_PHRASES)
