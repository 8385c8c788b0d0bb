from __future__ import annotations

from django.urls import path

from pollinate.chats import views

app_name = "chats"
urlpatterns = [
    path("", views.chat_list_view, name="list"),
    path("new/", views.chat_create_view, name="create"),
    path("feed/<str:token>.ics", views.chat_feed_view, name="feed"),
    path("<int:chat_id>/", views.chat_detail_view, name="detail"),
    path("<int:chat_id>/edit/", views.chat_edit_view, name="edit"),
    path("<int:chat_id>/rsvp/", views.chat_rsvp_view, name="rsvp"),
    path("<int:chat_id>/invite/", views.chat_invite_view, name="invite"),
    path("<int:chat_id>/invite.ics", views.chat_ics_view, name="ics"),
    path("<int:chat_id>/room/", views.chat_room_view, name="room"),
    path("<int:chat_id>/events/", views.chat_events_view, name="events"),
    path("<int:chat_id>/send/", views.chat_send_view, name="send"),
    path("<int:chat_id>/transcript/", views.chat_transcript_view, name="transcript"),
    path("<int:chat_id>/transcript.<str:fmt>", views.chat_export_view, name="export"),
    path("<int:chat_id>/messages/<int:seq>/hide/", views.message_hide_view, name="hide"),
    path("<int:chat_id>/messages/<int:seq>/promote/", views.answer_promote_view, name="promote"),
    path("<int:chat_id>/messages/<int:seq>/collect/", views.answer_collect_view, name="collect"),
]
