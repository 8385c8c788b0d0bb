from __future__ import annotations

from django.urls import path

from pollinate.questions import views

app_name = "questions"
urlpatterns = [
    path("", views.question_list, name="list"),
    path("ask/", views.question_ask, name="ask"),
    path("<int:question_id>/", views.question_detail, name="detail"),
    path("<int:question_id>/answer/", views.answer_create, name="answer"),
    path("<int:question_id>/close/", views.question_close, name="close"),
    path("<int:question_id>/close/practices/", views.practice_picker, name="practice_picker"),
    path("<int:question_id>/edit/", views.question_edit, name="edit"),
    path("<int:question_id>/delete/", views.question_delete, name="delete"),
    path("answers/<int:answer_id>/edit/", views.answer_edit, name="answer_edit"),
    path("answers/<int:answer_id>/delete/", views.answer_delete, name="answer_delete"),
    path("answers/<int:answer_id>/comment/", views.comment_create, name="comment"),
    path("answers/<int:answer_id>/helpful/", views.answer_helpful, name="helpful"),
    path("answers/<int:answer_id>/accept/", views.answer_accept, name="accept"),
]
