"""The site's session engine: Django's database sessions, with the signed-in user's id in a
column of its own, so a data-subject request finds a person's sessions by an index instead of
decoding every live session (``SESSION_ENGINE = "accounts.sessions"``)."""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    @classmethod
    def get_model_class(cls):
        from .models import UserSession

        return UserSession

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        user_id = data.get("_auth_user_id")
        session.user_id = int(user_id) if str(user_id or "").isdigit() else None
        return session
