"""Steps that several browser tests share."""


def decline_optional_cookies(page) -> None:
    """Answer the cookie banner as a visitor would before using a page: 'Nur notwendige'."""
    banner = page.locator("#consent-banner")
    if banner.is_visible():
        banner.get_by_role("button", name="Nur notwendige").click()
        banner.wait_for(state="hidden")


def admin_login(page, base_url: str, username: str, password: str) -> None:
    """Log in to the admin as staff would. The one place to adapt when the admin asks for more
    than a password (a second factor)."""
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


def fits_width(page) -> bool:
    """No horizontal scrolling: the page is at most as wide as the window."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
