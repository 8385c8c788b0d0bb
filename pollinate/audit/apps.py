from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "pollinate.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from django.contrib.admin.models import LogEntry
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
        from django.db.models.signals import post_delete, post_save

        from pollinate.activity.models import Activity
        from pollinate.audit import services
        from pollinate.chats.models import ChatMessage
        from pollinate.people.models import ApiToken, Invitation, Role

        # django-axes connects its user_login_failed receiver first (it is earlier in
        # INSTALLED_APPS), so ours sees request.axes_locked_out already set.
        user_logged_in.connect(services.on_user_logged_in, dispatch_uid="audit.signin")
        user_logged_out.connect(services.on_user_logged_out, dispatch_uid="audit.signout")
        user_login_failed.connect(services.on_user_login_failed, dispatch_uid="audit.failed")
        post_save.connect(services.on_invitation_saved, sender=Invitation, dispatch_uid="audit.inv")
        post_save.connect(services.on_role_saved, sender=Role, dispatch_uid="audit.role+")
        post_delete.connect(services.on_role_deleted, sender=Role, dispatch_uid="audit.role-")
        post_save.connect(services.on_api_token_saved, sender=ApiToken, dispatch_uid="audit.tok+")
        post_delete.connect(
            services.on_api_token_deleted, sender=ApiToken, dispatch_uid="audit.tok-"
        )
        # The spine row's post_save, not spine_subscribe: subscribers run after commit, and an
        # audit record belongs to the transaction of the action it records.
        post_save.connect(services.on_activity_saved, sender=Activity, dispatch_uid="audit.act")
        post_save.connect(
            services.on_chat_message_saved, sender=ChatMessage, dispatch_uid="audit.chat"
        )
        post_save.connect(
            services.on_admin_log_entry_saved, sender=LogEntry, dispatch_uid="audit.admin"
        )
