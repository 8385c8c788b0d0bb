"""iCalendar for live chats: one invite per chat and a subscribable feed of upcoming chats.

The feed URL carries a signed token naming the person (calendar apps send no cookies); the token
only grants reading that person's visible chat schedule, and a new secret key revokes it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core import signing
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from pollinate.chats.models import Chat
from pollinate.people.models import Person

FEED_SALT = "pollinate.chats.feed"


def feed_token(person: Person) -> str:
    return signing.dumps({"p": person.pk}, salt=FEED_SALT, compress=True)


def feed_person(token: str) -> Person | None:
    try:
        data = signing.loads(token, salt=FEED_SALT)
    except signing.BadSignature:
        return None
    person_id = data.get("p") if isinstance(data, dict) else None
    if not isinstance(person_id, int):
        return None
    return (
        Person.objects.select_related("site", "user")
        .filter(pk=person_id, user__is_active=True)
        .first()
    )


def _event(chat: Chat) -> Event:
    event = Event()
    event.add("uid", f"chat-{chat.pk}@{settings.SITE_URL.split('://')[-1]}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", chat.starts_at)
    event.add("dtend", chat.ends_at)
    event.add("summary", chat.title)
    url = settings.SITE_URL + chat.get_absolute_url()
    event.add("description", f"{chat.description}\n\n{url}".strip())
    event.add("url", url)
    event.add("location", vText(url))
    hosts = list(chat.hosts.all())
    if hosts:
        organizer = vCalAddress(f"mailto:{hosts[0].user.email}")
        organizer.params["cn"] = vText(hosts[0].display_name)
        event.add("organizer", organizer)
    return event


def chats_to_ical(chats: Iterable[Chat], *, name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Pollinate//Live chats//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    calendar.add("method", "PUBLISH")
    for chat in chats:
        calendar.add_component(_event(chat))
    return calendar.to_ical()
