"""What only a browser shows: the pages load nothing from other hosts and break no CSP rule."""

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from privacy.services import policy_publish

from .helpers import decline_optional_cookies, fits_width

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("path", ["/", "/datenschutz/", "/impressum/", "/en/datenschutz/"])
def test_page_loads_only_own_resources_without_csp_violations(chromium, live_server, path):
    policy_publish(summary="Erste Fassung")
    page = chromium.new_page()
    requested, problems = [], []
    page.on("request", lambda request: requested.append(request.url))
    page.on(
        "console",
        lambda message: message.type in ("error", "warning") and problems.append(message.text),
    )
    try:
        response = page.goto(live_server.url + path)
        assert response.status == 200
        assert page.locator("h1").first.is_visible()
        stylesheet_applied = page.evaluate(
            "getComputedStyle(document.querySelector('.skip-link')).position"
        )
    finally:
        page.close()
    own = urlsplit(live_server.url).netloc
    assert {urlsplit(url).netloc for url in requested} == {own}
    assert any(url.endswith(".css") for url in requested)
    assert stylesheet_applied == "absolute"  # the self-hosted stylesheet was allowed by the CSP
    assert problems == []


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize(("path", "lang"), [("/datenschutz/", "de"), ("/en/datenschutz/", "en")])
def test_the_retention_list_states_each_rule_once(chromium, live_server, width, path, lang):
    """§ 3 as a visitor sees it: the pupils' rule once, naming the three forms; no sideways scroll."""
    policy_publish(summary="Erste Fassung")
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(live_server.url + path)
        if lang == "de":
            decline_optional_cookies(page)
        else:
            page.get_by_role("button", name="Necessary only").click()
        rules = page.locator("ul.retention li").all_inner_texts()
        pupils = [r for r in rules if ("16-Jährigen" if lang == "de" else "under 16") in r]
        assert len(pupils) == 1
        for form in ("Kontaktformular", "Supportanfrage") if lang == "de" else ("Contact form",):
            assert form in pupils[0]
        assert fits_width(page)
        page.locator("ul.retention").scroll_into_view_if_needed()
        Path("var/screenshots").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"var/screenshots/policy-retention-{lang}-{width}.png")
    finally:
        context.close()
