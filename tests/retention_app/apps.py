from django.apps import AppConfig


class RetentionAppConfig(AppConfig):
    """Holder models for the deletion run's tests; installed only by the test settings."""

    name = "tests.retention_app"
    label = "retention_app"
    default_auto_field = "django.db.models.BigAutoField"
