"""What practices and people put in the shared full-text index (``pollinate.core.search``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pollinate.activity.models import Activity
from pollinate.core.search import search_index, search_register
from pollinate.people.models import Person

if TYPE_CHECKING:
    from pollinate.practices.models import Practice

PRACTICE = "practice"
PERSON = "person"


def _topic_words(names: list[tuple[str, dict[str, str]]]) -> str:
    words: list[str] = []
    for name, translations in names:
        words.append(name)
        words.extend(str(value) for value in (translations or {}).values())
    return " ".join(words)


def practice_document(practice: Practice) -> tuple[int, str, str]:
    topics = list(practice.topics.values_list("name", "name_translations"))
    tags = " ".join(practice.tags.values_list("name", flat=True))
    body = "\n".join(
        [
            practice.problem,
            practice.steps,
            practice.evidence,
            practice.adaptation_note,
            _topic_words(topics),
            tags,
        ]
    )
    return practice.pk, practice.title, body


def practice_reindex(practice: Practice) -> None:
    object_id, title, body = practice_document(practice)
    search_index(PRACTICE, object_id, title=title, body=body)


def _practice_documents() -> Iterator[tuple[int, str, str]]:
    from pollinate.practices.models import Practice

    for practice in Practice.objects.prefetch_related("topics", "tags").iterator(chunk_size=500):
        topics = [(topic.name, topic.name_translations) for topic in practice.topics.all()]
        tags = " ".join(tag.name for tag in practice.tags.all())
        body = "\n".join(
            [
                practice.problem,
                practice.steps,
                practice.evidence,
                practice.adaptation_note,
                _topic_words(topics),
                tags,
            ]
        )
        yield practice.pk, practice.title, body


def person_document(person: Person) -> tuple[int, str, str]:
    skills = [
        (skill.topic.name, skill.topic.name_translations)
        for skill in person.skills.select_related("topic")
    ]
    body = " ".join([person.job_title, person.team, person.site.name, _topic_words(skills)])
    return person.pk, person.display_name, body


def person_reindex(person: Person) -> None:
    object_id, title, body = person_document(person)
    search_index(PERSON, object_id, title=title, body=body)


def _person_documents() -> Iterator[tuple[int, str, str]]:
    people = Person.objects.select_related("site").prefetch_related("skills__topic")
    for person in people.iterator(chunk_size=500):
        skills = [(s.topic.name, s.topic.name_translations) for s in person.skills.all()]
        body = " ".join([person.job_title, person.team, person.site.name, _topic_words(skills)])
        yield person.pk, person.display_name, body


def _on_person_activity(activity: Activity) -> None:
    # People are written by the people app; the spine tells us when a profile changed.
    person = Person.objects.select_related("site").filter(pk=activity.object_id).first()
    if person is not None and activity.object_type == "people.person":
        person_reindex(person)


def register() -> None:
    from pollinate.activity.spine import spine_subscribe

    search_register(PRACTICE, documents=_practice_documents)
    search_register(PERSON, documents=_person_documents)
    spine_subscribe("person.", _on_person_activity)
