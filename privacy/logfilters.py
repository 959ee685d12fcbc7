"""A logging filter that masks IP addresses, so no log line carries a client address (§1.3)."""

import ipaddress
import logging
import re

# Candidates are cheap to find; each is then validated, so versions ("6.1.3") and times
# ("12:30:01") stay as they are.
_CANDIDATE = re.compile(
    r"(?<![\w.:])[0-9A-Fa-f]*(?::[0-9A-Fa-f.]*){2,}(?:%\w+)?|\b(?:\d{1,3}\.){3}\d{1,3}\b"
)
REDACTED = "[ip entfernt]"


def _mask(match: re.Match) -> str:
    token = match.group(0)
    # A colon right after an address ("from ::1: ok") belongs to the sentence, not the address.
    for end in range(len(token), 1, -1):
        try:
            ipaddress.ip_address(token[:end].split("%")[0])
        except ValueError:
            if token[end - 1] != ":":
                break
            continue
        return REDACTED + token[end:]
    return token


def redact(text: str) -> str:
    """The text with every IPv4 and IPv6 address replaced by a marker."""
    return _CANDIDATE.sub(_mask, text)


class RedactIPAddresses(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
