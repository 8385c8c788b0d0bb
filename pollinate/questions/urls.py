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
    path("answers/<int:answer_id>/comment/", views.comment_create, name="comment"),
    path("answers/<int:answer_id>/helpful/", views.answer_helpful, name="helpful"),
    path("answers/<int:answer_id>/accept/", views.answer_accept, name="accept"),
]
