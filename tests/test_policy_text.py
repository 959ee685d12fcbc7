"""The policy as a visitor reads it says each thing once, and says it as the registry does."""

import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from privacy.registry import CookieCategory, registry
from privacy.services import policy_publish

pytestmark = pytest.mark.django_db

# A sentence: starts with a capital letter, ends with . ! or ?; at least five words. The dot
# of an abbreviation (Art. 6 Abs. 1, bzw., Inc.) ends no sentence.
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ„“\"])")
ABBREVIATION = re.compile(r"\b(Art|Abs|bzw|Nr|lit|ggf|vgl|z\.\s?B|d\.\s?h|Inc|Co|S)\.\s")


class _Blocks(HTMLParser):
    """The text of the policy article, one string per text node (table cells stay apart)."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.blocks: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "article" or self.depth:
            self.depth += 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and data.strip():
            self.blocks.append(" ".join(data.split()))


def sentences(html: str) -> list[str]:
    parser = _Blocks()
    # Inline markup splits a sentence into text nodes; join those before splitting sentences.
    parser.feed(re.sub(r"</?(?:em|code|a)\b[^>]*>", "", html))
    found = []
    for block in parser.blocks:
        block = ABBREVIATION.sub(r"\1.~", block)
        for part in SENTENCE_END.split(block):
            if part[-1:] in ".!?" and len(part.split()) >= 5:
                found.append(part)
    return found


@pytest.fixture
def published(db):
    return policy_publish(summary="Erste Fassung")


@pytest.mark.parametrize("path", ["/datenschutz/", "/en/datenschutz/"])
def test_no_sentence_of_the_policy_appears_twice(client, published, path):
    found = sentences(client.get(path).content.decode())
    assert len(found) > 100  # the whole policy was read, not an empty page
    repeated = {sentence: n for sentence, n in Counter(found).items() if n > 1}
    assert repeated == {}


def test_the_sentence_check_finds_a_repeated_sentence():
    html = "<article><p>Wir löschen die Anfrage nach drei Tagen.</p><ul><li><strong>A:</strong> Wir löschen die Anfrage nach drei Tagen.</li></ul></article>"
    assert Counter(sentences(html))["Wir löschen die Anfrage nach drei Tagen."] == 2


@pytest.mark.parametrize(("path", "lang"), [("/datenschutz/", "de"), ("/en/datenschutz/", "en")])
def test_the_policy_names_every_statistics_cookie_and_the_guardian_period(
    client, published, path, lang
):
    html = client.get(path).content.decode()
    matomo = html[html.index('id="tools"') :]
    for cookie in registry.cookies_in(CookieCategory.STATISTICS):
        assert f"<code>{cookie.name}</code>" in matomo
    with translation.override(lang):
        period = str(registry.periods["guardian-confirmation"])
    section_1_5 = html[
        html.index("1.5") : html.index('id="' + ("verwendung" if lang == "de" else "use"))
    ]
    assert period in section_1_5
    with translation.override(lang):
        validity = str(registry.periods["consent-validity"])
    assert validity in html[html.index('id="cookies"') : html.index('id="tools"')]


def test_no_translation_repeats_itself():
    # A merge of catalogues once left English texts two and three times over in one msgstr.
    for catalogue in Path(settings.BASE_DIR).glob("*/locale/*/LC_MESSAGES/django.po"):
        if ".venv" in catalogue.parts:
            continue
        text = catalogue.read_text(encoding="utf-8")
        for raw in re.findall(r'^msgstr ((?:".*"\n)+)', text, flags=re.M):
            message = "".join(re.findall(r'"(.*)"', raw))
            for times in (2, 3):
                whole = len(message) // times
                assert not (
                    message and len(message) % times == 0 and message == message[:whole] * times
                ), f"{catalogue}: {message[:60]}"
