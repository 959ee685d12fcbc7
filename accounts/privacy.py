"""The accounts app's part of the registry: staff members' second factor."""

from django.utils.translation import gettext_lazy as _

from privacy.registry import Holder, registry

registry.register(
    Holder(
        model="accounts.TOTPDevice",
        activity="staff-access",
        email_fields=("user__email",),
        export_fields=("name", "confirmed", "created_at", "last_used_at"),
        description=_(
            "Authenticator-App einer Mitarbeiterin oder eines Mitarbeiters (Schlüssel "
            "verschlüsselt; gelöscht mit dem Konto oder beim Zurücksetzen)"
        ),
    ),
)
