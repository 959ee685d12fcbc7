"""Every periodic task of the site, in one place; Celery beat reads it as CELERY_BEAT_SCHEDULE.

Schedules are cron expressions (https://crontab.guru/); the deletion run's time is a setting.
"""

from celery.schedules import crontab

from optigem_site.settings.env import env


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
        # Newsletter confirmation mails a broker outage left unsent: every 5 minutes
        # (https://crontab.guru/#*/5_*_*_*_*).
        "newsletter-send-due-confirmations": {
            "task": "newsletter.tasks.send_due_confirmations",
            "schedule": crontab(minute="*/5"),
        },
        # CX mails (password reset links, invitations, notices) a broker or SMTP outage left
        # unsent: every minute, since a person waits for a reset link
        # (https://crontab.guru/#*_*_*_*_*).
        "cloud-send-unsent-mails": {
            "task": "cloud.tasks.send_unsent_mails",
            "schedule": crontab(minute="*"),
        },
        # OPTIGEM CX cloud: daily backup with rotation (https://crontab.guru/#30_2_*_*_*) and the
        # reminder a week before a cancelled organisation is erased (https://crontab.guru/#0_7_*_*_*).
        "cloud-backup": {
            "task": "cloud.tasks.run_backup",
            "schedule": crontab(hour=env.int("CLOUD_BACKUP_HOUR", default=2), minute=30),
        },
        "cloud-erasure-reminders": {
            "task": "cloud.tasks.send_erasure_reminders",
            "schedule": crontab(hour=7, minute=0),
        },
        # Uploads kept while a receipt form had errors go after a day, hourly
        # (https://crontab.guru/#17_*_*_*_*).
        "cloud-pending-uploads": {
            "task": "cloud.tasks.remove_pending_uploads",
            "schedule": crontab(minute=17),
        },
        # The regular deletion run of policy §3 (privacy/deletion.py), daily at a quiet hour.
        "privacy-deletion-run": {
            "task": "privacy.tasks.run_deletion",
            "schedule": crontab(hour=deletion_hour, minute=deletion_minute),
        },
        # Newsletter: free the claims of dead workers and restart stalled mailings, every minute.
        "newsletter-recover": {
            "task": "newsletter.tasks.deliveries_recover",
            "schedule": crontab(minute="*"),
        },
    }
