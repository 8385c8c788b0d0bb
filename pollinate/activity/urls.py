from __future__ import annotations

from django.urls import path

from pollinate.activity import views

app_name = "activity"
urlpatterns = [
    path("", views.home, name="home"),
]
