from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pollinate.core.process_caches import process_cache
from pollinate.core.ratelimit import RateLimited, rate_limited_response
from pollinate.people.access import MemberRequest, member_required
from pollinate.questions import selectors, services
from pollinate.questions.access import access_answer, access_question, can_moderate
from pollinate.questions.forms import (
    AnswerForm,
    CloseForm,
    CommentForm,
    ListFilterForm,
    QuestionEditForm,
    QuestionForm,
)
from pollinate.questions.models import Question
from pollinate.questions.selectors import CappedPaginator
from pollinate.questions.templatetags.questions_tags import csrf_input, helpful_html

PAGE_SIZE = 20
SCOPES = ("all", "site", "could", "mine")


@require_GET
@member_required
def question_list(request: MemberRequest) -> HttpResponse:
    scope = request.GET.get("scope", "all")
    if scope not in SCOPES:
        scope = "all"
    form = ListFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {"q": "", "topic": None}
    questions: QuerySet[Question] | selectors.RankedQuestions
    if scope == "site":
        questions = selectors.question_list_unanswered_at_site(site=request.person.site)
    elif scope == "could":
        questions = selectors.question_list_could_answer(person=request.person)
    elif scope == "mine":
        questions = selectors.question_list_mine(person=request.person)
    else:
        questions = selectors.question_list(query=data["q"], topic=data["topic"])
    page = CappedPaginator(questions, PAGE_SIZE).get_page(request.GET.get("page"))
    keep = request.GET.copy()
    keep.pop("page", None)
    keep["scope"] = scope
    context = {"page": page, "scope": scope, "form": form, "query": keep.urlencode()}
    template = "questions/_partials/question_list.html" if request.htmx else "questions/list.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@member_required
def question_ask(request: MemberRequest) -> HttpResponse:
    initial = {"language": (request.person.languages or ["en"])[0]}
    form = QuestionForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            question = services.question_ask(actor=request.person, **form.cleaned_data)
        except RateLimited as limited:
            return rate_limited_response(request, limited.retry_after)
        except ValidationError as error:
            form.add_error("photo" if form.cleaned_data.get("photo") else None, error)
        else:
            messages.success(request, _("Your question is posted. We let people who may know."))
            return redirect(question)
    status = 400 if form.errors else 200
    return render(request, "questions/ask.html", {"form": form}, status=status)


# The head of a question page (title, author, text, photo, topics, equipment) is the same for every
# viewer of a language: rendered once per process and version, it costs a cache read instead of the
# topics query and the template. Keyed by last_activity_at, which every edit moves (and answers,
# acceptance, closing: harmless); the TTL bounds what no stamp sees (a topic renamed, the author's
# name or site changed). Per process, so a page view never writes to a shared cache.
HEAD_TTL = 600
head_cache = process_cache("pollinate-question-heads", timeout=HEAD_TTL, max_entries=1000)


def _question_head(question: Question) -> SafeString:
    key = f"questions:head:{get_language()}:{question.pk}:{question.last_activity_at.timestamp()}"
    head = head_cache.get(key)
    if head is None:
        html = render_to_string("questions/_partials/question_head.html", {"question": question})
        head = mark_safe(html)  # noqa: S308 -- a template's output
        head_cache.set(key, head, HEAD_TTL)
    return head


def _blank_answer_field() -> SafeString:
    """The empty answer box with its label and help: the same for everyone in a language."""
    key = f"questions:answer-field:{get_language()}"
    field = head_cache.get(key)
    if field is None:
        html = render_to_string("core/_partials/field.html", {"field": AnswerForm()["body"]})
        field = mark_safe(html)  # noqa: S308 -- a template's output
        head_cache.set(key, field, HEAD_TTL)
    return field


def _detail_context(request: MemberRequest, question_id: int) -> dict[str, object]:
    question = access_question(request.person, question_id)
    moderator = can_moderate(request.person, question)
    may_change = moderator or question.author_id == request.person.pk
    answers = selectors.answers_shown(question=question)
    others_answered = any(answer.author_id != question.author_id for answer in answers)
    extras = selectors.answer_extras(
        answer_ids=[answer.pk for answer in answers], person=request.person
    )
    return {
        "question": question,
        "head": _question_head(question),
        "answers": answers,
        "comments": extras.comments,
        "can_delete": moderator or (may_change and not others_answered),
        "helpful_ids": extras.marked_helpful,
        "can_accept": may_change,
        "can_close": may_change,
        "can_edit": may_change,
        "is_moderator": moderator,
        "closing_practice": selectors.practice_closing(actor=request.person, question=question),
        "answer_form": AnswerForm(),
        "answer_field": _blank_answer_field(),
        "comment_form": CommentForm(),
    }


@require_GET
@member_required
def question_detail(request: MemberRequest, question_id: int) -> HttpResponse:
    return render(request, "questions/detail.html", _detail_context(request, question_id))


@require_POST
@member_required
def answer_create(request: MemberRequest, question_id: int) -> HttpResponse:
    question = access_question(request.person, question_id)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            answer = services.answer_post(
                actor=request.person, question=question, body=form.cleaned_data["body"]
            )
        except RateLimited as limited:
            return rate_limited_response(request, limited.retry_after)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Thank you — your answer is posted."))
            return redirect(answer.get_absolute_url())
    context = _detail_context(request, question_id) | {"answer_form": form, "answer_field": None}
    return render(request, "questions/detail.html", context, status=400)


