"""The cloud's part of the registry: OPTIGEM processes the receipts on behalf of each
organisation (Art. 28 GDPR); the organisation is the controller."""

from django.utils.translation import gettext_lazy as _

from privacy.registry import (
    Grant,
    Holder,
    LegalBasis,
    NoPersonalData,
    Period,
    ProcessingActivity,
    RetentionRule,
    Role,
    interpolate,
    registry,
)

from .models import ERASURE_DELAY, MailState, Receipt
from .services.receipts import receipts_anonymise

# Expired invitation links are kept this long, then deleted.
INVITATION_KEPT = Period(months=1)
# A mail sent (or not sent because of a block) is kept this long, for questions about it.
MAIL_KEPT = Period(days=7)
# A mail the mail server never took is given up after this long.
UNSENT_MAIL_KEPT = Period(months=1)

ACTIVITY = "cloud-receipts"


def _find_receipts(address: str):
    """Receipts handed in under the address, or by the account that has it.

    Two indexed lookups instead of one OR across the join, which no index can serve.
    """
    receipts = Receipt.all_tenants
    by_text = receipts.filter(submitter_email__iexact=address).values_list("pk", flat=True)
    by_account = receipts.filter(submitter__email__iexact=address).values_list("pk", flat=True)
    return receipts.filter(pk__in={*by_text, *by_account})


def _erase_accounts(rows) -> int:
    """Delete the users behind the accounts (memberships and accounts go with them)."""
    from django.contrib.auth import get_user_model

    user_ids = list(rows.values_list("user_id", flat=True))
    deleted, _per_model = get_user_model().objects.filter(pk__in=user_ids, is_staff=False).delete()
    rows.filter(user_id__in=user_ids).delete()
    return deleted


