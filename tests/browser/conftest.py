"""Fixtures the browser tests share: a fake self-hosted Matomo on 127.0.0.1."""

from http.server import BaseHTTPRequestHandler

import pytest

from conftest import ThreadedServer
from optigem_site.settings.env import csp_with_origin

# Like the real matomo.js: reads ``_paq``, sets ``_pk_id``/``_pk_ses`` with the configured
# lifetimes and sends a hit to ``matomo.php``.
FAKE_MATOMO_JS = b"""(function () {
  var config = {};
  (window._paq || []).forEach(function (call) { config[call[0]] = call.slice(1); });
  var site = config.setSiteId[0], id = "0123456789abcdef";
  document.cookie = "_pk_id." + site + ".1a2b=" + id + ".1700000000; Max-Age=" +
    config.setVisitorCookieTimeout[0] + "; path=/; SameSite=Lax";
  document.cookie = "_pk_ses." + site + ".1a2b=1; Max-Age=" +
    config.setSessionCookieTimeout[0] + "; path=/; SameSite=Lax";
  new Image().src = config.setTrackerUrl[0] + "?idsite=" + site + "&rec=1&_id=" + id +
    "&url=" + encodeURIComponent(location.href);
})();
"""
PIXEL = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


@pytest.fixture
def matomo(settings):
    """A fake self-hosted Matomo on 127.0.0.1 that records every request it gets."""
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            received.append(self.path)
            if self.path.startswith("/matomo.js"):
                body, kind = FAKE_MATOMO_JS, "application/javascript"
            elif self.path.startswith("/matomo.php"):
                body, kind = PIXEL, "image/gif"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    with ThreadedServer(Handler) as server:
        settings.MATOMO_URL, settings.MATOMO_SITE_ID = f"{server.url}/", "1"
        settings.SECURE_CSP = csp_with_origin(settings.SECURE_CSP, settings.MATOMO_URL)
        server.received = received
        yield server
