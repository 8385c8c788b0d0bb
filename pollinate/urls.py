from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from pollinate.api import api
from pollinate.people.views import language_set
from pollinate.practices import views as practices_views

admin.site.site_header = "Pollinate administration"
admin.site.site_title = "Pollinate"

urlpatterns = [
    path("", include("pollinate.core.urls")),
    path("", practices_views.home, name="home"),
    path("practices/", include("pollinate.practices.urls")),
    path("coaching/", include("pollinate.coaching.urls")),
    path("questions/", include("pollinate.questions.urls")),
    path("reflections/", include("pollinate.reflections.urls")),
    path("notifications/", include("pollinate.notifications.urls")),
    path("chats/", include("pollinate.chats.urls")),
    path("curation/", include("pollinate.curation.urls")),
    path("digests/", include("pollinate.digests.urls")),
    path("analytics/", include("pollinate.analytics.urls")),
    path("audit/", include("pollinate.audit.urls")),
    path("", include("pollinate.people.urls")),
    path("i18n/setlang/", language_set, name="set_language"),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    # Uploaded media from local storage; a scaled-out deployment serves it from object storage.
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
]

handler400 = "pollinate.core.errors.bad_request"
handler403 = "pollinate.core.errors.permission_denied"
handler404 = "pollinate.core.errors.not_found"
handler500 = "pollinate.core.errors.server_error"
