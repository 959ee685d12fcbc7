"""Steps that several browser tests share."""


def decline_optional_cookies(page) -> None:
    """Answer the cookie banner as a visitor would before using a page: 'Nur notwendige'."""
    banner = page.locator("#consent-banner")
    if banner.is_visible():
        banner.get_by_role("button", name="Nur notwendige").click()
        banner.wait_for(state="hidden")


def totp_code(secret_b32: str) -> str:
    """The current code an authenticator app shows for ``secret_b32``."""
    import time
    from base64 import b32decode

    from django_otp.oath import TOTP

    totp = TOTP(b32decode(secret_b32), step=30, digits=6)
    totp.time = time.time()
    return f"{totp.token():06d}"


def pass_second_factor(client, user) -> None:
    """Mark ``client``'s session as past the second factor, as ``django_otp.login`` does after
    a code: the user gets a confirmed authenticator (if none) and the session names it."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def admin_login(page, base_url: str, username: str, password: str) -> None:
    """Log in to the admin as staff would: password, then the second factor (enrolment with
    the authenticator on first sign-in, else a backup code, made here as a colleague's reset
    and re-issue would)."""
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/admin/zweiter-faktor/**")
    if "/einrichten/" in page.url:
        page.fill("#id_code", totp_code(page.inner_text("#totp-secret")))
        page.click("input[type=submit]")
        page.get_by_role("link", name="Weiter zur Verwaltung").click()
    else:
        from django.contrib.auth import get_user_model

        from accounts.services import backup_codes_create

        user = get_user_model().objects.get(username=username)
        page.fill("#id_code", backup_codes_create(user=user, count=1)[0])
        page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


def fits_width(page) -> bool:
    """No horizontal scrolling: the page is at most as wide as the window."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
