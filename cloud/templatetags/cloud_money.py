"""Amounts the German way on every page and in every language: "1.234,50 €"."""

from decimal import Decimal

from django import template

register = template.Library()

SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}
NBSP = "\u00a0"


def german_number(amount) -> str:
    """``Decimal("1234.5")`` → "1.234,50"."""
    value = Decimal(amount).quantize(Decimal("0.01"))
    sign = "-" if value < 0 else ""
    whole, cents = f"{abs(value):,.2f}".split(".")
    return f"{sign}{whole.replace(',', '.')},{cents}"


def money_text(amount, currency: str = "EUR") -> str:
    if amount is None or amount == "":
        return "–"
    return f"{german_number(amount)}{NBSP}{SYMBOLS.get(currency, currency)}"


@register.filter
def money(amount, currency="EUR"):
    """``{{ receipt.amount|money:receipt.currency }}`` → "42,50 €" (a no-break space before it)."""
    return money_text(amount, currency or "EUR")
