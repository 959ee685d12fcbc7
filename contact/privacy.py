"""The request forms in the privacy registry: what each form processes, for how long, and who sees it.

Retention (stated in each form's notice and the policy):
- contact and support requests: six months after staff close them (``closed_at``), and at
  the latest two years after they came in, should a request never be closed;
- training registrations: one year after the end of the training (``event__ends_at``), for
  certificates of attendance and questions about the course;
- a pupil's request the guardian has not confirmed: 72 hours after it came in.
"""

from django.utils.translation import gettext_lazy as _

from privacy.registry import (
    Grant,
    Holder,
    LegalBasis,
    NamedPeriod,
    NoPersonalData,
    Period,
    ProcessingActivity,
    RetentionRule,
    interpolate,
    registry,
)

from .models import GUARDIAN_CONFIRMATION, Kind

# Every period of the request forms, once; the rules and their texts are built from them.
REQUEST_CLOSED = Period(months=6)
REQUEST_LATEST = Period(years=2)
TRAINING_AFTER_EVENT = Period(years=1)

INQUIRY = "contact.Inquiry"
STAFF = _(
    "die zuständigen Mitarbeiterinnen und Mitarbeiter der OPTIGEM GmbH (Support bzw. Schulung)"
)
HOSTING = _("unser Hosting-Dienstleister in Deutschland (Auftragsverarbeiter)")
CHILD_DATA = _(
    "bei Schülerinnen, Schülern und unter 16-Jährigen: die E-Mail-Adresse einer/eines "
    "Erziehungsberechtigten, um deren Zustimmung einzuholen (§ 1.5 der Datenschutzerklärung)"
)


def _of_kind(kind: str):
    return lambda rows: rows.filter(kind=kind)


def _unconfirmed(kind: str):
    return lambda rows: rows.filter(kind=kind, is_minor=True, guardian_confirmed_at__isnull=True)


def _closed(kind: str):
    return lambda rows: rows.filter(kind=kind, closed_at__isnull=False)


def _unconfirmed_rule(kind: str) -> RetentionRule:
    return RetentionRule(
        key=f"{kind}-unconfirmed-minor",
        holder=INQUIRY,
        trigger="created_at",
        period=GUARDIAN_CONFIRMATION,
        condition=_unconfirmed(kind),
        description=interpolate(
            _(
                "Anfragen von Schülerinnen, Schülern und unter 16-Jährigen, denen keine "
                "erziehungsberechtigte Person zugestimmt hat, löschen wir nach %(period)s."
            ),
            period=GUARDIAN_CONFIRMATION,
        ),
    )


def _request_rules(kind: str) -> tuple[RetentionRule, ...]:
    return (
        RetentionRule(
            key=f"{kind}-closed",
            holder=INQUIRY,
            trigger="closed_at",
            period=REQUEST_CLOSED,
            condition=_closed(kind),
            description=interpolate(
                _("%(period)s nach Abschluss der Bearbeitung wird die Anfrage gelöscht."),
                period=REQUEST_CLOSED,
            ),
        ),
        RetentionRule(
            key=f"{kind}-latest",
            holder=INQUIRY,
            trigger="created_at",
            period=REQUEST_LATEST,
            condition=_of_kind(kind),
            description=interpolate(
                _("Spätestens %(period)s nach Eingang wird jede Anfrage gelöscht."),
                period=REQUEST_LATEST,
            ),
        ),
        _unconfirmed_rule(kind),
    )


REQUEST_RETENTION = interpolate(
    _(
        "bis %(closed)s nach Abschluss der Bearbeitung, höchstens %(latest)s; ohne Zustimmung "
        "der Erziehungsberechtigten %(guardian)s"
    ),
    closed=REQUEST_CLOSED,
    latest=REQUEST_LATEST,
    guardian=GUARDIAN_CONFIRMATION,
)

