"""gunicorn settings for production: the access log carries no client address (policy §1.3)."""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
wsgi_app = "optigem_site.wsgi:application"
# The same settings module as manage.py and Celery: DJANGO_SETTINGS_MODULE, production if unset.
raw_env = [
    "DJANGO_SETTINGS_MODULE="
    + os.environ.get("DJANGO_SETTINGS_MODULE", "optigem_site.settings.production")
]
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Both logs go to standard output/error, for the process supervisor (systemd, …) to collect.
accesslog = "-"
errorlog = "-"
# Time, request line, status, size, duration: no %(h)s (remote address), no user agent, no referrer.
access_log_format = '%(t)s "%(r)s" %(s)s %(B)s %(M)sms'

# Error and access logs pass through the same filter as Django's, which masks any address.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_ip": {"()": "privacy.logfilters.RedactIPAddresses"},
        "skip_health": {"()": "health.logfilters.SkipHealthChecks"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "message": {"format": "%(message)s"},
    },
    "handlers": {
        "error": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_ip"],
            "stream": "ext://sys.stderr",
        },
        "access": {
            "class": "logging.StreamHandler",
            "formatter": "message",
            "filters": ["redact_ip", "skip_health"],
            "stream": "ext://sys.stdout",
        },
    },
    # gunicorn merges this over its defaults shallowly: the root logger must name our handler.
    "root": {"level": "INFO", "handlers": ["error"]},
    "loggers": {
        "gunicorn.error": {"handlers": ["error"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
}
