import copy
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

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


FILESYSTEM_STORAGE = "django.core.files.storage.FileSystemStorage"
S3_STORAGE = "storages.backends.s3.S3Storage"
# What an s3:// URL's query may set (django-storages' S3Storage options of the same name).
S3_QUERY_OPTIONS = {"endpoint_url", "region_name", "addressing_style", "signature_version"}


def storage_from_url(url: str, *, location: Path | None = None) -> dict:
    """A STORAGES entry from ``STORAGE_URL``-style text.

    Empty or ``file://``: a folder (the URL's path, else ``location``, else MEDIA_ROOT). ``s3://bucket/prefix?
    endpoint_url=https://…&region_name=…`` : an S3-compatible bucket through django-storages,
    private, signed links, never overwriting; ``server_side_encryption=AES256`` asks the
    provider to encrypt at rest. Keys come from ``AWS_ACCESS_KEY_ID`` and
    ``AWS_SECRET_ACCESS_KEY``, which django-storages reads itself.
    """
    parts = urlsplit(url)
    if not url or parts.scheme == "file":
        folder = parts.path or location
        return {
            "BACKEND": FILESYSTEM_STORAGE,
            "OPTIONS": {"location": str(folder)} if folder else {},
        }
    if parts.scheme != "s3" or not parts.netloc:
        raise ImproperlyConfigured(f"Storage URL {url!r}: use file:///folder or s3://bucket/…")
    options: dict = {
        "bucket_name": parts.netloc,
        "location": parts.path.strip("/"),
        "default_acl": None,  # the bucket's own policy: private
        "querystring_auth": True,
        "file_overwrite": False,
    }
    for key, value in parse_qsl(parts.query):
        if key == "server_side_encryption":
            options["object_parameters"] = {"ServerSideEncryption": value}
        elif key in S3_QUERY_OPTIONS:
            options[key] = value
        else:
            raise ImproperlyConfigured(f"Storage URL {url!r}: unknown option {key!r}")
    return {"BACKEND": S3_STORAGE, "OPTIONS": options}


def csp_with_origin(csp: dict, url: str) -> dict:
    """``csp`` with the origin of ``url`` (a self-hosted Matomo) for its script, beacon and image
    hit; ``csp`` itself when ``url`` is empty."""
    if not url:
        return csp
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    directives = ("script-src", "connect-src", "img-src")
    return {**csp, **{name: [*csp.get(name, []), origin] for name in directives}}
