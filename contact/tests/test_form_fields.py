"""What a person filling in a form notices: autofill, phone keypad, a visible focus ring."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from contact.tests.factories import make_event

pytestmark = pytest.mark.django_db


def _inputs(html: str) -> dict[str, str]:
    return {
        name: tag
        for tag in re.findall(r"<input[^>]*>", html)
        for name in re.findall(r'name="([^"]+)"', tag)[:1]
        if 'name="' in tag
    }


def test_personal_data_inputs_carry_autocomplete_and_the_phone_is_type_tel(client):
    event = make_event()
    for url in ("/kontakt/", "/support/", f"/schulungen/{event.slug}/anmeldung/"):
        inputs = _inputs(client.get(url).content.decode())
        assert 'autocomplete="name"' in inputs["name"], url
        assert 'autocomplete="email"' in inputs["email"], url
        assert 'type="tel"' in inputs["phone"] and 'autocomplete="tel"' in inputs["phone"], url
        assert 'autocomplete="section-guardian email"' in inputs["guardian_email"], url
    contact = _inputs(client.get("/kontakt/").content.decode())
    assert 'autocomplete="organization"' in contact["organisation"]
    newsletter = _inputs(client.get("/newsletter/").content.decode())
    assert 'autocomplete="email"' in newsletter["email"]
    assert 'autocomplete="name"' in newsletter["name"]


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_focus_ring_has_3_to_1_against_every_colour_beside_it_and_passwords_look_alike():
    css = (Path(settings.BASE_DIR) / "static/css/site.css").read_text()
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", css))
    rule = re.search(r"^:focus-visible \{([^}]*)\}", css, re.M).group(1)
    # The ring sits on a band of the page colour (box-shadow) and then on whatever is around.
    assert "outline: 3px solid var(--focus)" in rule and "0 0 0 2px var(--bg)" in rule
    for beside in ("bg", "accent"):
        assert _contrast(colours["focus"], colours[beside]) >= 3, beside
    for box in ("#fde8eb", "#e6f4ea"):  # the message boxes
        assert _contrast(colours["focus"], box) >= 3
    text_inputs = re.search(r"(input\[type=text\][^{]*)\{", css).group(1)
    assert "input[type=password]" in text_inputs
