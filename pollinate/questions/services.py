"""Writes about questions: ask, edit, delete, answer, comment, helpful, accept, close, escalate.

Every write that carries text names the people it @mentions in ``payload["mentions"]`` (parsed by
``people.selectors.mentions_find``), so the notifications app tells them; edits only name people
who were not mentioned before, so fixing a typo does not notify everyone again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from pollinate.activity.services import activity_record
from pollinate.core.images import image_reencode
from pollinate.core.ratelimit import ratelimit_check
from pollinate.people.models import Person, RoleName, Skill, Topic
from pollinate.people.selectors import mentions_find
from pollinate.questions.access import can_accept, can_moderate
from pollinate.questions.models import (
    Answer,
    AnswerHelpful,
    CloseReason,
    Comment,
    Question,
    QuestionOffer,
    QuestionStatus,
    QuestionTopic,
    RoutingReason,
)
from pollinate.questions.routing import route_question
from pollinate.questions.search import question_reindex, question_unindex

POST_LIMIT = 20  # posts (questions, answers, comments) per person per window
POST_WINDOW = 600


def _payload(question: Question, **extra: object) -> dict[str, object]:
    return {
        "question_id": question.pk,
        "question_author_id": question.author_id,
        "title": question.title,
        "url": question.get_absolute_url(),
        **extra,
    }


def question_ask(
    *,
    actor: Person,
    title: str,
    body: str = "",
    language: str = "en",
    topics: list[Topic] | None = None,
    equipment: list[str] | None = None,
    photo: UploadedFile | None = None,
) -> Question:
    """Posts a question and offers it to the few people most likely to answer."""
    ratelimit_check("questions.post", f"p{actor.pk}", limit=POST_LIMIT, window=POST_WINDOW)
    new_photo = image_reencode(photo) if photo is not None else None
    with transaction.atomic():
        question = Question(
            author=actor,
            site=actor.site,
            title=title.strip(),
            body=body.strip(),
            language=language,
            equipment=[tag.strip()[:40] for tag in (equipment or []) if tag.strip()][:10],
        )
        question.full_clean(exclude=["photo"])
        if new_photo is not None:
            question.photo.save(new_photo.name or "photo.jpg", new_photo, save=False)
        question.save()
        QuestionTopic.objects.bulk_create(
            [
                QuestionTopic(question=question, topic=topic, created_at=question.created_at)
                for topic in (topics or [])
            ]
        )
        question_reindex(question)
        candidates = route_question(question=question)
        QuestionOffer.objects.bulk_create(
            [
                QuestionOffer(
                    question=question,
                    person_id=candidate.person_id,
                    kind=RoutingReason.ROUTED,
                    score=candidate.score,
                    explanation=",".join(candidate.reasons),
                )
                for candidate in candidates
            ]
        )
        activity_record(
            actor=actor,
            verb="question.asked",
            target=question,
            site=question.site,
            payload=_payload(
                question,
                offered_to=[c.person_id for c in candidates],
                mentions=mentions_find(f"{question.title}\n{question.body}", exclude=actor),
            ),
        )
    return question


def _new_mentions(actor: Person, before: str, after: str) -> list[int]:
    earlier = set(mentions_find(before, exclude=actor))
    return [pk for pk in mentions_find(after, exclude=actor) if pk not in earlier]


def question_update(
    *,
    actor: Person,
    question: Question,
    title: str,
    body: str = "",
    language: str = "en",
    topics: list[Topic] | None = None,
    equipment: list[str] | None = None,
) -> Question:
    """Edits a question's text, topics and equipment (the caller checked ``for_write`` access).

    It is not routed again: the people it was offered to already know about it.
    """
    before = f"{question.title}\n{question.body}"
    with transaction.atomic():
        question.title = title.strip()
        question.body = body.strip()
        question.language = language
        question.equipment = [tag.strip()[:40] for tag in (equipment or []) if tag.strip()][:10]
        question.last_activity_at = timezone.now()
        question.full_clean(exclude=["photo"])
        question.save(update_fields=["title", "body", "language", "equipment", "last_activity_at"])
        if topics is not None:
            wanted = {topic.pk for topic in topics}
            QuestionTopic.objects.filter(question=question).exclude(topic_id__in=wanted).delete()
            present = set(question.topic_links.values_list("topic_id", flat=True))
            QuestionTopic.objects.bulk_create(
                [
                    QuestionTopic(
                        question=question,
                        topic_id=pk,
                        is_open=question.is_open,
                        created_at=question.created_at,
                    )
                    for pk in sorted(wanted - present)
                ]
            )
        question_reindex(question)
        activity_record(
            actor=actor,
            verb="question.edited",
            target=question,
            site=question.site,
            payload=_payload(
                question,
                mentions=_new_mentions(actor, before, f"{question.title}\n{question.body}"),
            ),
        )
    return question


def question_delete(*, actor: Person, question: Question) -> None:
    """Deletes a question. Once others answered it only a moderator may: their help stays."""
    others_answered = question.answers.exclude(author_id=question.author_id).exists()
    if others_answered and not can_moderate(actor, question):
        raise ValidationError(
            _("Others have answered this question, so it stays; you can close it instead.")
        )
    with transaction.atomic():
        # Recorded before the delete (the row must exist); not public, so nobody is notified
        # and no feed links to a page that is gone.
        activity_record(
            actor=actor,
            verb="question.deleted",
            target=question,
            site=question.site,
            payload={"question_id": question.pk},
            is_public=False,
        )
        question_unindex(question.pk)
        Question.objects.filter(duplicate_of=question).update(duplicate_of=None)
        question.delete()


def answer_post(*, actor: Person, question: Question, body: str) -> Answer:
    if question.status == QuestionStatus.CLOSED:
        raise ValidationError(_("This question is closed; it takes no more answers."))
    ratelimit_check("questions.post", f"p{actor.pk}", limit=POST_LIMIT, window=POST_WINDOW)
    with transaction.atomic():
        answer = Answer(
            question=question,
            author=actor,
            body=body.strip(),
            is_cross_site=actor.site_id != question.site_id,
        )
        answer.full_clean()
        answer.save()
        Question.objects.filter(pk=question.pk).update(
            answer_count=F("answer_count") + 1, last_activity_at=timezone.now()
        )
        activity_record(
            actor=actor,
            verb="question.answered",
            target=answer,
            payload=_payload(
                question,
                answer_id=answer.pk,
                url=answer.get_absolute_url(),
                mentions=mentions_find(answer.body, exclude=actor),
            ),
        )
    return answer


def answer_update(*, actor: Person, answer: Answer, body: str) -> Answer:
    """Edits an answer's text (the caller checked ``for_write`` access)."""
    before = answer.body
    with transaction.atomic():
        answer.body = body.strip()
        answer.full_clean()
        answer.save(update_fields=["body"])
        question = answer.question
        activity_record(
            actor=actor,
            verb="answer.edited",
            target=answer,
            payload=_payload(
                question,
                answer_id=answer.pk,
                url=answer.get_absolute_url(),
                mentions=_new_mentions(actor, before, answer.body),
            ),
        )
    return answer