registry.register(
    ProcessingActivity(
        key=ACTIVITY,
        name=_("OPTIGEM CX Cloud: Beleg-Management und Dashboard"),
        purpose=_(
            "Einreichen, Prüfen und Erstatten von Belegen, Datenaustausch mit OPTIGEM "
            "Win-Finanz und Darstellung der Zahlen im Dashboard, im Auftrag der Organisation, "
            "die den Dienst gebucht hat. Zugriff haben nur die Benutzer, die die Organisation "
            "in ihrer Berechtigungsverwaltung einer Rolle zugeordnet hat; die Daten jeder "
            "Organisation sind strikt von denen anderer getrennt."
        ),
        legal_basis=(LegalBasis.CONTRACT,),
        data_categories=(
            _(
                "Benutzerkonto: Name, E-Mail-Adresse, Passwort (nur als Hash), Rolle, "
                "Zwei-Faktor-Schlüssel (verschlüsselt)"
            ),
            _("Beleg-Informationen: Datei, Datum, Betrag, Währung, Verwendungszweck, Projekt"),
            _("Einreicher-Informationen: Name und E-Mail-Adresse"),
            _(
                "Erstattungskonto: PayPal-Adresse oder Kontoinhaber, IBAN und BIC "
                "(verschlüsselt gespeichert)"
            ),
            _("Einladungen: E-Mail-Adresse und Rolle"),
            _(
                "E-Mails des Dienstes (Passwort-Links, Einladungen, Mitteilungen): "
                "Empfängeradresse, Art der E-Mail und ob sie versendet wurde"
            ),
        ),
        data_subjects=(
            _("Benutzer der Organisationen (Administratoren, Prüfer, Einreicher)"),
            _("Einreicher von Belegen"),
        ),
        origin=_("von den Benutzern der Organisation eingegeben"),
        recipients=(
            _("die berechtigten Benutzer der jeweiligen Organisation"),
            _("OPTIGEM Win-Finanz der Organisation über die Schnittstelle"),
            _("Rechenzentrum in Deutschland (Unterauftragsverarbeiter, AV-Vertrag)"),
        ),
        retention=_(
            "solange die Organisation den Dienst nutzt; einen Monat nach der Kündigung werden "
            "alle Daten der Organisation einschließlich der Dateien vollständig und "
            "unwiderruflich gelöscht. Tägliche Sicherungen werden nach höchstens einem Monat "
            "überschrieben. Benutzer können ihr Konto jederzeit selbst löschen, sofern die "
            "Organisation einen weiteren Haupt-Administrator hat."
        ),
        third_country_transfer=None,
        role=Role.PROCESSOR,
        policy_section="2.6",
        retention_rules=(
            RetentionRule(
                key="cloud-cancelled-organisations",
                holder="cloud.Organisation",
                trigger="cancelled_at",
                period=ERASURE_DELAY,
                condition=lambda qs: qs.filter(cancelled_at__isnull=False),
                description=interpolate(
                    _(
                        "Gekündigte Organisationen werden %(period)s nach der Kündigung mit allen "
                        "Benutzerrollen, Belegen, Dateien, Projekten, Einladungen und "
                        "API-Schlüsseln gelöscht."
                    ),
                    period=ERASURE_DELAY,
                ),
            ),
            RetentionRule(
                key="cloud-expired-invitations",
                holder="cloud.Invitation",
                trigger="expires_at",
                period=INVITATION_KEPT,
                description=interpolate(
                    _(
                        "Einladungen werden %(period)s nach Ablauf ihres Links gelöscht, "
                        "angenommen oder nicht (die Rolle steht dann in der Mitgliedschaft)."
                    ),
                    period=INVITATION_KEPT,
                ),
            ),
            RetentionRule(
                key="cloud-settled-mails",
                holder="cloud.OutgoingMail",
                trigger="settled_at",
                period=MAIL_KEPT,
                condition=lambda qs: qs.exclude(state=MailState.UNSENT),
                description=interpolate(
                    _(
                        "Von einer E-Mail des Dienstes bleiben Empfängeradresse und Art "
                        "%(period)s gespeichert, nachdem sie versendet wurde oder wegen einer "
                        "E-Mail-Sperre oder weil sie nicht mehr zutraf nicht versendet wurde; "
                        "dann werden sie gelöscht."
                    ),
                    period=MAIL_KEPT,
                ),
            ),
            RetentionRule(
                key="cloud-unsent-mails",
                holder="cloud.OutgoingMail",
                trigger="created_at",
                period=UNSENT_MAIL_KEPT,
                condition=lambda qs: qs.filter(state=MailState.UNSENT),
                description=interpolate(
                    _(
                        "Eine E-Mail des Dienstes, die der Mailserver %(period)s lang nicht "
                        "angenommen hat, wird nicht mehr versendet und gelöscht."
                    ),
                    period=UNSENT_MAIL_KEPT,
                ),
            ),
        ),
    ),
    Holder(
        model="cloud.Account",
        activity=ACTIVITY,
        email_fields=("user__email",),
        export_fields=("name", "email", "created_at"),
        editable_fields=("name",),
        erase=_erase_accounts,
        description=_("Cloud-Benutzerkonten"),
    ),
    Holder(
        model="cloud.Membership",
        activity=ACTIVITY,
        email_fields=("user__email",),
        export_fields=("organisation", "role", "created_at"),
        description=_("Rollen in Organisationen"),
    ),
    Holder(
        model="cloud.Receipt",
        activity=ACTIVITY,
        email_fields=("submitter_email", "submitter__email"),
        find=_find_receipts,
        export_fields=(
            "organisation",
            "date",
            "amount",
            "currency",
            "purpose",
            "project",
            "submitter_name",
            "submitter_email",
            "refund_method",
            "refund_account_text",
            "file_name",
            "status",
            "review_comment",
            "created_at",
        ),
        editable_fields=("submitter_name", "submitter_email"),
        erase=receipts_anonymise,
        anonymises=True,
        description=_(
            "Eingereichte Belege; bei Löschung werden Name, E-Mail und Erstattungskonto "
            "entfernt, Betrag, Datum und Datei bleiben Unterlagen der Organisation"
        ),
    ),
    Holder(
        model="cloud.Invitation",
        activity=ACTIVITY,
        email_fields=("email",),
        export_fields=("organisation", "role", "created_at", "expires_at", "accepted_at"),
        description=_("Einladungen in eine Organisation"),
    ),
    Holder(
        model="cloud.OutgoingMail",
        activity=ACTIVITY,
        email_fields=("recipient",),
        export_fields=("kind", "recipient", "state", "created_at", "settled_at"),
        description=_("E-Mails des Dienstes, bis sie versendet sind und kurz danach"),
    ),
    NoPersonalData(
        model="cloud.Organisation",
        reason=_("Name und Kurzname der Organisation (eine juristische Person), Kündigungsdaten"),
    ),
    NoPersonalData(model="cloud.Project", reason=_("Projektnamen der Organisation")),
    NoPersonalData(
        model="cloud.ApiToken",
        reason=_("Bezeichnung und Prüfsumme eines Schlüssels der Organisation, ohne Person"),
    ),
    Grant(group="Support", permissions=("cloud.view_organisation",)),
)
