"""Discovery finds the staff-access log through ``actor__email__iexact``, which Django turns into
``UPPER(auth_user.email::text) = UPPER(%s)``; this expression index serves that lookup."""

from django.conf import settings
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("dsar", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS dsar_auth_user_email_upper ON auth_user (UPPER(email))",
            "DROP INDEX IF EXISTS dsar_auth_user_email_upper",
        ),
    ]
