"""A logging filter that masks IP addresses, so no log line carries a client address (§1.3)."""

import logging
import re

_IPV4 = r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])"
_IPV6 = (
    r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){2,7}(?::|[0-9A-Fa-f]{1,4})(?![\w:])|(?<![\w:])::1(?![\w:])"
)
IP_ADDRESS = re.compile(f"{_IPV4}|{_IPV6}")
REDACTED = "[ip entfernt]"


def redact(text: str) -> str:
    return IP_ADDRESS.sub(REDACTED, text)


class RedactIPAddresses(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
