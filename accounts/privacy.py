"""The accounts app's part of the registry: user accounts, sign-in and sessions, including the
records Django's own apps keep (auth, sessions, admin history, django-otp's backup codes)."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from privacy.registry import (
    Holder,
    LegalBasis,
    NoPersonalData,
    Period,
    ProcessingActivity,
    RetentionRule,
    registry,
)

ACTIVITY = "user-accounts"


def _find_sessions(address: str):
    """Sessions signed in as a user with this address (found by the session's user column)."""
    from django.contrib.auth import get_user_model

    from .models import UserSession

    users = get_user_model().objects.filter(email__iexact=address).values("pk")
    return UserSession.objects.filter(user_id__in=users)


# Served by the GIN index of migration 0003 (the function is defined there).
LOG_NAMING_SQL = (
    "SELECT id FROM django_admin_log "
    "WHERE accounts_log_addresses(object_repr, change_message) @> ARRAY[UPPER(%s)]"
)


def _find_log_entries(address: str):
    """Admin history written by this person, or naming them (str(obj) is often an address).

    On PostgreSQL the entries naming the address come from the index of the addresses in
    their texts (migration 0003): an exact match, fast however many entries share the
    address's domain. Elsewhere (SQLite in development) a substring search of both texts.
    The account's entries are a query of their own: an OR across the join to auth_user
    leaves no index usable.
    """
    from django.contrib.admin.models import LogEntry
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models.expressions import RawSQL

    users = get_user_model().objects.filter(email__iexact=address).values_list("pk", flat=True)
    entries = LogEntry.objects.order_by()  # the lookups need no ordering
    if connection.vendor == "postgresql":
        naming = entries.filter(pk__in=RawSQL(LOG_NAMING_SQL, [address.strip()]))
    else:
        naming = entries.filter(
            Q(object_repr__icontains=address) | Q(change_message__icontains=address)
        )
    # Both as lists of keys: PostgreSQL then combines two index lookups instead of reading
    # the whole log for an OR across tables (bench/dsar.py).
    found = Q(user_id__in=list(users)) | Q(pk__in=list(naming.values_list("pk", flat=True)))
    return LogEntry.objects.filter(found)


def _erase_users(rows) -> int:
    """Delete the person's account; a staff account stays until a superuser removes it (it is
    needed for the admin's access records while the person works here)."""
    deleted, _per_model = rows.filter(is_staff=False, is_superuser=False).delete()
    return deleted


registry.register(
    ProcessingActivity(
        key=ACTIVITY,
        name=_("Benutzerkonten, Anmeldung und Sitzungen"),
        purpose=_(
            "Anmeldung der Mitarbeiter im Verwaltungsbereich und der Benutzer von OPTIGEM CX "
            "mit Passwort und zweitem Faktor, damit nur befugte Personen personenbezogene "
            "Daten erreichen (Abschnitt 6); Verlauf der Änderungen im Verwaltungsbereich."
        ),
        legal_basis=(LegalBasis.CONTRACT, LegalBasis.LEGITIMATE_INTERESTS),
        data_categories=(
            _("Benutzername, E-Mail-Adresse, Name, Passwort (nur als Hash), letzte Anmeldung"),
            _("Schlüssel der Authenticator-App (verschlüsselt) und Sicherungscodes"),
            _("Sitzung: Nummer des Benutzerkontos und Ablaufzeit"),
            _("Verlauf im Verwaltungsbereich: Zeitpunkt, Aktion, Bezeichnung des Datensatzes"),
        ),
        data_subjects=(
            _("Mitarbeiterinnen und Mitarbeiter der OPTIGEM GmbH"),
            _("Benutzer von OPTIGEM CX"),
        ),
        origin=_("bei der Einrichtung des Kontos und bei jeder Anmeldung"),
        recipients=(_("zuständige Mitarbeiter der OPTIGEM GmbH"),),
        retention=_(
            "Konten bis zu ihrer Löschung (Cloud-Konten mit der Organisation oder auf Wunsch, "
            "Mitarbeiterkonten beim Ausscheiden); Sitzungen bis einen Tag nach ihrem Ablauf; "
            "der Verlauf im Verwaltungsbereich 30 Tage"
        ),
        retention_rules=(
            RetentionRule(
                key="accounts-sessions-expired",
                holder="accounts.UserSession",
                trigger="expire_date",
                period=Period(days=1),
                description=_("Abgelaufene Sitzungen werden am Tag nach ihrem Ablauf gelöscht."),
            ),
            RetentionRule(
                key="accounts-admin-history",
                holder="admin.LogEntry",
                trigger="action_time",
                period=Period(days=30),
                description=_(
                    "Der Verlauf im Verwaltungsbereich (Letzte Aktionen) wird nach 30 Tagen "
                    "gelöscht; das Zugriffsprotokoll hält Änderungen ohne Klartext fest."
                ),
            ),
            RetentionRule(
                key="accounts-pending-second-factor",
                holder="accounts.TOTPDevice",
                trigger="created_at",
                period=Period(days=1),
                condition=lambda rows: rows.filter(confirmed=False),
                description=_(
                    "Nicht abgeschlossene Einrichtungen einer Authenticator-App werden nach "
                    "einem Tag gelöscht."
                ),
            ),
            RetentionRule(
                key="accounts-orphaned",
                holder="auth.User",
                trigger="date_joined",
                period=Period(months=1),
                condition=lambda rows: rows.filter(
                    is_staff=False,
                    is_superuser=False,
                    cloud_account__isnull=True,
                    cloud_memberships__isnull=True,
                ),
                description=_(
                    "Konten, mit denen man sich nirgends mehr anmelden kann (weder Mitarbeiter "
                    "noch Cloud-Benutzer), werden einen Monat nach ihrer Anlage gelöscht."
                ),
            ),
        ),
        policy_section="6",
    ),
    Holder(
        model="auth.User",
        activity=ACTIVITY,
        email_fields=("email",),
        export_fields=(
            "username",
            "email",
            "first_name",
            "last_name",
            "date_joined",
            "last_login",
            "is_staff",
        ),
        editable_fields=("first_name", "last_name"),
        erase=_erase_users,
        description=_("Benutzerkonto (Mitarbeiterkonten löscht ein Superuser beim Ausscheiden)"),
    ),
    Holder(
        model="accounts.UserSession",
        activity=ACTIVITY,
        email_fields=(),
        find=_find_sessions,
        export_fields=("expire_date",),
        description=_("Laufende Anmeldungen (beim Löschen abgemeldet)"),
    ),
    Holder(
        model="admin.LogEntry",
        activity=ACTIVITY,
        email_fields=("user__email",),
        find=_find_log_entries,
        export_fields=("action_time", "object_repr", "change_message"),
        description=_("Verlauf im Verwaltungsbereich (30 Tage)"),
    ),
    Holder(
        model="accounts.TOTPDevice",
        activity=ACTIVITY,
        email_fields=("user__email",),
        export_fields=("name", "confirmed", "created_at", "last_used_at"),
        description=_(
            "Authenticator-App (Schlüssel verschlüsselt; gelöscht mit dem Konto oder beim "
            "Zurücksetzen)"
        ),
    ),
    Holder(
        model="otp_static.StaticDevice",
        activity=ACTIVITY,
        email_fields=("user__email",),
        export_fields=("name", "created_at", "last_used_at"),
        description=_("Sicherungscodes für den zweiten Faktor (gelöscht mit dem Konto)"),
    ),
    Holder(
        model="otp_static.StaticToken",
        activity=ACTIVITY,
        email_fields=("device__user__email",),
        # The codes themselves are credentials: the export counts them, never shows them.
        export_fields=("device",),
        export_related=("device__user",),  # django-otp's str(device) names the device's user
        description=_("Noch nicht benutzte Sicherungscodes (ein benutzter Code wird gelöscht)"),
    ),
    NoPersonalData(
        model="auth.Group",
        reason=_("Namen der Mitarbeitergruppen und ihre Berechtigungen"),
    ),
    NoPersonalData(model="auth.Permission", reason=_("Berechtigungen, die Django anlegt")),
    NoPersonalData(
        model="contenttypes.ContentType", reason=_("Namen der Datenmodelle, die Django anlegt")
    ),
)
