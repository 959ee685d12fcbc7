"""A mailing in German and English, footers that state the legal basis, one issue a quarter."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from newsletter import services
from newsletter.models import Mailing, MailingKind
from newsletter.tests import factories

pytestmark = pytest.mark.django_db

ENGLISH = {"subject_en": "News of the quarter", "body_en": "# Hello\n\nSee **our page**."}


def _send(mailing, capture, **kwargs):
    with capture(execute=True):
        services.mailing_send(mailing=mailing, **kwargs)


def _by_recipient(outbox):
    return {m.to[0]: m for m in outbox}


def _path(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def test_english_subscribers_get_the_english_version_with_english_footer_and_link(
    mailoutbox, django_capture_on_commit_callbacks
):
    factories.subscriber("de@example.org")
    factories.subscriber("en@example.org", language="en")
    _send(factories.mailing(**ENGLISH), django_capture_on_commit_callbacks)
    mails = _by_recipient(mailoutbox)
    german, english = mails["de@example.org"], mails["en@example.org"]
    assert german.subject == "Neues aus dem Quartal" and "Hallo" in german.body
    assert "abonniert haben" in german.body and "Hello" not in german.body
    assert english.subject == "News of the quarter" and "Hello" in english.body
    assert "Hallo" not in english.body and "abonniert" not in english.body
    assert "You receive this newsletter" in english.body
    link = english.extra_headers["List-Unsubscribe"].strip("<>")
    assert link in english.body and _path(link).startswith("/en/newsletter/abmelden/")
    html = english.alternatives[0][0]
    assert '<html lang="en">' in html and "<strong>our page</strong>" in html
    # The English link works: it unsubscribes the English reader and answers in English.
    page = Client().post(_path(link))
    assert page.status_code == 200 and 'lang="en"' in page.content.decode()
    assert german.extra_headers["List-Unsubscribe"].count("/en/") == 0


def test_without_english_version_english_readers_get_german_text_with_english_footer(
    mailoutbox, django_capture_on_commit_callbacks
):
    factories.subscriber("en@example.org", language="en")
    _send(factories.mailing(), django_capture_on_commit_callbacks)
    (mail,) = mailoutbox
    assert mail.subject == "Neues aus dem Quartal" and "Hallo" in mail.body
    assert "You receive this newsletter" in mail.body and "/en/newsletter/abmelden/" in mail.body


def test_customer_footer_states_the_basis_that_applies_never_uwg_to_prospects(
    mailoutbox, django_capture_on_commit_callbacks
):
    factories.customer("kunde@example.org")
    factories.customer("interessent@example.org", relationship="prospect")
    _send(factories.mailing(kind=MailingKind.CUSTOMER), django_capture_on_commit_callbacks)
    mails = _by_recipient(mailoutbox)
    customer, prospect = mails["kunde@example.org"], mails["interessent@example.org"]
    for part in (customer.body, customer.alternatives[0][0]):
        assert "§ 7 Abs. 3 UWG" in part and "widersprechen" in part
        assert "Art. 6 Abs. 1 lit. f DSGVO" in part
    for part in (prospect.body, prospect.alternatives[0][0]):
        assert "UWG" not in part and "Interessent" not in part
        assert "eingewilligt" in part and "Art. 6 Abs. 1 lit. a DSGVO" in part
        assert "/kundenmail/abmelden/" in part


def test_prospect_only_mailing_never_cites_uwg(mailoutbox, django_capture_on_commit_callbacks):
    factories.customer("interessent@example.org", relationship="prospect")
    mailing = factories.mailing(kind=MailingKind.CUSTOMER, relationship="prospect")
    _send(mailing, django_capture_on_commit_callbacks)
    (mail,) = mailoutbox
    assert "UWG" not in mail.body and "eingewilligt" in mail.body


def test_admin_writes_both_versions_and_the_preview_shows_each_with_a_real_link(marketing):
    response = marketing.post(
        "/admin/newsletter/mailing/add/",
        {
            "kind": "newsletter",
            "relationship": "",
            "subject": "Quartal",
            "body": "**Neu** ![Logo](https://t.example/p.gif) <script>x()</script>",
            "subject_en": "Quarter",
            "body_en": "**New**",
        },
    )
    assert response.status_code == 302
    mailing = Mailing.objects.get()
    assert mailing.languages == ("de", "en")
    page = marketing.get(f"/admin/newsletter/mailing/{mailing.pk}/preview/").content.decode()
    assert "Deutsch – für Abonnenten" in page and "Englisch – für Abonnenten" in page
    assert "<strong>Neu</strong>" in page and "<strong>New</strong>" in page
    assert "<script>x()" not in page and "t.example" not in page
    assert "Beim Bereinigen entfernt und nicht in der Mail: Bilder, Skripte." in page
    assert page.count("Beim Bereinigen entfernt") == 1  # the English text lost nothing
    assert "__UNSUBSCRIBE_URL__" not in page
    links = {
        line.split('href="', 1)[1].split('"', 1)[0]
        for line in page.splitlines()
        if "abmelden/" in line and 'href="' in line
    }
    assert {_path(link).split("/abmelden/")[0] for link in links} == {
        "/newsletter",
        "/en/newsletter",
    }
    for link in links:
        assert Client().get(_path(link)).status_code == 200


def test_preview_says_english_readers_get_german_when_there_is_no_english(marketing):
    mailing = factories.mailing()
    page = marketing.get(f"/admin/newsletter/mailing/{mailing.pk}/preview/").content.decode()
    assert "Keine englische Fassung" in page and "You receive this newsletter" in page
    assert "Beim Bereinigen entfernt" not in page


def test_half_an_english_version_is_refused_and_the_text_kept(marketing):
    response = marketing.post(
        "/admin/newsletter/mailing/add/",
        {"kind": "newsletter", "subject": "Quartal", "body": "Text", "subject_en": "Quarter"},
    )
    page = response.content.decode()
    assert (
        response.status_code == 200 and "Zum englischen Betreff fehlt der englische Text." in page
    )
    assert 'value="Quarter"' in page and not Mailing.objects.exists()
    response = marketing.post(
        "/admin/newsletter/mailing/add/",
        {"kind": "customer", "subject": "K", "body": "T", "subject_en": "C", "body_en": "E"},
    )
    assert "Kundenmails gehen auf Deutsch hinaus" in response.content.decode()


def test_test_send_sends_each_version_to_the_staff_member(marketing, mailoutbox):
    mailing = factories.mailing(**ENGLISH)
    page = marketing.post(f"/admin/newsletter/mailing/{mailing.pk}/test/", follow=True)
    assert "Testmail an mia@optigem.com gesendet." in page.content.decode()
    assert sorted(m.subject for m in mailoutbox) == [
        "[TEST DE] Neues aus dem Quartal",
        "[TEST EN] News of the quarter",
    ]
    english = next(m for m in mailoutbox if "EN" in m.subject)
    assert "/en/newsletter/abmelden/" in english.body


def test_second_issue_in_a_quarter_needs_a_confirmed_reason_which_is_kept(
    marketing, django_capture_on_commit_callbacks
):
    factories.subscriber("leser@example.org")
    first = factories.mailing(subject="Erste Ausgabe")
    _send(first, django_capture_on_commit_callbacks)
    second = factories.mailing(subject="Sonderausgabe")
    url = f"/admin/newsletter/mailing/{second.pk}/send/"
    page = marketing.get(url).content.decode()
    assert "Weitere Ausgabe im" in page and "„Erste Ausgabe“" in page
    # Without the yes and the reason nothing is sent, and the typed reason stays.
    page = marketing.post(url, {"reason": "Sicherheitshinweis"}).content.decode()
    assert "Bitte bestätigen Sie die weitere Ausgabe ausdrücklich." in page
    assert "Sicherheitshinweis" in page
    page = marketing.post(url, {"confirm": "on", "reason": "  "}).content.decode()
    assert "Bitte geben Sie eine Begründung an." in page
    second.refresh_from_db()
    assert second.status == "draft"
    with pytest.raises(services.SecondIssueInQuarter):
        services.mailing_send(mailing=second)
    with django_capture_on_commit_callbacks(execute=True):
        response = marketing.post(
            url, {"confirm": "on", "reason": "Dringender Sicherheitshinweis zu Version 9"}
        )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == "sent"
    assert second.extra_issue_reason == "Dringender Sicherheitshinweis zu Version 9"
    change = marketing.get(f"/admin/newsletter/mailing/{second.pk}/change/").content.decode()
    assert "Begründung für eine weitere Ausgabe im selben Quartal" in change
    assert "Dringender Sicherheitshinweis zu Version 9" in change


def test_quarter_is_the_calendar_quarter_and_customer_mails_are_not_counted(
    django_capture_on_commit_callbacks,
):
    last_quarter = timezone.now() - timedelta(days=100)
    earlier = factories.mailing()
    services.mailing_send(mailing=earlier, now=last_quarter)
    customer_mail = factories.mailing(kind=MailingKind.CUSTOMER)
    services.mailing_send(mailing=customer_mail)
    issue = factories.mailing()
    assert services.mailing_earlier_issues(issue) == []
    assert services.mailing_send(mailing=issue)
    assert Mailing.objects.get(pk=issue.pk).extra_issue_reason == ""


@pytest.mark.django_db(transaction=True)
def test_two_issues_sent_at_once_cannot_both_find_the_quarter_empty():
    import threading

    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (CI runs on it)")
    first, second = factories.mailing(subject="Eins"), factories.mailing(subject="Zwei")
    holding, outcome = threading.Event(), {}

    def other_sender():
        holding.wait(10)
        try:
            outcome["second"] = services.mailing_send(mailing=second)
        except services.SecondIssueInQuarter as refusal:
            outcome["second"] = [m.subject for m in refusal.earlier]
        finally:
            connection.close()

    thread = threading.Thread(target=other_sender)
    thread.start()
    with transaction.atomic():  # the first send, not yet committed while the other one starts
        assert services.mailing_send(mailing=first)
        holding.set()
        thread.join(0.5)
        assert thread.is_alive()  # waits for the first send's lock instead of reading past it
    thread.join(10)
    assert outcome["second"] == ["Eins"]
    assert Mailing.objects.get(pk=second.pk).status == "draft"
