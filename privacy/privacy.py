"""The privacy app's own part of the registry: website operation, staff access, the audit log,
legal holds and the deletion run's records."""

from django.utils.translation import gettext_lazy as _

from .registry import (
    Cookie,
    CookieCategory,
    Grant,
    Holder,
    LegalBasis,
    NoPersonalData,
    Period,
    ProcessingActivity,
    RetentionRule,
    interpolate,
    registry,
)

# How long the staff access log is kept; the rule and its texts use it.
AUDIT_RETENTION = Period(years=3)

registry.register(
    ProcessingActivity(
        key="website",
        name=_("Bereitstellung der Website"),
        purpose=_(
            "Auslieferung der Seiten an Ihren Browser und sicherer Betrieb der Website. "
            "Die technisch übermittelten Verbindungsdaten werden nur für die Dauer der "
            "Anfrage verarbeitet; wir speichern keine IP-Adressen, auch nicht in "
            "Protokolldateien."
        ),
        legal_basis=(LegalBasis.LEGITIMATE_INTERESTS, LegalBasis.TDDDG_NECESSARY),
        data_categories=(
            _("IP-Adresse (nur während der Verbindung)"),
            _("Zeitpunkt des Abrufs, aufgerufene Seite, Browsertyp und Betriebssystem"),
        ),
        data_subjects=(_("Besucherinnen und Besucher der Website"),),
        origin=_("von Ihrem Browser automatisch übermittelt"),
        recipients=(_("unser Hosting-Dienstleister in Deutschland (Auftragsverarbeiter)"),),
        retention=_("keine Speicherung durch uns; die Daten entfallen mit dem Ende der Anfrage"),
        policy_section="1.3",
    ),
    ProcessingActivity(
        key="staff-access",
        name=_("Zugriffsprotokoll der Mitarbeiter"),
        purpose=_(
            "Nachweis, welche Mitarbeiterin oder welcher Mitarbeiter wann einen Datensatz mit "
            "personenbezogenen Daten angesehen oder geändert hat (Zugriffskontrolle, "
            "Rechenschaftspflicht)."
        ),
        legal_basis=(LegalBasis.LEGAL_OBLIGATION, LegalBasis.LEGITIMATE_INTERESTS),
        data_categories=(_("Benutzerkonto der Mitarbeiter, Zeitpunkt, Aktion, Datensatz-Nummer"),),
        data_subjects=(_("Mitarbeiterinnen und Mitarbeiter der OPTIGEM GmbH"),),
        origin=_("entsteht bei der Arbeit im Verwaltungsbereich"),
        recipients=(_("Datenschutzbeauftragter und zuständige Mitarbeiter der OPTIGEM GmbH"),),
        retention=interpolate(_("%(period)s nach dem Eintrag"), period=AUDIT_RETENTION),
        retention_rules=(
            RetentionRule(
                key="audit-entries",
                holder="privacy.AuditEntry",
                trigger="at",
                period=AUDIT_RETENTION,
                description=interpolate(
                    _("Protokolleinträge werden %(period)s nach ihrer Entstehung gelöscht."),
                    period=AUDIT_RETENTION,
                ),
            ),
        ),
        policy_section="6",
    ),
    Cookie(
        name="csrftoken",
        provider=_("OPTIGEM GmbH (diese Website)"),
        purpose=_("Schutz der Formulare vor gefälschten Anfragen (CSRF-Schutz)"),
        category=CookieCategory.NECESSARY,
        lifetime=Period(years=1),
        legal_basis=LegalBasis.TDDDG_NECESSARY,
    ),
    Cookie(
        name="sessionid",
        provider=_("OPTIGEM GmbH (diese Website)"),
        purpose=_("Anmeldung im Verwaltungsbereich und bei OPTIGEM CX; nur nach einer Anmeldung"),
        category=CookieCategory.NECESSARY,
        lifetime=Period(days=14),
        legal_basis=LegalBasis.TDDDG_NECESSARY,
    ),
    Holder(
        model="privacy.AuditEntry",
        activity="staff-access",
        email_fields=("actor__email",),
        export_fields=("at", "action", "content_type", "object_id", "note"),
        erase=lambda rows: rows.update(actor=None),
        anonymises=True,
        description=_(
            "Einträge, die das Benutzerkonto einer Mitarbeiterin oder eines Mitarbeiters nennen"
        ),
    ),
    NoPersonalData(
        model="privacy.PolicyVersion",
        reason=_("Versionsnummer, Datum und Prüfsummen der Datenschutzerklärung"),
    ),
    Grant(
        group="Datenschutz",
        permissions=(
            "privacy.view_auditentry",
            "privacy.view_policyversion",
            "privacy.add_policyversion",
        ),
    ),
)


def _keep_legal_holds(rows) -> int:
    """Erasure requests leave legal holds standing (Art. 17 Abs. 3 lit. e DSGVO).

    A hold exists because the data are needed for a legal claim; it ends on its until-date,
    after which the deletion run removes it.
    """
    return 0


registry.register(
    ProcessingActivity(
        key="legal-holds",
        name=_("Löschsperren (Legal Hold)"),
        purpose=_(
            "Daten, die wir zur Geltendmachung, Ausübung oder Verteidigung von Rechtsansprüchen "
            "oder für eine behördliche Prüfung noch benötigen, vom regelmäßigen Löschlauf "
            "ausnehmen, bis die Sperre endet."
        ),
        legal_basis=(LegalBasis.LEGAL_OBLIGATION, LegalBasis.LEGITIMATE_INTERESTS),
        data_categories=(
            _("E-Mail-Adresse oder Verweis auf den gesperrten Datensatz, Grund, Enddatum"),
        ),
        data_subjects=(_("Personen, deren Daten von einer Löschsperre erfasst sind"),),
        origin=_("von Mitarbeitern des Datenschutzes im Verwaltungsbereich eingetragen"),
        recipients=(_("Datenschutzbeauftragter und zuständige Mitarbeiter der OPTIGEM GmbH"),),
        retention=_("bis zum Ende der Sperre; am Tag danach löscht der Löschlauf den Eintrag"),
        retention_rules=(
            RetentionRule(
                key="legal-holds-ended",
                holder="privacy.LegalHold",
                trigger="until",
                period=Period(days=1),
                description=_("Beendete Löschsperren werden am Tag nach ihrem Ende gelöscht."),
            ),
        ),
        policy_section="3",
    ),
    Holder(
        model="privacy.LegalHold",
        activity="legal-holds",
        email_fields=("email",),
        export_fields=("email", "reason", "until", "created_at"),
        erase=_keep_legal_holds,
        description=_("Löschsperren, die eine E-Mail-Adresse nennen"),
    ),
    NoPersonalData(
        model="privacy.DeletionRun",
        reason=_("Zeitpunkte, Regelnamen und Anzahlen des Löschlaufs; nie Werte gelöschter Zeilen"),
    ),
    NoPersonalData(
        model="privacy.DeletionLock",
        reason=_("Zufallswert und Ablaufzeit der Sperre, die zwei Löschläufe trennt"),
    ),
    Grant(
        group="Datenschutz",
        permissions=(
            "privacy.view_deletionrun",
            "privacy.view_legalhold",
            "privacy.add_legalhold",
            "privacy.change_legalhold",
            "privacy.delete_legalhold",
        ),
    ),
)
