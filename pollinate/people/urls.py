from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from pollinate.core.ratelimit import rate_limit
from pollinate.people import views
from pollinate.people.forms import SignInForm

app_name = "people"
urlpatterns = [
    path(
        "sign-in/",
        auth_views.LoginView.as_view(
            template_name="people/sign_in.html",
            authentication_form=SignInForm,
            redirect_authenticated_user=True,
        ),
        name="sign_in",
    ),
    path("sign-out/", auth_views.LogoutView.as_view(), name="sign_out"),
    path(
        "password/reset/",
        # Each request sends an email: limited per client address so nobody can flood an inbox.
        rate_limit("password_reset", limit=5, window=3600)(
            auth_views.PasswordResetView.as_view(
                template_name="people/password_reset.html",
                email_template_name="people/email/password_reset.txt",
                subject_template_name="people/email/password_reset_subject.txt",
                success_url=reverse_lazy("people:password_reset_done"),
            )
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="people/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="people/password_reset_confirm.html",
            success_url=reverse_lazy("people:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="people/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("people/", views.directory, name="directory"),
    path("people/<int:person_id>/", views.person_detail, name="person"),
    path("people/invite/", views.invitation_create, name="invitation_create"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("me/", views.profile_edit, name="profile_edit"),
    path("me/skills/", views.skill_save, name="skill_save"),
    path("me/skills/<int:topic_id>/remove/", views.skill_remove, name="skill_remove"),
    path("me/activity/", views.my_activity, name="my_activity"),
    path("sites/<slug:code>/", views.site_detail, name="site"),
    path("topics/<int:topic_id>/", views.topic_detail, name="topic_short"),
    path("topics/<int:topic_id>-<slug:slug>/", views.topic_detail, name="topic"),
]
