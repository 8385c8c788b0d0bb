from __future__ import annotations

from django.urls import path

from pollinate.coaching import views

app_name = "coaching"
urlpatterns = [
    path("", views.home, name="home"),
    path("offer/", views.offer_edit, name="offer"),
    path("offer/status/", views.offer_status, name="offer_status"),
    path("requests/new/", views.request_create, name="request_create"),
    path("requests/<int:request_id>/", views.request_detail, name="request"),
    path("requests/<int:request_id>/propose/", views.request_propose, name="request_propose"),
    path("requests/<int:request_id>/close/", views.request_close, name="request_close"),
    path("matches/<int:match_id>/accept/", views.match_accept, name="match_accept"),
    path("matches/<int:match_id>/decline/", views.match_decline, name="match_decline"),
    path("matches/<int:match_id>/confirm/", views.match_confirm, name="match_confirm"),
    path("matches/<int:match_id>/sessions/", views.session_create, name="session_create"),
    path("sessions/<int:session_id>/", views.session_detail, name="session"),
    path("sessions/<int:session_id>/invite.ics", views.session_ics_download, name="session_ics"),
    path("sessions/<int:session_id>/notes/", views.session_notes, name="session_notes"),
    path("sessions/<int:session_id>/move/", views.session_reschedule, name="session_move"),
    path("sessions/<int:session_id>/cancel/", views.session_cancel, name="session_cancel"),
    path("sessions/<int:session_id>/feedback/", views.session_feedback, name="session_feedback"),
    path("coaches/<int:person_id>/", views.coach_detail, name="coach"),
    path("coaches/<int:person_id>/certify/<int:topic_id>/", views.certify, name="certify"),
    path("sites/<slug:code>/", views.site_dashboard, name="site"),
    path("sites/<slug:code>/assign/", views.site_assign, name="site_assign"),
]
