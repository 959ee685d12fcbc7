"""A German staff member meets no English text on the admin's pages."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.urls import reverse

pytestmark = pytest.mark.django_db

# Words that showed on German admin pages (Django 6.1 strings its German catalogue lacks, and
# the project's own), plus common admin English.
ENGLISH = re.compile(
    r"\b(Select an option|Run|Filter by|Search|Note:|Enter times|Legal Holds|command|accuracy"
    r"|Add|Change|Delete|Save|Home|History|View site|Log out|Logout|Yes|No|Unknown|All|Today"
    r"|Past 7 days|This month|This year|Action|Go|entries|Pagination|Clear all filters|results?"
    r"|selected|Password|Permissions|Groups|Users|Enabled|Disabled)\b"
)


class VisibleText(HTMLParser):
    """The text a person reads: element text, placeholders, titles, button values."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        attrs = dict(attrs)
        for name in ("placeholder", "title", "aria-label", "alt"):
            if attrs.get(name):
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def english_on(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return sorted({m.group(0) for part in parser.parts for m in ENGLISH.finditer(part)})


def admin_pages():
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        yield reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        if model_admin.has_add_permission.__func__ is not admin.ModelAdmin.has_add_permission:
            continue
        yield reverse(f"admin:{opts.app_label}_{opts.model_name}_add")


def test_no_english_on_any_admin_list_or_add_page(client):
    boss = User.objects.create_superuser("boss", "boss@optigem.com", "pw")
    client.force_login(boss)
    found = {}
    for url in ["/admin/", *admin_pages()]:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="de")
        assert response.status_code == 200, url
        words = english_on(response.content.decode())
        if words:
            found[url] = words
    assert found == {}, "\n".join(f"{url}: {words}" for url, words in found.items())


def test_admin_javascript_speaks_german(client):
    boss = User.objects.create_superuser("boss", "boss@optigem.com", "pw")
    client.force_login(boss)
    catalogue = client.get("/admin/jsi18n/").content.decode()
    assert "Hinweis: Uhrzeiten in der Zeitzone" in catalogue
    assert "Heute (%(date)s)" in catalogue
