"""Websocket routes of the realtime process (mounted by ``pollinate.asgi``)."""

from __future__ import annotations

from django.urls import path

from pollinate.chats.consumers import ChatConsumer

websocket_urlpatterns = [
    path("ws/chats/<int:chat_id>/", ChatConsumer.as_asgi()),
]
