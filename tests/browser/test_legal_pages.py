"""What only a browser shows: the pages load nothing from other hosts and break no CSP rule."""

from urllib.parse import urlsplit

import pytest

from privacy.services import policy_publish

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
