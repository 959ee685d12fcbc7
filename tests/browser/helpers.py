"""Steps that several browser tests share."""


def decline_optional_cookies(page, label: str = "Nur notwendige") -> None:
    """Answer the cookie banner as a visitor would before using a page: 'Nur notwendige'
    (``label`` in the page's language)."""
    banner = page.locator("#consent-banner")
    if banner.is_visible():
        banner.get_by_role("button", name=label).click()
        banner.wait_for(state="hidden")


def cookie_names(page) -> set[str]:
    return {cookie["name"] for cookie in page.context.cookies()}


def pk_cookies(page) -> set[str]:
    """The Matomo cookies the browser holds."""
    return {name for name in cookie_names(page) if name.startswith("_pk_")}


def wait_for(condition, timeout: float = 10.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


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


SCREENSHOTS = __import__("pathlib").Path(__file__).resolve().parents[2] / "var" / "screenshots"

# The page as a German reader meets it: quoted English content (an English mailing version,
# marked lang="en") is left out, the rest must be German.
_GERMAN_PART = """() => {
  const copy = document.documentElement.cloneNode(true);
  copy.querySelectorAll('[lang="en"], script, style').forEach((node) => node.remove());
  return copy.outerHTML;
}"""


def check_admin_page(page, name: str, width: int) -> None:
    """Every admin page a journey visits: no English word, no sideways scrolling, a screenshot."""
    from tests.test_admin_german import english_on

    page.wait_for_load_state()
    english = english_on(page.evaluate(_GERMAN_PART))
    assert english == [], f"{name}: English on the page: {english}"
    assert fits_width(page), f"{name}: wider than {width} px"
    # Django 6 styles only <ol class="breadcrumbs">; the old <div> markup shows unstyled.
    assert page.locator("div.breadcrumbs").count() == 0, f"{name}: unstyled breadcrumbs"
    crumbs = [text.strip() for text in page.locator(".breadcrumbs li").all_inner_texts()]
    assert len(set(crumbs)) == len(crumbs), f"{name}: breadcrumb repeats itself: {crumbs}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)


def staff_page(chromium, live_server, username: str, group: str, password: str, width: int):
    """A signed-in page of a new staff member of ``group``; returns (context, page, user)."""
    from django.contrib.auth.models import Group, User

    from privacy.roles import sync_group_permissions

    sync_group_permissions()
    user = User.objects.create_user(
        username, f"{username}@optigem.com", password, is_staff=True, first_name=username.title()
    )
    user.groups.add(Group.objects.get(name=group))
    context = chromium.new_context(locale="de-DE", viewport={"width": width, "height": 900})
    page = context.new_page()
    admin_login(page, live_server.url, username, password)
    return context, page, user
