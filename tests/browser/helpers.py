"""Steps that several browser tests share."""


def decline_optional_cookies(page) -> None:
    """Answer the cookie banner as a visitor would before using a page: 'Nur notwendige'."""
    banner = page.locator("#consent-banner")
    if banner.is_visible():
        banner.get_by_role("button", name="Nur notwendige").click()
        banner.wait_for(state="hidden")