registry.register(
    NamedPeriod(key="guardian-confirmation", period=GUARDIAN_CONFIRMATION),
    ProcessingActivity(
        key="contact-request",
        name=_("Kontaktformular"),
        purpose=_("Ihre Frage beantworten und dazu mit Ihnen in Kontakt treten."),
        legal_basis=(LegalBasis.CONTRACT,),
        data_categories=(
            _("Name, um Sie ansprechen zu können"),
            _("E-Mail-Adresse, um Ihnen zu antworten"),
            _("Ihre Nachricht, um Ihr Anliegen zu verstehen"),
            _("freiwillig: Organisation, Telefonnummer und Betreff, falls Sie sie angeben"),
            CHILD_DATA,
        ),
        data_subjects=(_("Interessentinnen, Interessenten und Kunden"),),
        origin=_("von Ihnen über das Kontaktformular angegeben"),
        recipients=(STAFF, HOSTING),
        retention=REQUEST_RETENTION,
        retention_rules=_request_rules(Kind.CONTACT),
        policy_section="1.4",
    ),
    ProcessingActivity(
        key="support-request",
        name=_("Supportanfrage"),
        purpose=_("Ihr Problem mit unserer Software lösen (Support aus dem Softwarevertrag)."),
        legal_basis=(LegalBasis.CONTRACT,),
        data_categories=(
            _("Name und E-Mail-Adresse, um Ihnen zu antworten"),
            _("Beschreibung des Problems, um es zu lösen"),
            _(
                "freiwillig: Kundennummer, Produkt und Telefonnummer, damit wir Ihren Vertrag "
                "finden oder Sie zurückrufen können"
            ),
            CHILD_DATA,
        ),
        data_subjects=(_("Kunden und Interessenten"),),
        origin=_("von Ihnen über das Supportformular angegeben"),
        recipients=(STAFF, HOSTING),
        retention=REQUEST_RETENTION,
        retention_rules=_request_rules(Kind.SUPPORT),
        policy_section="1.4",
    ),
    ProcessingActivity(
        key="training-registration",
        name=_("Anmeldung zu Schulungen"),
        purpose=_(
            "Ihre Anmeldung zu einer Schulung: Platz reservieren, Sie über den Termin "
            "informieren und Ihnen die Teilnahme bescheinigen."
        ),
        legal_basis=(LegalBasis.CONTRACT,),
        data_categories=(
            _("Name für die Teilnehmerliste und die Teilnahmebescheinigung"),
            _("E-Mail-Adresse für Bestätigung und Informationen zum Termin"),
            _("freiwillig: Organisation, Telefonnummer für kurzfristige Änderungen, Anmerkungen"),
            CHILD_DATA,
        ),
        data_subjects=(_("Teilnehmerinnen und Teilnehmer von Schulungen"),),
        origin=_("von Ihnen über das Anmeldeformular angegeben"),
        recipients=(STAFF, _("die Trainerin oder der Trainer der Schulung"), HOSTING),
        retention=interpolate(
            _(
                "bis %(period)s nach dem Ende der Schulung; ohne Zustimmung der "
                "Erziehungsberechtigten %(guardian)s"
            ),
            period=TRAINING_AFTER_EVENT,
            guardian=GUARDIAN_CONFIRMATION,
        ),
        retention_rules=(
            RetentionRule(
                key="training-registration-after-event",
                holder=INQUIRY,
                trigger="event__ends_at",
                period=TRAINING_AFTER_EVENT,
                condition=_of_kind(Kind.TRAINING),
                description=interpolate(
                    _(
                        "%(period)s nach dem Ende der Schulung wird die Anmeldung gelöscht "
                        "(bis dahin für Teilnahmebescheinigungen und Rückfragen)."
                    ),
                    period=TRAINING_AFTER_EVENT,
                ),
            ),
            _unconfirmed_rule(Kind.TRAINING),
        ),
        policy_section="1.4",
    ),
    ProcessingActivity(
        key="hcaptcha",
        name=_("Schutz der Formulare mit hCaptcha"),
        purpose=_(
            "Unterscheiden, ob ein Mensch oder ein Programm (Bot) das Formular ausfüllt, damit "
            "automatisierte Massenanfragen die Website nicht überlasten. hCaptcha wird nur auf "
            "den Formularseiten geladen; wir übermitteln Ihre IP-Adresse nicht an hCaptcha und "
            "speichern kein Ergebnis der Prüfung."
        ),
        legal_basis=(LegalBasis.LEGITIMATE_INTERESTS,),
        data_categories=(
            _(
                "Daten, die Ihr Browser beim Laden des hCaptcha-Widgets an den Anbieter "
                "übermittelt (u. a. IP-Adresse, Browserangaben, Interaktion mit dem Widget)"
            ),
        ),
        data_subjects=(_("Besucherinnen und Besucher der Formularseiten"),),
        origin=_("von Ihrem Browser an hCaptcha übermittelt"),
        recipients=(_("Intuition Machines, Inc., USA (Anbieter von hCaptcha)"),),
        retention=_(
            "wir speichern nichts davon; zur Speicherung beim Anbieter siehe "
            "https://www.hcaptcha.com/privacy"
        ),
        third_country_transfer=_(
            "Beim Laden des Widgets werden Daten an Intuition Machines, Inc. in den USA "
            "übermittelt; Einzelheiten unter https://www.hcaptcha.com/privacy."
        ),
        policy_section="5.1",
    ),
    Holder(
        model=INQUIRY,
        activity="contact-request",
        email_fields=("email", "guardian_email"),
        export_fields=(
            "kind",
            "created_at",
            "status",
            "closed_at",
            "name",
            "email",
            "organisation",
            "phone",
            "customer_number",
            "product",
            "subject",
            "message",
            "event",
            "is_minor",
            "guardian_email",
            "guardian_confirmed_at",
        ),
        editable_fields=("name", "email", "organisation", "phone", "customer_number"),
        description=_("Kontakt- und Supportanfragen sowie Schulungsanmeldungen"),
    ),
    NoPersonalData(
        model="contact.TrainingEvent",
        reason=_("Titel, Termin, Ort und Plätze einer Schulung; keine Teilnehmerdaten"),
    ),
    Grant(
        group="Support",
        permissions=(
            "contact.view_inquiry",
            "contact.change_inquiry",
            "contact.delete_inquiry",
            "contact.view_trainingevent",
            "contact.add_trainingevent",
            "contact.change_trainingevent",
            "contact.delete_trainingevent",
        ),
    ),
)
