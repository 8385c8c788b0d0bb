from __future__ import annotations

from django.urls import path

from pollinate.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.org, name="org"),
    path("org/<slug:key>.csv", views.org_csv, name="org_csv"),
    path("sites/<slug:code>/", views.site, name="site"),
    path("sites/<slug:code>/<slug:key>.csv", views.site_csv, name="site_csv"),
    path("topics/", views.topics, name="topics"),
    path("topics/<int:topic_id>/", views.topic, name="topic"),
    path("topics/<int:topic_id>/<slug:key>.csv", views.topic_csv, name="topic_csv"),
    path("me/", views.me, name="me"),
    path("recognition/", views.recognition, name="recognition"),
    path("practices/<int:practice_id>/", views.practice, name="practice"),
]
