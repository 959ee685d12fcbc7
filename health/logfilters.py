"""A logging filter that drops records of the health endpoints (probes every few seconds)."""

import logging

PATHS = ("/healthz", "/readyz")


class SkipHealthChecks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        path = getattr(request, "path", None)
        if path is None and isinstance(record.args, dict):  # gunicorn's access log atoms
            path = record.args.get("U")
        if path is None:  # django.server's "GET /readyz HTTP/1.1" 200
            path = str(getattr(record, "request_line", "") or record.getMessage()).split(" ")
            path = path[1] if len(path) > 1 else ""
            path = path.strip('"')
        return path.split("?")[0] not in PATHS
