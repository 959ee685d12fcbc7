"""The newsletter app's part of the registry: newsletter, customer mails, deliveries, blocks."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from privacy.registry import (
    Grant,
    Holder,
    LegalBasis,
    MailGuard,
    NoPersonalData,
    Period,
    ProcessingActivity,
    RetentionAction,
    RetentionRule,
    Suppressor,
    interpolate,
    registry,
)

from .models import DeliveryStatus, Relationship, SubscriberStatus
from .suppression import blocks, suppress_for

# Every period of the newsletter's rules, once; the rules and their texts are built from them.
UNCONFIRMED_SIGNUP = Period(hours=72)
PROOF_AFTER_WITHDRAWAL = Period(years=3)
PROSPECT_KEPT = Period(years=3)
DELIVERY_ADDRESS_KEPT = Period(days=90)


def _anonymise_deliveries(rows) -> int:
    """Keep a delivery's state for the mailing's counts; drop who it went to."""
    return rows.update(address="", address_hash=None, subscriber=None, customer=None)


registry.register(
    ProcessingActivity(
        key="newsletter",
        name=_("Newsletter"),
        purpose=_(
            "Versand unseres informativen und redaktionellen Newsletters einmal im Quartal an "
            "die E-Mail-Adresse, mit der Sie sich angemeldet haben, und der Nachweis Ihrer "
            "Einwilligung (Double-Opt-in) und ihres Widerrufs. Keine Öffnungs- oder "
            "Klickmessung, keine Zählpixel, keine umgeleiteten Links."
        ),
        legal_basis=(LegalBasis.CONSENT,),
        data_categories=(
            _("E-Mail-Adresse, Name (freiwillig), Sprache"),
            _(
                "Nachweis der Einwilligung: Version und Prüfsumme des Einwilligungstexts, "
                "Formular, Zeitpunkt der Anmeldung und der Bestätigung, Message-ID der "
                "Bestätigungsmail (keine IP-Adresse)"
            ),
            _(
                "Nachweis des Widerrufs: Zeitpunkt, Weg (Link, Ein-Klick, schriftlich), Aktenzeichen"
            ),
        ),
        data_subjects=(_("Abonnentinnen und Abonnenten des Newsletters"),),
        origin=_("von Ihnen im Anmeldeformular angegeben"),
        recipients=(
            _("Marketing der OPTIGEM GmbH"),
            _("unser E-Mail-Dienstleister in Deutschland (Auftragsverarbeiter)"),
        ),
        retention=interpolate(
            _(
                "unbestätigt %(pending)s; nach einer Abmeldung der Nachweis von Einwilligung "
                "und Widerruf %(proof)s (regelmäßige Verjährungsfrist, § 195 BGB)"
            ),
            pending=UNCONFIRMED_SIGNUP,
            proof=PROOF_AFTER_WITHDRAWAL,
        ),
        retention_rules=(
            RetentionRule(
                key="newsletter-unconfirmed",
                holder="newsletter.Subscriber",
                trigger="requested_at",
                period=UNCONFIRMED_SIGNUP,
                condition=lambda qs: qs.filter(status=SubscriberStatus.PENDING),
                description=interpolate(
                    _("Nicht bestätigte Anmeldungen werden nach %(period)s gelöscht."),
                    period=UNCONFIRMED_SIGNUP,
                ),
            ),
            RetentionRule(
                key="newsletter-withdrawn",
                holder="newsletter.Subscriber",
                trigger="unsubscribed_at",
                period=PROOF_AFTER_WITHDRAWAL,
                condition=lambda qs: qs.filter(status=SubscriberStatus.UNSUBSCRIBED),
                description=interpolate(
                    _(
                        "Nachweise abgemeldeter Abonnements werden %(period)s nach der Abmeldung gelöscht."
                    ),
                    period=PROOF_AFTER_WITHDRAWAL,
                ),
            ),
        ),
        policy_section="2.5",
    ),
    ProcessingActivity(
        key="customer-mail",
        name=_("Kundenmails"),
        purpose=_(
            "Information unserer Kunden und Interessenten, zu denen eine nahe Beziehung "
            "besteht, über Neuigkeiten und Änderungen unseres Angebots und über lizenzierte "
            "Softwareprodukte, auch zu sicherheitsrelevanten Punkten. Kunden erhalten sie als "
            "Direktwerbung an Bestandskunden nach § 7 Abs. 3 UWG mit dem Recht, jederzeit zu "
            "widersprechen; Interessenten nur mit ihrer Einwilligung. Jede Mail nennt in der "
            "Fußzeile die Grundlage, die für den Empfänger gilt, und enthält einen Abmeldelink, "
            "der eine dauerhafte E-Mail-Sperre setzt."
        ),
        legal_basis=(LegalBasis.LEGITIMATE_INTERESTS, LegalBasis.CONSENT),
        data_categories=(
            _("Name, E-Mail-Adresse, Organisation"),
            _("Beziehung (Kunde oder Interessent), Herkunft der Daten"),
        ),
        data_subjects=(_("Kunden und Interessenten mit naher Geschäftsbeziehung"),),
        origin=_("aus der Geschäftsbeziehung, von Ihnen mitgeteilt, oder aus unserem Kundenstamm"),
        recipients=(
            _("Vertrieb, Support und Marketing der OPTIGEM GmbH"),
            _("unser E-Mail-Dienstleister in Deutschland (Auftragsverarbeiter)"),
        ),
        retention=interpolate(
            _(
                "Kunden: solange die Kundenbeziehung besteht. Interessenten: %(period)s nach der "
                "letzten Änderung. Ein Widerspruch wirkt sofort und dauerhaft (E-Mail-Sperre)."
            ),
            period=PROSPECT_KEPT,
        ),
        retention_rules=(
            RetentionRule(
                key="customer-mail-prospects",
                holder="newsletter.Customer",
                trigger="updated_at",
                period=PROSPECT_KEPT,
                condition=lambda qs: qs.filter(relationship=Relationship.PROSPECT),
                description=interpolate(
                    _("Interessenten werden %(period)s nach der letzten Änderung gelöscht."),
                    period=PROSPECT_KEPT,
                ),
            ),
        ),
        policy_section="2.4",
    ),
    ProcessingActivity(
        key="mail-delivery",
        name=_("Versandprotokoll von Newsletter und Kundenmails"),
        purpose=_(
            "Jede Mail geht genau einmal hinaus: eine Zeile je Empfänger hält fest, ob sie "
            "versendet, gesperrt oder fehlgeschlagen ist. Daraus entstehen nur Gesamtzahlen, "
            "keine Auswertung Ihres Leseverhaltens."
        ),
        legal_basis=(LegalBasis.LEGITIMATE_INTERESTS,),
        data_categories=(_("E-Mail-Adresse, Zustellstatus, Zeitpunkt, Message-ID"),),
        data_subjects=(_("Empfänger von Newsletter und Kundenmails"),),
        origin=_("entsteht beim Versand"),
        recipients=(_("Marketing der OPTIGEM GmbH"),),
        retention=interpolate(
            _("Die Empfängeradresse wird %(period)s nach dem Versand entfernt."),
            period=DELIVERY_ADDRESS_KEPT,
        ),
        retention_rules=(
            RetentionRule(
                key="mail-delivery-address",
                holder="newsletter.Delivery",
                trigger="created_at",
                period=DELIVERY_ADDRESS_KEPT,
                condition=lambda qs: qs.filter(~Q(address="")).exclude(
                    status__in=[DeliveryStatus.QUEUED, DeliveryStatus.CLAIMED]
                ),
                action=RetentionAction.ANONYMISE,
                anonymise=_anonymise_deliveries,
                description=interpolate(
                    _("Versandzeilen verlieren %(period)s nach dem Versand die Empfängeradresse."),
                    period=DELIVERY_ADDRESS_KEPT,
                ),
            ),
        ),
        policy_section="2.4, 2.5",
    ),
    ProcessingActivity(
        key="mail-suppression",
        name=_("E-Mail-Sperre und Sperrliste"),
        purpose=_(
            "Wer sich abgemeldet, widersprochen oder die Löschung verlangt hat, erhält keine "
            "Newsletter oder Kundenmails mehr, auch nicht nach einem erneuten Import. Wir "
            "speichern dafür nicht die Adresse, sondern nur einen mit geheimem Schlüssel "
            "gebildeten Hash (HMAC-SHA256) mit Geltungsbereich, Grund, Eingangsweg und Datum."
        ),
        legal_basis=(LegalBasis.LEGAL_OBLIGATION, LegalBasis.LEGITIMATE_INTERESTS),
        data_categories=(_("Schlüssel-Hash der E-Mail-Adresse, Grund, Eingangsweg, Datum"),),
        data_subjects=(_("Personen, die keine Mails von uns mehr erhalten möchten"),),
        origin=_("Ihre Abmeldung, Ihr Widerspruch oder Ihr Antrag"),
        recipients=(_("niemand; nur die Versandprüfung liest die Liste"),),
        retention=_("solange die Sperre gelten soll; sie bleibt nach einer Löschung bestehen"),
        policy_section="2.4",
    ),
    Holder(
        model="newsletter.Subscriber",
        activity="newsletter",
        email_fields=("email",),
        export_fields=(
            "email",
            "name",
            "status",
            "language",
            "consent_version",
            "consent_hash",
            "form",
            "requested_at",
            "confirmed_at",
            "confirmation_message_id",
            "unsubscribed_at",
            "unsubscribe_channel",
            "unsubscribe_reference",
        ),
        editable_fields=("name",),
        description=_("Newsletter-Anmeldungen mit dem Nachweis der Einwilligung"),
    ),
    Holder(
        model="newsletter.Customer",
        activity="customer-mail",
        email_fields=("email",),
        export_fields=(
            "name",
            "email",
            "organisation",
            "relationship",
            "source",
            "consent_on",
            "consent_evidence",
            "created_at",
            "updated_at",
        ),
        editable_fields=("name", "email", "organisation"),
        description=_("Kunden und Interessenten für Kundenmails"),
    ),
    Holder(
        model="newsletter.Delivery",
        activity="mail-delivery",
        email_fields=("address",),
        export_fields=("mailing_subject", "status", "created_at", "sent_at", "message_id"),
        export_related=("mailing",),  # mailing_subject reads it
        erase=_anonymise_deliveries,
        anonymises=True,
        description=_("Versandzeilen von Newsletter und Kundenmails"),
    ),
    NoPersonalData(
        model="newsletter.Suppression",
        reason=_(
            "Nur HMAC-SHA256-Hashes der Adresse mit geheimem Schlüssel (ADDRESS_HASH_KEY), "
            "Geltungsbereich, Grund, Eingangsweg, Datum und Aktenzeichen: ohne den Schlüssel "
            "auf keine Person zurückzuführen. Die Sperre muss die Löschung überdauern "
            "(Art. 17 Abs. 3 lit. b, Art. 21 Abs. 3 DSGVO), sonst würde eine gelöschte "
            "Adresse beim nächsten Import wieder angeschrieben."
        ),
    ),
    NoPersonalData(
        model="newsletter.Mailing",
        reason=_(
            "Betreff und Text eines Newsletters oder einer Kundenmail; wer ihn schrieb und "
            "versandte, steht im Zugriffsprotokoll"
        ),
    ),
    NoPersonalData(
        model="newsletter.ConsentText",
        reason=_("Veröffentlichte Fassungen des Einwilligungstexts"),
    ),
    MailGuard(
        key="suppression",
        blocks=blocks,
        description=_("Sperrliste: Newsletter- und Kundenmail-Sperren (auch nach Löschung)"),
    ),
    Suppressor(
        key="suppression",
        suppress=suppress_for,
        description=_(
            "Nach einer Löschung ohne weitere Mails kommt die Adresse auf die Sperrliste."
        ),
    ),
    Grant(
        group="Marketing",
        permissions=(
            "newsletter.view_mailing",
            "newsletter.add_mailing",
            "newsletter.change_mailing",
            "newsletter.send_mailing",
            "newsletter.view_subscriber",
            "newsletter.change_subscriber",
            "newsletter.view_customer",
            "newsletter.add_customer",
            "newsletter.change_customer",
            "newsletter.delete_customer",
            "newsletter.view_suppression",
            "newsletter.add_suppression",
            "newsletter.view_consenttext",
            "newsletter.add_consenttext",
        ),
    ),
    Grant(
        group="Datenschutz",
        permissions=(
            "newsletter.view_subscriber",
            "newsletter.change_subscriber",
            "newsletter.view_customer",
            "newsletter.view_suppression",
            "newsletter.add_suppression",
            "newsletter.delete_suppression",
            "newsletter.view_consenttext",
        ),
    ),
)
