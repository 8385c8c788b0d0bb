"""The authorization matrix's table: every page route and API operation, and who may use it.

``test_authorization_matrix.py`` walks the URL resolver and ``/api/openapi.json``; a route that is
not in ``ROUTES`` (or matched by a ``PATTERNS`` prefix) fails the test. To declare one, add a line:

    "practices:detail": P(OWNER | ADMIN),            # who gets a 200 on GET
    "practices:edit": P(OWNER | ADMIN, OWNER | ADMIN),  # ... and who may change state with POST

The objects behind URL parameters are built in ``conftest.py`` (``world``): all owned by ``charlie``
(the "owner", a member at Porto) in their most private form — a draft practice, a private
reflection, an invite-only chat, an unpublished collection, a coaching request whose coach is
nobody here. A parameter can point elsewhere with ``params={"practice_id": "shared_practice_id"}``.

The personas: ``anonymous``; ``owner`` (charlie); ``peer`` (another member at Porto);
``other_site`` (bob, Lyon); ``coach`` (dana, Porto); ``moderator`` (organisation-wide);
``site_lead`` (alice, lead of Lyon, not of Porto); ``administrator`` (staff, Lyon).

``get`` personas must get a 200 and nobody else may; ``post`` personas may see a POST succeed
(2xx, or a redirect other than to sign-in) and nobody else may. ``post=None`` means the route
does not take POST at all (405). The owner's own POST is never sent: it would change the world.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ANONYMOUS = frozenset({"anonymous"})
OWNER = frozenset({"owner"})
ADMIN = frozenset({"administrator"})
MODERATOR = frozenset({"moderator"})
MEMBERS = frozenset(
    {"owner", "peer", "other_site", "coach", "moderator", "site_lead", "administrator"}
)
EVERYONE = MEMBERS | ANONYMOUS
NOBODY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class P:
    """A route's policy: who may GET it (200) and who may change state through it."""

    get: frozenset[str]
    post: frozenset[str] | None = None
    params: dict[str, str] = field(default_factory=dict)
    note: str = ""


# Django's admin checks ``is_staff`` for every one of its views; the matrix probes them all.
PATTERNS: dict[str, P] = {
    "admin:": P(ADMIN, ADMIN, note="staff only (AdminSite.has_permission)"),
    "path:admin/": P(ADMIN, ADMIN, note="staff only (AdminSite.has_permission)"),
}

