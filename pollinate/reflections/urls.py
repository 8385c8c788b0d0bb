from __future__ import annotations

from django.urls import path

from pollinate.reflections import views

app_name = "reflections"
urlpatterns = [
    path("", views.reflection_index, name="list"),
    path("new/", views.reflection_create, name="create"),
    path("<int:reflection_id>/", views.reflection_detail, name="detail"),
    path("<int:reflection_id>/edit/", views.reflection_edit, name="edit"),
    path("<int:reflection_id>/delete/", views.reflection_delete, name="delete"),
    path("<int:reflection_id>/practice/", views.reflection_to_practice, name="to_practice"),
]
