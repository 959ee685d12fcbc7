"""Every periodic task of the site, in one place; Celery beat reads it as CELERY_BEAT_SCHEDULE.

Schedules are cron expressions (https://crontab.guru/); the deletion run's time is a setting.
"""

from celery.schedules import crontab


def beat_schedule(*, deletion_hour: int = 3, deletion_minute: int = 15) -> dict[str, dict]:
    """Return the beat schedule; apps add their periodic tasks here and nowhere else."""
    return {
        "newsletter-recover": {
            "task": "newsletter.tasks.deliveries_recover",
            "schedule": crontab(minute="*"),
        },
    }
