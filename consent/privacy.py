"""What the consent app processes: consent receipts, the consent cookie and Matomo's cookies."""

from django.utils.translation import gettext_lazy as _

from privacy.registry import (
    Cookie,
    CookieCategory,
    Grant,
    Holder,
    LegalBasis,
    NamedPeriod,
    Period,
    ProcessingActivity,
    RetentionRule,
    interpolate,
    registry,
)

CONSENT_COOKIE = "optigem_consent"
# Consent is asked again after this long (and sooner when the cookie declarations change).
CONSENT_VALIDITY = Period(months=12)
RECEIPT_RETENTION = Period(years=3)

OUR_SITE = _("OPTIGEM GmbH (diese Website)")
OUR_MATOMO = _("OPTIGEM GmbH (Matomo auf unserem eigenen Server)")

registry.register(
    NamedPeriod(key="consent-validity", period=CONSENT_VALIDITY),
    ProcessingActivity(
        key="consent-receipts",
        name=_("Nachweis von Cookie-Einwilligungen"),
        purpose=_(
            "Nachweis, dass und wofür eine Einwilligung in Cookies erteilt oder verweigert "
            "wurde (Art. 7 Abs. 1 DSGVO). Gespeichert werden eine zufällige "
            "Einwilligungs-ID, die gewählten Kategorien, die Version der "
            "Datenschutzerklärung, eine Prüfsumme der angezeigten Texte und der Zeitpunkt; "
            "keine IP-Adresse und keine Browserkennung."
        ),
        legal_basis=(LegalBasis.LEGAL_OBLIGATION,),
        data_categories=(_("zufällige Einwilligungs-ID, gewählte Kategorien, Version, Zeitpunkt"),),
        data_subjects=(_("Besucherinnen und Besucher der Website"),),
        origin=_("Ihre Auswahl im Cookie-Hinweis oder in den Cookie-Einstellungen"),
        recipients=(_("Datenschutzbeauftragter und zuständige Mitarbeiter der OPTIGEM GmbH"),),
        retention=interpolate(_("%(period)s nach der Entscheidung"), period=RECEIPT_RETENTION),
        retention_rules=(
            RetentionRule(
                key="consent-receipts",
                holder="consent.ConsentReceipt",
                trigger="given_at",
                period=RECEIPT_RETENTION,
                description=interpolate(
                    _(
                        "Einwilligungsnachweise werden %(period)s nach der Entscheidung gelöscht "
                        "(Verjährungsfrist für Bußgelder, § 31 OWiG)."
                    ),
                    period=RECEIPT_RETENTION,
                ),
            ),
        ),
        policy_section="4",
    ),
    ProcessingActivity(
        key="statistics",
        name=_("Besucherstatistik mit Matomo"),
        purpose=_(
            "Statistik über die Nutzung der Website (aufgerufene Seiten, Zeitpunkt, "
            "Geräteinformationen), um das Angebot zu verbessern, etwa für Handy, Tablet oder "
            "PC. Matomo läuft auf unserem eigenen Server; die IP-Adresse wird gekürzt "
            "gespeichert; es werden keine Nutzerprofile gebildet. Nur nach Ihrer Einwilligung."
        ),
        legal_basis=(LegalBasis.TDDDG_CONSENT, LegalBasis.CONSENT),
        data_categories=(
            _("gekürzte IP-Adresse, aufgerufene Seiten, Zeitpunkt, Browser und Gerät"),
            _("zufällige Besucherkennung im Cookie _pk_id"),
        ),
        data_subjects=(_("Besucherinnen und Besucher, die in die Statistik eingewilligt haben"),),
        origin=_("von Ihrem Browser an unseren Matomo-Server übermittelt"),
        recipients=(_("niemand außerhalb der OPTIGEM GmbH"),),
        retention=_(
            "Cookies höchstens einen Monat; Widerruf jederzeit in den Cookie-Einstellungen"
        ),
        policy_section="5.2",
    ),
    Cookie(
        name=CONSENT_COOKIE,
        provider=OUR_SITE,
        purpose=_(
            "Speichert Ihre Cookie-Auswahl (zufällige Einwilligungs-ID, Kategorien, Version "
            "der Datenschutzerklärung), damit wir nicht bei jedem Seitenaufruf fragen"
        ),
        category=CookieCategory.NECESSARY,
        lifetime=CONSENT_VALIDITY,
        legal_basis=LegalBasis.TDDDG_NECESSARY,
    ),
    Cookie(
        name="_pk_id.*",
        provider=OUR_MATOMO,
        purpose=_(
            "Wiedererkennung Ihres Browsers über mehrere Besuche für die Besucherstatistik "
            "(zufällige Kennung, keine Nutzerprofile)"
        ),
        category=CookieCategory.STATISTICS,
        lifetime=Period(months=1),
        legal_basis=LegalBasis.TDDDG_CONSENT,
    ),
    Cookie(
        name="_pk_ses.*",
        provider=OUR_MATOMO,
        purpose=_("Fasst die Seitenaufrufe eines Besuchs für die Besucherstatistik zusammen"),
        category=CookieCategory.STATISTICS,
        lifetime=Period(minutes=30),
        legal_basis=LegalBasis.TDDDG_CONSENT,
    ),
    Cookie(
        name="_pk_ref.*",
        provider=OUR_MATOMO,
        purpose=_(
            "Merkt sich, von welcher Website Sie zu uns gekommen sind, für die "
            "Besucherstatistik; nur wenn Sie über einen Link auf einer anderen Website kamen"
        ),
        category=CookieCategory.STATISTICS,
        lifetime=Period(months=1),
        legal_basis=LegalBasis.TDDDG_CONSENT,
    ),
    Holder(
        model="consent.ConsentReceipt",
        activity="consent-receipts",
        email_fields=(),
        # Receipts carry no e-mail address: a visitor names the consent id shown on /cookies/.
        find=lambda address: _receipts().none(),
        export_fields=(
            "consent_id",
            "given_at",
            "categories",
            "policy_version",
            "texts_hash",
            "language",
        ),
        description=_(
            "Einwilligungsnachweise; sie enthalten keine E-Mail-Adresse und lassen sich nur "
            "über die Einwilligungs-ID finden, die in den Cookie-Einstellungen steht"
        ),
    ),
    Grant(group="Datenschutz", permissions=("consent.view_consentreceipt",)),
)


def _receipts():
    from .models import ConsentReceipt

    return ConsentReceipt.objects.all()