@require_POST
@member_required
def comment_create(request: MemberRequest, answer_id: int) -> HttpResponse:
    answer = access_answer(request.person, answer_id)
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A comment needs some text (up to 2000 characters)."))
        return redirect(answer.get_absolute_url())
    try:
        services.comment_post(actor=request.person, answer=answer, body=form.cleaned_data["body"])
    except RateLimited as limited:
        return rate_limited_response(request, limited.retry_after)
    return redirect(answer.get_absolute_url())


@require_POST
@member_required
def answer_helpful(request: MemberRequest, answer_id: int) -> HttpResponse:
    answer = access_answer(request.person, answer_id)
    helpful = request.POST.get("helpful", "1") == "1"
    answer = services.answer_mark_helpful(actor=request.person, answer=answer, helpful=helpful)
    if request.htmx:
        return HttpResponse(
            helpful_html(
                answer.pk,
                answer.helpful_count,
                can_mark=True,
                marked=helpful,
                csrf=csrf_input(request),
            )
        )
    return redirect(answer.get_absolute_url())


@require_POST
@member_required
def answer_accept(request: MemberRequest, answer_id: int) -> HttpResponse:
    answer = access_answer(request.person, answer_id)
    try:
        services.answer_accept(actor=request.person, answer=answer)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Answer accepted. Thank you for closing the loop."))
    return redirect(answer.get_absolute_url())


def _practice_picker_context(request: MemberRequest, question: Question) -> dict[str, object]:
    query = request.GET.get("practice_q", "").strip()[:100]
    chosen = request.POST.get("practice_id") or request.GET.get("practice_id") or ""
    return {
        "question": question,
        "practice_q": query,
        "practices": selectors.practice_choices(
            actor=request.person, question=question, query=query
        ),
        "chosen_practice": chosen,
    }


@require_http_methods(["GET", "POST"])
@member_required
def question_close(request: MemberRequest, question_id: int) -> HttpResponse:
    question = access_question(request.person, question_id, for_write=True)
    initial = {"reason": request.GET.get("reason", "")}
    form = CloseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            duplicate = (
                access_question(request.person, data["duplicate_of"])
                if data.get("duplicate_of")
                else None
            )
        except Http404:
            form.add_error("duplicate_of", _("There is no question with this number."))
        else:
            try:
                services.question_close(
                    actor=request.person,
                    question=question,
                    reason=data["reason"],
                    duplicate_of=duplicate,
                    practice_id=data.get("practice_id"),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The question is closed."))
                return redirect(question)
    status = 400 if form.errors else 200
    context = {"form": form} | _practice_picker_context(request, question)
    return render(request, "questions/close.html", context, status=status)


@require_GET
@member_required
def practice_picker(request: MemberRequest, question_id: int) -> HttpResponse:
    """The picker's search results (htmx swaps them in as the closer types)."""
    question = access_question(request.person, question_id, for_write=True)
    context = _practice_picker_context(request, question)
    return render(request, "questions/_partials/practice_picker.html", context)


@require_http_methods(["GET", "POST"])
@member_required
def question_edit(request: MemberRequest, question_id: int) -> HttpResponse:
    question = access_question(request.person, question_id, for_write=True)
    initial = {
        "title": question.title,
        "body": question.body,
        "language": question.language,
        "topics": list(question.topics.all()),
        "equipment": ", ".join(question.equipment or []),
    }
    form = QuestionEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.question_update(actor=request.person, question=question, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your question is updated."))
            return redirect(question)
    status = 400 if form.errors else 200
    context = {"form": form, "question": question}
    return render(request, "questions/edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@member_required
def question_delete(request: MemberRequest, question_id: int) -> HttpResponse:
    question = access_question(request.person, question_id, for_write=True)
    if request.method == "POST":
        try:
            services.question_delete(actor=request.person, question=question)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(question)
        messages.success(request, _("The question is deleted."))
        return redirect("questions:list")
    context = {"object_title": question.title, "cancel_url": question.get_absolute_url()}
    return render(request, "questions/delete.html", context)


@require_http_methods(["GET", "POST"])
@member_required
def answer_edit(request: MemberRequest, answer_id: int) -> HttpResponse:
    answer = access_answer(request.person, answer_id, for_write=True)
    form = AnswerForm(request.POST or None, initial={"body": answer.body})
    if request.method == "POST" and form.is_valid():
        services.answer_update(actor=request.person, answer=answer, body=form.cleaned_data["body"])
        messages.success(request, _("Your answer is updated."))
        return redirect(answer.get_absolute_url())
    status = 400 if form.errors else 200
    context = {"form": form, "answer": answer, "question": answer.question}
    return render(request, "questions/answer_edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@member_required
def answer_delete(request: MemberRequest, answer_id: int) -> HttpResponse:
    answer = access_answer(request.person, answer_id, for_write=True)
    if request.method == "POST":
        services.answer_delete(actor=request.person, answer=answer)
        messages.success(request, _("The answer is deleted."))
        return redirect(answer.question)
    context = {
        "object_title": answer.question.title,
        "is_answer": True,
        "cancel_url": answer.get_absolute_url(),
    }
    return render(request, "questions/delete.html", context)