ROUTES: dict[str, P] = {
    # core
    "core:healthz": P(EVERYONE),
    "core:ping": P(EVERYONE),
    # home
    "home": P(MEMBERS),
    # practices
    "practices:list": P(MEMBERS),
    "practices:create": P(MEMBERS, MEMBERS),
    "practices:capture": P(MEMBERS, MEMBERS),
    "practices:mine": P(MEMBERS),
    "practices:feed_more": P(MEMBERS),
    "practices:detail": P(OWNER | ADMIN),
    "practices:edit": P(OWNER | ADMIN, OWNER | ADMIN),
    "practices:history": P(OWNER | ADMIN),
    "practices:revision": P(OWNER | ADMIN),
    "practices:revision_restore": P(NOBODY, OWNER | ADMIN),
    "practices:lifecycle": P(NOBODY, OWNER | ADMIN),
    "practices:photo_add": P(NOBODY, OWNER | ADMIN),
    "practices:photo_remove": P(NOBODY, OWNER | ADMIN),
    "practices:adopt": P(OWNER | ADMIN, OWNER | ADMIN),
    "practices:adapt": P(OWNER | ADMIN, OWNER | ADMIN),
    "practices:comment_create": P(NOBODY, OWNER | ADMIN),
    "practices:comment_delete": P(NOBODY, OWNER | ADMIN | MODERATOR),
    "practices:react": P(NOBODY, OWNER | ADMIN),
    "practices:follow": P(NOBODY, OWNER),
    "practices:qr": P(OWNER | ADMIN),
    "practices:print": P(OWNER | ADMIN),
    "practices:topic_qr": P(MEMBERS),
    "practices:tag": P(MEMBERS),
    "practices:tag_qr": P(MEMBERS),
    "practices:site_qr_sheet": P(MEMBERS),
    # coaching
    "coaching:home": P(MEMBERS),
    "coaching:offer": P(MEMBERS, MEMBERS),
    "coaching:offer_status": P(NOBODY, OWNER),
    "coaching:request_create": P(MEMBERS, MEMBERS),
    "coaching:request": P(OWNER | ADMIN),
    "coaching:request_propose": P(NOBODY, OWNER),
    "coaching:request_close": P(NOBODY, OWNER | ADMIN),
    "coaching:match_accept": P(NOBODY, OWNER),
    "coaching:match_decline": P(NOBODY, OWNER),
    "coaching:match_confirm": P(NOBODY, OWNER),
    "coaching:session_create": P(NOBODY, OWNER),
    "coaching:session": P(OWNER),
    "coaching:session_ics": P(OWNER),
    "coaching:session_notes": P(NOBODY, OWNER),
    "coaching:session_move": P(NOBODY, OWNER),
    "coaching:session_cancel": P(NOBODY, OWNER),
    "coaching:session_feedback": P(NOBODY, OWNER),
    "coaching:coach": P(MEMBERS),
    "coaching:certify": P(ADMIN, OWNER | ADMIN),
    "coaching:site": P(ADMIN),
    "coaching:site_assign": P(NOBODY, OWNER | ADMIN),
    # questions
    "questions:list": P(MEMBERS),
    "questions:ask": P(MEMBERS, MEMBERS),
    "questions:detail": P(MEMBERS),
    "questions:answer": P(NOBODY, OWNER),
    "questions:close": P(OWNER | ADMIN | MODERATOR, OWNER | ADMIN | MODERATOR),
    "questions:practice_picker": P(OWNER | ADMIN | MODERATOR),
    "questions:edit": P(OWNER | ADMIN | MODERATOR, OWNER | ADMIN | MODERATOR),
    "questions:delete": P(OWNER | ADMIN | MODERATOR, OWNER | ADMIN | MODERATOR),
    "questions:answer_edit": P(OWNER | ADMIN | MODERATOR, OWNER | ADMIN | MODERATOR),
    "questions:answer_delete": P(OWNER | ADMIN | MODERATOR, OWNER | ADMIN | MODERATOR),
    "questions:comment": P(NOBODY, MEMBERS),
    "questions:helpful": P(NOBODY, MEMBERS),
    "questions:accept": P(NOBODY, OWNER | ADMIN | MODERATOR),
    # reflections
    "reflections:list": P(MEMBERS),
    "reflections:create": P(MEMBERS, MEMBERS),
    "reflections:detail": P(OWNER),
    "reflections:edit": P(OWNER, OWNER),
    "reflections:delete": P(NOBODY, OWNER),
    "reflections:to_practice": P(NOBODY, OWNER),
    # notifications
    "notifications:inbox": P(MEMBERS),
    "notifications:open": P(NOBODY, OWNER),
    "notifications:read_all": P(NOBODY, MEMBERS),
    "notifications:preferences": P(MEMBERS, MEMBERS),
    # chats
    "chats:list": P(MEMBERS),
    "chats:create": P(MEMBERS, OWNER),
    "chats:feed": P(NOBODY),  # a personal token, not a session: unknown tokens are 404
    "chats:detail": P(OWNER | ADMIN),
    "chats:edit": P(OWNER | ADMIN, OWNER),
    "chats:rsvp": P(NOBODY, OWNER),
    "chats:invite": P(NOBODY, OWNER | ADMIN),
    "chats:ics": P(OWNER | ADMIN),
    "chats:room": P(OWNER | ADMIN),
    "chats:events": P(OWNER | ADMIN),
    "chats:send": P(NOBODY, OWNER | ADMIN),
    "chats:transcript": P(OWNER | ADMIN),
    "chats:export": P(OWNER | ADMIN),
    "chats:hide": P(NOBODY, OWNER | ADMIN),
    "chats:promote": P(NOBODY, OWNER | ADMIN),
    "chats:collect": P(NOBODY, OWNER | ADMIN),
    # curation
    "curation:list": P(MEMBERS),
    "curation:create": P(ADMIN, OWNER),
    "curation:detail": P(ADMIN),
    "curation:edit": P(ADMIN, OWNER),
    "curation:follow": P(NOBODY, OWNER | ADMIN),
    "curation:episode_create": P(NOBODY, OWNER),
    "curation:episode_publish": P(NOBODY, OWNER | ADMIN),
    "curation:item_create": P(NOBODY, OWNER),
    "curation:item_pick": P(ADMIN, None),
    "curation:item_move": P(NOBODY, OWNER | ADMIN),
    "curation:item_remove": P(NOBODY, OWNER | ADMIN),
    "curation:feed_rss": P(ADMIN),
    "curation:feed_atom": P(ADMIN),
    "curation:topic_rss": P(MEMBERS),
    "curation:topic_atom": P(MEMBERS),
    # digests
    "digests:home": P(MEMBERS),
    "digests:preferences": P(NOBODY, OWNER),
    "digests:unsubscribe": P(NOBODY, OWNER),  # a signed token, not a session: bad tokens are 400
    # analytics
    "analytics:org": P(MEMBERS),
    "analytics:org_csv": P(MEMBERS),
    "analytics:site": P(ADMIN),
    "analytics:site_csv": P(ADMIN),
    "analytics:topics": P(MEMBERS),
    "analytics:topic": P(MEMBERS),
    "analytics:topic_csv": P(MEMBERS),
    "analytics:me": P(MEMBERS),
    "analytics:recognition": P(ADMIN, ADMIN),
    "analytics:practice": P(OWNER | ADMIN),
    # audit
    "audit:list": P(ADMIN),
    "audit:export": P(ADMIN),
    # people
    "people:sign_in": P(ANONYMOUS, EVERYONE),  # a signed-in person is sent home
    "people:sign_out": P(NOBODY, OWNER),
    "people:password_reset": P(EVERYONE, EVERYONE),
    "people:password_reset_done": P(EVERYONE),
    "people:password_reset_confirm": P(EVERYONE, EVERYONE),  # the bogus token shows "link invalid"
    "people:password_reset_complete": P(EVERYONE),
    "people:directory": P(MEMBERS),
    "people:person": P(MEMBERS),
    "people:invitation_create": P(ADMIN, OWNER | ADMIN),
    "people:invitation_accept": P(NOBODY, OWNER),
    "people:profile_edit": P(MEMBERS, MEMBERS),
    "people:skill_save": P(NOBODY, MEMBERS),
    "people:skill_remove": P(NOBODY, MEMBERS),
    "people:my_activity": P(MEMBERS),
    "people:site": P(MEMBERS),
    "people:topic_short": P(NOBODY),  # 301 to the canonical slug
    "people:topic": P(NOBODY),  # 301 to the canonical slug
    # set_language
    "set_language": P(NOBODY, EVERYONE),
    # api
    "api:openapi-json": P(EVERYONE, EVERYONE),  # the schema is public, any method
    "api:openapi-view": P(EVERYONE, EVERYONE),  # the docs page is public, any method
    # path
    "path:^media/(?P<path>.*)$": P(NOBODY, OWNER),
    # people
    "API GET /api/people": P(MEMBERS),
    "API GET /api/people/{person_id}": P(MEMBERS),
    # me
    "API GET /api/me": P(MEMBERS),
    "API PATCH /api/me": P(NOBODY, MEMBERS),
    # sites
    "API GET /api/sites": P(MEMBERS),
    "API GET /api/sites/{code}": P(MEMBERS),
    # topics
    "API GET /api/topics": P(MEMBERS),
    # practices
    "API GET /api/practices/practices": P(MEMBERS),
    "API POST /api/practices/practices": P(NOBODY, MEMBERS),
    "API GET /api/practices/search": P(MEMBERS),
    "API GET /api/practices/practices/{practice_id}": P(OWNER | ADMIN),
    "API PATCH /api/practices/practices/{practice_id}": P(NOBODY, OWNER | ADMIN),
    "API GET /api/practices/practices/{practice_id}/revisions": P(OWNER | ADMIN),
    "API POST /api/practices/practices/{practice_id}/revisions/{number}/restore": P(
        NOBODY, OWNER | ADMIN
    ),
    "API GET /api/practices/practices/{practice_id}/adoptions": P(OWNER | ADMIN),
    "API PUT /api/practices/practices/{practice_id}/adoptions/mine": P(NOBODY, OWNER),
    "API POST /api/practices/practices/{practice_id}/adaptations": P(NOBODY, OWNER),
    "API GET /api/practices/practices/{practice_id}/comments": P(OWNER | ADMIN),
    "API POST /api/practices/practices/{practice_id}/comments": P(NOBODY, OWNER | ADMIN),
    "API DELETE /api/practices/comments/{comment_id}": P(NOBODY, OWNER | ADMIN | MODERATOR),
    "API PUT /api/practices/practices/{practice_id}/reactions/{kind}": P(NOBODY, OWNER | ADMIN),
    "API DELETE /api/practices/practices/{practice_id}/reactions/{kind}": P(NOBODY, OWNER | ADMIN),
    "API PUT /api/practices/follows/{kind}/{object_id}": P(NOBODY, OWNER),
    "API DELETE /api/practices/follows/{kind}/{object_id}": P(NOBODY, OWNER),
    "API GET /api/practices/feed": P(MEMBERS),
    # coaching
    "API GET /api/coaching/offer": P(NOBODY),
    "API PUT /api/coaching/offer": P(NOBODY, OWNER),
    "API POST /api/coaching/offer/status": P(NOBODY, OWNER),
    "API GET /api/coaching/requests": P(MEMBERS),
    "API POST /api/coaching/requests": P(NOBODY, MEMBERS),
    "API GET /api/coaching/requests/{request_id}": P(OWNER | ADMIN),
    "API GET /api/coaching/requests/{request_id}/suggestions": P(OWNER | ADMIN),
    "API POST /api/coaching/requests/{request_id}/propose": P(NOBODY, OWNER),
    "API POST /api/coaching/requests/{request_id}/close": P(NOBODY, OWNER | ADMIN),
    "API GET /api/coaching/matches": P(MEMBERS),
    "API POST /api/coaching/matches/{match_id}/accept": P(NOBODY, OWNER),
    "API POST /api/coaching/matches/{match_id}/decline": P(NOBODY, OWNER),
    "API POST /api/coaching/matches/{match_id}/sessions": P(NOBODY, OWNER),
    "API GET /api/coaching/sessions/{session_id}": P(OWNER),
    "API POST /api/coaching/sessions/{session_id}/move": P(NOBODY, OWNER),
    "API POST /api/coaching/sessions/{session_id}/cancel": P(NOBODY, OWNER),
    "API POST /api/coaching/sessions/{session_id}/feedback": P(NOBODY, OWNER),
    "API GET /api/coaching/coaches/{person_id}": P(MEMBERS),
    "API GET /api/coaching/sites/{code}/gaps": P(ADMIN),
    # questions
    "API GET /api/questions/": P(MEMBERS),
    "API POST /api/questions/": P(NOBODY, MEMBERS),
    "API GET /api/questions/{question_id}": P(MEMBERS),
    "API PUT /api/questions/{question_id}": P(NOBODY, OWNER | ADMIN | MODERATOR),
    "API DELETE /api/questions/{question_id}": P(NOBODY, OWNER | ADMIN | MODERATOR),
    "API POST /api/questions/{question_id}/answers": P(NOBODY, MEMBERS),
    "API POST /api/questions/answers/{answer_id}/accept": P(NOBODY, OWNER | ADMIN | MODERATOR),
    "API POST /api/questions/answers/{answer_id}/helpful": P(NOBODY, MEMBERS),
    "API POST /api/questions/answers/{answer_id}/comments": P(NOBODY, MEMBERS),
    "API POST /api/questions/{question_id}/close": P(NOBODY, OWNER),
    "API PUT /api/questions/answers/{answer_id}": P(NOBODY, OWNER | ADMIN | MODERATOR),
    # reflections
    "API GET /api/reflections/": P(MEMBERS),
    "API POST /api/reflections/": P(NOBODY, OWNER),
    "API GET /api/reflections/{reflection_id}": P(OWNER),
    "API DELETE /api/reflections/{reflection_id}": P(NOBODY, OWNER),
    # notifications
    "API GET /api/notifications/": P(MEMBERS),
    "API GET /api/notifications/unread-count": P(MEMBERS),
    "API POST /api/notifications/{notification_id}/read": P(NOBODY, OWNER),
    "API POST /api/notifications/read-all": P(NOBODY, MEMBERS),
    "API GET /api/notifications/preferences": P(MEMBERS),
    "API PUT /api/notifications/preferences": P(NOBODY, MEMBERS),
    # chats
    "API GET /api/chats/": P(MEMBERS),
    "API POST /api/chats/": P(NOBODY, MEMBERS),
    "API GET /api/chats/{chat_id}": P(OWNER | ADMIN),
    "API POST /api/chats/{chat_id}/rsvp": P(NOBODY, OWNER | ADMIN),
    "API GET /api/chats/{chat_id}/messages": P(OWNER | ADMIN),
    "API POST /api/chats/{chat_id}/messages": P(NOBODY, OWNER | ADMIN),
    "API POST /api/chats/{chat_id}/prompts/{number}/release": P(NOBODY, OWNER | ADMIN),
    "API POST /api/chats/{chat_id}/messages/{seq}/hide": P(NOBODY, OWNER | ADMIN),
    "API POST /api/chats/{chat_id}/messages/{seq}/react": P(NOBODY, OWNER | ADMIN),
    "API POST /api/chats/{chat_id}/messages/{seq}/promote": P(NOBODY, OWNER | ADMIN),
    "API POST /api/chats/{chat_id}/lock": P(NOBODY, OWNER | ADMIN),
    "API POST /api/chats/{chat_id}/mute": P(NOBODY, OWNER | ADMIN),
    "API GET /api/chats/{chat_id}/transcript": P(OWNER | ADMIN),
    # curation
    "API GET /api/curation/collections": P(MEMBERS),
    "API POST /api/curation/collections": P(NOBODY, OWNER | ADMIN),
    "API GET /api/curation/collections/{collection_id}": P(ADMIN),
    "API POST /api/curation/collections/{collection_id}/episodes": P(NOBODY, OWNER | ADMIN),
    "API POST /api/curation/collections/{collection_id}/episodes/{number}/items": P(NOBODY, OWNER),
    "API PUT /api/curation/collections/{collection_id}/follow": P(NOBODY, OWNER | ADMIN),
    "API DELETE /api/curation/collections/{collection_id}/follow": P(NOBODY, OWNER | ADMIN),
    # digests
    "API GET /api/digests/preferences": P(MEMBERS),
    "API PUT /api/digests/preferences": P(NOBODY, MEMBERS),
    "API GET /api/digests/current": P(MEMBERS),
    # analytics
    "API GET /api/analytics/org": P(MEMBERS),
    "API GET /api/analytics/sites/{code}": P(ADMIN),
    "API GET /api/analytics/topics/{topic_id}": P(MEMBERS),
    "API GET /api/analytics/me": P(MEMBERS),
    # questions
    "API DELETE /api/questions/answers/{answer_id}": P(NOBODY, OWNER | ADMIN | MODERATOR),
}
