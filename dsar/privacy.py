"""The dsar app's part of the registry: the requests themselves, restrictions, and the three
hooks other parts rely on (no mail to restricted persons, their records read-only in every
admin; no deletion under an open request)."""

from django.db import connection, models
from django.utils.translation import gettext_lazy as _

from privacy.digests import address_digest
from privacy.registry import (
    Grant,
    Holder,
    LegalBasis,
    MailGuard,
    Period,
    ProcessingActivity,
    RecordGuard,
    RetentionHold,
    RetentionRule,
    interpolate,
    registry,
)

from .models import Restriction, Status, SubjectRequest
from .restriction import is_restricted

# How long the proof of an answered request and of a lifted restriction is kept, once.
PROOF_KEPT = Period(years=3)


RESTRICTED_SQL = (
    f"SELECT 1 FROM {Restriction._meta.db_table} "
    "WHERE email_digest = %s AND lifted_at IS NULL LIMIT 1"
)


def _restricted(address: str, kind: str) -> bool:
    """The mail guard: whether processing of ``address`` is restricted (every kind of mail).

    Written as SQL because every newsletter message asks it right before the SMTP hand-off; it
    is ``Restriction.objects.active().filter(email_digest=).exists()``, whose query building
    cost 35.5 % of a newsletter message's CPU time (bench/optimisations.py, case 6).
    """
    with connection.cursor() as cursor:
        cursor.execute(RESTRICTED_SQL, [address_digest(address)])
        return cursor.fetchone() is not None


def _held_by_open_request(rule: RetentionRule, rows: models.QuerySet) -> models.QuerySet:
    """Rows of persons with an open request stay until it is answered (Art. 12, 15, 17)."""
    holder = registry.holders.get(rule.holder)
    addresses = SubjectRequest.objects.open().exclude(email="").values_list("email", flat=True)
    if holder is None or not addresses:
        return rows.none()
    held = models.Q()
    for address in addresses:
        held |= models.Q(pk__in=holder.rows_for(address).values("pk"))
    return rows.filter(held)


registry.register(
    ProcessingActivity(
        key="data-subject-requests",
        name=_("Bearbeitung von Betroffenenanfragen"),
        purpose=_(
            "Beantwortung Ihrer schriftlichen Anfrage auf Auskunft, Berichtigung, Einschränkung "
            "oder Löschung Ihrer Daten und Nachweis, dass und wie wir sie beantwortet haben."
        ),
        legal_basis=(LegalBasis.LEGAL_OBLIGATION,),
        data_categories=(
            _("Name, E-Mail-Adresse und Postanschrift wie im Schreiben angegeben"),
            _("Eingangsweg, Eingangsdatum, Ablage des Schreibens, gewünschte Rechte"),
            _("Art und Zeitpunkt der Identitätsprüfung (keine Ausweiskopie)"),
            _("Fristen, Ergebnis der Bearbeitung"),
        ),
        data_subjects=(_("Personen, die ein Betroffenenrecht geltend machen"),),
        origin=_("aus Ihrem Schreiben und der Prüfung Ihrer Identität"),
        recipients=(_("Datenschutzbeauftragter und die Datenschutz-Mitarbeiter der OPTIGEM GmbH"),),
        retention=interpolate(
            _(
                "vollständig bis zum Abschluss der Anfrage; danach nur noch der Nachweis der "
                "Antwort (ohne Anschrift und E-Mail-Adresse), %(period)s nach dem Abschluss "
                "gelöscht"
            ),
            period=PROOF_KEPT,
        ),
        retention_rules=(
            RetentionRule(
                key="dsar-requests",
                holder="dsar.SubjectRequest",
                trigger="completed_on",
                period=PROOF_KEPT,
                condition=lambda qs: qs.filter(status=Status.COMPLETED),
                description=interpolate(
                    _("Abgeschlossene Anfragen werden %(period)s nach dem Abschluss gelöscht."),
                    period=PROOF_KEPT,
                ),
            ),
            RetentionRule(
                key="dsar-restrictions-lifted",
                holder="dsar.Restriction",
                trigger="lifted_at",
                period=PROOF_KEPT,
                condition=lambda qs: qs.filter(lifted_at__isnull=False),
                description=interpolate(
                    _("Aufgehobene Einschränkungen werden %(period)s nach der Aufhebung gelöscht."),
                    period=PROOF_KEPT,
                ),
            ),
        ),
        policy_section="7.1",
    ),
    Holder(
        model="dsar.SubjectRequest",
        activity="data-subject-requests",
        email_fields=("email",),
        export_fields=(
            "requester_name",
            "email",
            "postal_address",
            "channel",
            "received_on",
            "letter_reference",
            "identity_method",
            "identity_verified_on",
            "due_on",
            "completed_on",
        ),
        # A request is proof that it was answered: it is reduced on completion, not erased.
        erase=lambda rows: 0,
        description=_("Ihre Anfragen an uns"),
    ),
    Holder(
        model="dsar.Restriction",
        activity="data-subject-requests",
        email_fields=(),
        find=lambda address: Restriction.objects.for_address(address),
        export_fields=("ground", "restricted_at", "lifted_at"),
        # An active restriction keeps protecting the person after erasure (no mail).
        erase=lambda rows: rows.filter(lifted_at__isnull=False).delete()[0],
        description=_("Einschränkungen der Verarbeitung (nur als Prüfwert der Adresse)"),
    ),
    MailGuard(
        key="restriction",
        blocks=_restricted,
        description=_("Die Verarbeitung ist eingeschränkt (Art. 18 DSGVO): keine E-Mails."),
    ),
    RecordGuard(
        key="restriction",
        locks=is_restricted,
        description=_(
            "Die Verarbeitung ist eingeschränkt (Art. 18 DSGVO): Datensätze der Person sind im "
            "Admin schreibgeschützt."
        ),
    ),
    RetentionHold(
        key="open-request",
        reason=_("Zu dieser Person ist eine Betroffenenanfrage offen."),
        held=_held_by_open_request,
    ),
    Grant(
        group="Datenschutz",
        permissions=(
            "dsar.view_subjectrequest",
            "dsar.add_subjectrequest",
            "dsar.change_subjectrequest",
            "dsar.view_restriction",
            "dsar.change_restriction",
        ),
    ),
)
