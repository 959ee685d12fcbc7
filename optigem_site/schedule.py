"""Every periodic task of the site, in one place; Celery beat reads it as CELERY_BEAT_SCHEDULE.

Schedules are cron expressions (https://crontab.guru/); the deletion run's time is a setting.
"""

from celery.schedules import crontab


def beat_schedule(*, deletion_hour: int = 3, deletion_minute: int = 15) -> dict[str, dict]:
    """Return the beat schedule; apps add their periodic tasks here and nowhere else."""
    return {
        # Data-subject requests due within seven days: a mail to the Datenschutz group.
        "dsar-due-reminders": {
            "task": "dsar.tasks.remind_due_requests",
            "schedule": crontab(hour=7, minute=30),
        },
        # Request mails a broker or SMTP outage left unsent: every 5 minutes
        # (https://crontab.guru/#*/5_*_*_*_*).
        "contact-send-unsent-mails": {
            "task": "contact.tasks.send_unsent_inquiry_mails",
            "schedule": crontab(minute="*/5"),
        },
    }
