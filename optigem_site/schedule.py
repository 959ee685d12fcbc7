"""Every periodic task of the site, in one place; Celery beat reads it as CELERY_BEAT_SCHEDULE.

Schedules are cron expressions (https://crontab.guru/); the deletion run's time is a setting.
"""

from celery.schedules import crontab


def beat_schedule(*, deletion_hour: int = 3, deletion_minute: int = 15) -> dict[str, dict]:
    """Return the beat schedule; apps add their periodic tasks here and nowhere else."""
    return {
        # The regular deletion run of policy §3 (privacy/deletion.py), daily at a quiet hour.
        "privacy-deletion-run": {
            "task": "privacy.tasks.run_deletion",
            "schedule": crontab(hour=deletion_hour, minute=deletion_minute),
        },
    }