def answer_delete(*, actor: Person, answer: Answer) -> None:
    """Deletes an answer; an accepted one re-opens its question (unless it was closed)."""
    question = answer.question
    with transaction.atomic():
        activity_record(
            actor=actor,
            verb="answer.deleted",
            target=answer,
            site=question.site,
            payload={"question_id": question.pk, "answer_id": answer.pk},
            is_public=False,
        )
        was_accepted = answer.is_accepted
        answer.delete()
        Question.objects.filter(pk=question.pk).update(
            answer_count=Greatest(F("answer_count") - 1, 0), last_activity_at=timezone.now()
        )
        if was_accepted and question.status == QuestionStatus.ANSWERED:
            Question.objects.filter(pk=question.pk).update(
                status=QuestionStatus.OPEN, accepted_answer=None
            )
            QuestionTopic.objects.filter(question=question).update(is_open=True)


def comment_post(*, actor: Person, answer: Answer, body: str) -> Comment:
    ratelimit_check("questions.post", f"p{actor.pk}", limit=POST_LIMIT, window=POST_WINDOW)
    with transaction.atomic():
        comment = Comment(answer=answer, author=actor, body=body.strip())
        comment.full_clean()
        comment.save()
        question = answer.question
        activity_record(
            actor=actor,
            verb="answer.commented",
            target=comment,
            payload=_payload(
                question,
                answer_id=answer.pk,
                answer_author_id=answer.author_id,
                url=answer.get_absolute_url(),
                mentions=mentions_find(comment.body, exclude=actor),
            ),
        )
    return comment


def answer_mark_helpful(*, actor: Person, answer: Answer, helpful: bool = True) -> Answer:
    """Marks (or unmarks) an answer as helpful; marking twice changes nothing."""
    if answer.author_id == actor.pk:
        raise PermissionDenied(_("You cannot mark your own answer as helpful."))
    with transaction.atomic():
        if helpful:
            _mark, created = AnswerHelpful.objects.get_or_create(answer=answer, person=actor)
            if created:
                Answer.objects.filter(pk=answer.pk).update(helpful_count=F("helpful_count") + 1)
                activity_record(
                    actor=actor,
                    verb="answer.helpful",
                    target=answer,
                    payload=_payload(
                        answer.question,
                        answer_id=answer.pk,
                        answer_author_id=answer.author_id,
                        url=answer.get_absolute_url(),
                    ),
                )
        else:
            deleted, _rows = AnswerHelpful.objects.filter(answer=answer, person=actor).delete()
            if deleted:
                Answer.objects.filter(pk=answer.pk).update(
                    helpful_count=Greatest(F("helpful_count") - 1, 0)
                )
    answer.refresh_from_db(fields=["helpful_count"])
    return answer


