from __future__ import annotations

from django.urls import path

from pollinate.curation import feeds, views

app_name = "curation"
urlpatterns = [
    path("", views.collection_list, name="list"),
    path("new/", views.collection_create, name="create"),
    path("<int:collection_id>/", views.collection_detail, name="detail"),
    path("<int:collection_id>/edit/", views.collection_edit, name="edit"),
    path("<int:collection_id>/follow/", views.collection_follow, name="follow"),
    path("<int:collection_id>/episodes/", views.episode_create, name="episode_create"),
    path(
        "<int:collection_id>/episodes/<int:number>/publish/",
        views.episode_publish,
        name="episode_publish",
    ),
    path(
        "<int:collection_id>/episodes/<int:number>/items/",
        views.item_create,
        name="item_create",
    ),
    path(
        "<int:collection_id>/episodes/<int:number>/pick/",
        views.item_pick,
        name="item_pick",
    ),
    path("items/<int:item_id>/move/", views.item_move, name="item_move"),
    path("items/<int:item_id>/remove/", views.item_remove, name="item_remove"),
    path("<int:collection_id>/rss/", feeds.collection_rss, name="feed_rss"),
    path("<int:collection_id>/atom/", feeds.collection_atom, name="feed_atom"),
    path("topics/<int:topic_id>/rss/", feeds.topic_rss, name="topic_rss"),
    path("topics/<int:topic_id>/atom/", feeds.topic_atom, name="topic_atom"),
]
