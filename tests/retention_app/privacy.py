"""Registry declarations of the test holders: one retention rule of each kind."""

from privacy.registry import (
    AO_147,
    HGB_257,
    Holder,
    LegalBasis,
    Period,
    ProcessingActivity,
    RetentionAction,
    RetentionRule,
    registry,
)


def anonymise_registrations(rows) -> int:
    return rows.update(email="", name="", anonymised=True)


registry.register(
    ProcessingActivity(
        key="retention-test",
        name="Nur für Tests: Aufbewahrung",
        purpose="Testdaten des Löschlaufs",
        legal_basis=(LegalBasis.CONTRACT,),
        data_categories=("erfundene Namen und Adressen",),
        data_subjects=("niemand",),
        origin="Tests",
        recipients=("niemand",),
        retention="siehe Regeln",
        retention_rules=(
            RetentionRule(
                key="test-inquiries",
                holder="retention_app.Inquiry",
                trigger="created_at",
                period=Period(months=6),
                description="Anfragen sechs Monate nach Eingang",
            ),
            RetentionRule(
                key="test-inquiries-unconfirmed",
                holder="retention_app.Inquiry",
                trigger="created_at",
                period=Period(hours=72),
                condition=lambda rows: rows.filter(confirmed=False),
                description="Unbestätigte Anfragen nach 72 Stunden",
            ),
            RetentionRule(
                key="test-orders",
                holder="retention_app.Order",
                trigger="closed_at",
                period=Period(years=1),
                statutory=AO_147,
                statutory_trigger="invoiced_on",
                description="Aufträge ein Jahr nach Abschluss, Rechnungen zehn Jahre",
            ),
            RetentionRule(
                key="test-letters",
                holder="retention_app.Letter",
                trigger="sent_at",
                period=Period(months=1),
                statutory=HGB_257,
                description="Geschäftsbriefe nach sechs Jahren ab Jahresende",
            ),
            RetentionRule(
                key="test-registrations",
                holder="retention_app.Registration",
                trigger="created_at",
                period=Period(years=1),
                condition=lambda rows: rows.filter(anonymised=False),
                action=RetentionAction.ANONYMISE,
                anonymise=anonymise_registrations,
                description="Anmeldungen ein Jahr danach anonymisiert",
            ),
            RetentionRule(
                key="test-vouchers",
                holder="retention_app.Voucher",
                trigger="created_at",
                period=Period(days=30),
                description="Gutscheine 30 Tage nach Ausgabe",
            ),
        ),
    ),
    *(
        Holder(
            model=f"retention_app.{name}",
            activity="retention-test",
            email_fields=(email,),
            export_fields=("pk",),
        )
        for name, email in (
            ("Inquiry", "email"),
            ("InquiryNote", "inquiry__email"),
            ("Order", "email"),
            ("Letter", "email"),
            ("Registration", "email"),
            ("Voucher", "email"),
        )
    ),
)