def answer_accept(*, actor: Person, answer: Answer) -> Answer:
    """Accepts an answer (replacing an earlier accepted one). Only the asker or a moderator."""
    question = answer.question
    if not can_accept(actor, question):
        raise PermissionDenied(_("Only the person who asked, or a moderator, accepts an answer."))
    if question.status == QuestionStatus.CLOSED:
        raise ValidationError(_("This question is closed."))
    with transaction.atomic():
        Answer.objects.filter(question=question, is_accepted=True).update(is_accepted=False)
        Answer.objects.filter(pk=answer.pk).update(is_accepted=True)
        Question.objects.filter(pk=question.pk).update(
            accepted_answer=answer, status=QuestionStatus.ANSWERED, last_activity_at=timezone.now()
        )
        QuestionTopic.objects.filter(question=question).update(is_open=False)
        activity_record(
            actor=actor,
            verb="answer.accepted",
            target=answer,
            site=question.site,
            payload=_payload(
                question,
                answer_id=answer.pk,
                answer_author_id=answer.author_id,
                cross_site=answer.is_cross_site,
                url=answer.get_absolute_url(),
            ),
        )
    answer.refresh_from_db()
    return answer


def question_close(
    *,
    actor: Person,
    question: Question,
    reason: str,
    duplicate_of: Question | None = None,
    practice_id: int | None = None,
) -> Question:
    """Closes a question as a duplicate of another one or as answered by a practice."""
    if reason == CloseReason.DUPLICATE:
        if duplicate_of is None or duplicate_of.pk == question.pk:
            raise ValidationError(_("Choose the other question this one duplicates."))
        practice_id = None
    elif reason == CloseReason.PRACTICE:
        if practice_id is None:
            raise ValidationError(_("Choose the practice that answers this question."))
        from pollinate.practices.models import Practice

        # Only a practice the closer can see: readers follow the link to it.
        if not Practice.objects.visible_to(actor).filter(pk=practice_id).exists():
            raise ValidationError(
                {"practice_id": _("This practice does not exist or is not shared.")}
            )
        duplicate_of = None
    else:
        raise ValidationError(_("Choose why the question is closed."))
    with transaction.atomic():
        question.status = QuestionStatus.CLOSED
        question.close_reason = reason
        question.duplicate_of = duplicate_of
        question.practice_id = practice_id
        question.last_activity_at = timezone.now()
        question.save(
            update_fields=[
                "status",
                "close_reason",
                "duplicate_of",
                "practice_id",
                "last_activity_at",
            ]
        )
        QuestionTopic.objects.filter(question=question).update(is_open=False)
        activity_record(
            actor=actor,
            verb="question.closed",
            target=question,
            site=question.site,
            payload=_payload(
                question,
                reason=reason,
                duplicate_of=duplicate_of.pk if duplicate_of else None,
                practice_id=practice_id,
            ),
        )
    return question


def question_escalate(*, question: Question) -> list[int]:
    """Offers a still-unanswered question to its site's leads and to coaches of its topics."""
    topic_ids = list(question.topic_links.values_list("topic_id", flat=True))
    leads = Person.objects.filter(
        roles__role=RoleName.SITE_LEAD, roles__site=question.site, user__is_active=True
    ).values_list("pk", flat=True)
    coaches = Skill.objects.filter(
        topic_id__in=topic_ids, person__roles__role=RoleName.COACH, person__user__is_active=True
    ).values_list("person_id", flat=True)
    already = set(question.offers.values_list("person_id", flat=True))
    targets = sorted((set(leads) | set(coaches)) - already - {question.author_id})
    with transaction.atomic():
        # The conditional update makes escalation idempotent when two workers race.
        claimed = Question.objects.filter(
            pk=question.pk, escalated_at__isnull=True, answer_count=0
        ).update(escalated_at=timezone.now())
        if not claimed:
            return []
        QuestionOffer.objects.bulk_create(
            [
                QuestionOffer(question=question, person_id=pk, kind=RoutingReason.ESCALATED)
                for pk in targets
            ],
            ignore_conflicts=True,
        )
        activity_record(
            actor=None,
            verb="question.escalated",
            target=question,
            site=question.site,
            payload=_payload(question, escalated_to=targets),
        )
    return targets


def questions_escalate_due(*, now: datetime | None = None) -> int:
    """Escalates open questions unanswered for QUESTIONS_ESCALATE_AFTER_HOURS; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.QUESTIONS_ESCALATE_AFTER_HOURS)
    due = Question.objects.filter(
        status=QuestionStatus.OPEN,
        answer_count=0,
        escalated_at__isnull=True,
        created_at__lte=cutoff,
    ).select_related("site")[:500]
    count = 0
    for question in due:
        question_escalate(question=question)
        count += 1
    return count
