from __future__ import annotations

from django.urls import path

from pollinate.practices import views

app_name = "practices"
urlpatterns = [
    path("", views.practice_list, name="list"),
    path("new/", views.practice_create, name="create"),
    path("capture/", views.practice_capture, name="capture"),
    path("mine/", views.mine, name="mine"),
    path("feed/", views.feed_more, name="feed_more"),
    path("<int:practice_id>/", views.practice_detail, name="detail"),
    path("<int:practice_id>/edit/", views.practice_edit, name="edit"),
    path("<int:practice_id>/history/", views.practice_history, name="history"),
    path("<int:practice_id>/history/<int:number>/", views.revision_detail, name="revision"),
    path(
        "<int:practice_id>/history/<int:number>/restore/",
        views.revision_restore,
        name="revision_restore",
    ),
    path("<int:practice_id>/lifecycle/<slug:action>/", views.practice_lifecycle, name="lifecycle"),
    path("<int:practice_id>/photos/", views.photo_add, name="photo_add"),
    path(
        "<int:practice_id>/photos/<int:image_id>/remove/", views.photo_remove, name="photo_remove"
    ),
    path("<int:practice_id>/adopt/", views.adoption_record, name="adopt"),
    path("<int:practice_id>/adapt/", views.practice_adapt, name="adapt"),
    path("<int:practice_id>/comments/", views.comment_create, name="comment_create"),
    path("comments/<int:comment_id>/delete/", views.comment_delete, name="comment_delete"),
    path("<int:practice_id>/react/<slug:kind>/", views.reaction_toggle, name="react"),
    path("follow/<slug:kind>/<slug:object_id>/", views.follow_toggle, name="follow"),
    path("<int:practice_id>/qr.svg", views.practice_qr, name="qr"),
    path("<int:practice_id>/print/", views.practice_print, name="print"),
    path("topics/<int:topic_id>/qr.svg", views.topic_qr, name="topic_qr"),
    path("tags/<slug:slug>/", views.tag_detail, name="tag"),
    path("tags/<slug:slug>/qr.svg", views.tag_qr, name="tag_qr"),
    path("sites/<slug:code>/qr/", views.site_qr_sheet, name="site_qr_sheet"),
]
