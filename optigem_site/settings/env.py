import copy
from pathlib import Path
from urllib.parse import urlsplit

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

GUARDED_BACKEND = "privacy.mail.GuardedBackend"


def mail_backend(url: str, *, timeout: int) -> dict:
    """The backend path and OPTIONS that an ``EMAIL_URL`` (smtp://, consolemail://, …) names."""
    config = env.email_url_config(url)
    backend = config["EMAIL_BACKEND"]
    options: dict = {}
    if backend.endswith(".smtp.EmailBackend"):
        options = {
            "host": config["EMAIL_HOST"],
            "port": config["EMAIL_PORT"],
            "username": config["EMAIL_HOST_USER"],
            "password": config["EMAIL_HOST_PASSWORD"],
            "use_tls": bool(config.get("EMAIL_USE_TLS")),
            "use_ssl": bool(config.get("EMAIL_USE_SSL")),
            "timeout": timeout,
        }
    elif backend.endswith(".filebased.EmailBackend"):
        options = {"file_path": config["EMAIL_FILE_PATH"]}
    return {"backend": backend, "options": options}


def guarded_mailers(url: str, *, timeout: int) -> dict:
    """MAILERS: the default mailer and the newsletter's hand-off, both behind the mail guards."""
    guarded = {"BACKEND": GUARDED_BACKEND, "OPTIONS": mail_backend(url, timeout=timeout)}
    return {"default": guarded, "newsletter": copy.deepcopy(guarded)}


def csp_with_origin(csp: dict, url: str) -> dict:
    """``csp`` with the origin of ``url`` (a self-hosted Matomo) for its script, beacon and image
    hit; ``csp`` itself when ``url`` is empty."""
    if not url:
        return csp
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    directives = ("script-src", "connect-src", "img-src")
    return {**csp, **{name: [*csp.get(name, []), origin] for name in directives}}
