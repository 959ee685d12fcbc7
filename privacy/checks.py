"""System checks that keep the registry complete: every model of every installed app (the
project's, Django's own and third-party ones) is declared."""

from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import FieldDoesNotExist

from .registry import RetentionAction, registry


def project_app_configs():
    base = Path(settings.BASE_DIR).resolve()
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(base) and ".venv" not in path.parts:
            yield config


def _declared_in(config) -> str:
    """Where a model's declaration belongs: its app's privacy.py; for an app that is not the
    project's (Django's own, a third-party one), the privacy.py of the app that uses it."""
    if config in set(project_app_configs()):
        return f"{config.name}/privacy.py"
    return "the privacy.py of the project app that uses it (e.g. accounts/privacy.py)"


def _lookup_exists(model, lookup: str) -> bool:
    for name in lookup.split("__"):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        model = field.related_model or model
    return True


@register(Tags.models)
def check_models_declared(app_configs=None, **kwargs):
    errors = []
    declared = registry.holders.keys() | registry.no_personal_data.keys()
    for config in apps.get_app_configs():
        for model in config.get_models():
            label = model._meta.label
            if label not in declared:
                errors.append(
                    Error(
                        f"Model {label} is declared neither as a personal-data holder nor "
                        "as holding no personal data.",
                        hint=f"Declare it in {_declared_in(config)} with Holder(...) "
                        "or NoPersonalData(...).",
                        obj=model,
                        id="privacy.E001",
                    )
                )
    return errors


@register(Tags.models)
def check_declarations_consistent(app_configs=None, **kwargs):
    errors = []
    for label, holder in registry.holders.items():
        try:
            model = holder.get_model()
        except (LookupError, ValueError):
            errors.append(Error(f"Holder {label} names no installed model.", id="privacy.E002"))
            continue
        if holder.activity not in registry.activities:
            errors.append(
                Error(
                    f"Holder {label} names the unknown activity {holder.activity!r}.",
                    id="privacy.E003",
                )
            )
        for lookup in (*holder.email_fields, *holder.export_fields, *holder.editable_fields):
            if not _lookup_exists(model, lookup) and not hasattr(model, lookup):
                errors.append(
                    Error(f"Holder {label} names the unknown field {lookup!r}.", id="privacy.E004")
                )
        if not holder.email_fields and not holder.find:
            errors.append(
                Error(f"Holder {label} has no way to find a person's rows.", id="privacy.E005")
            )
    for rule in registry.retention_rules:
        try:
            model = rule.get_model()
        except (LookupError, ValueError):
            errors.append(
                Error(f"Retention rule {rule.key} names no installed model.", id="privacy.E006")
            )
            continue
        if rule.action == RetentionAction.ANONYMISE and rule.anonymise is None:
            errors.append(
                Error(
                    f"Retention rule {rule.key} anonymises but names no anonymise function.",
                    id="privacy.E008",
                )
            )
        for lookup in filter(None, (rule.trigger, rule.statutory_trigger)):
            if not _lookup_exists(model, lookup):
                errors.append(
                    Error(
                        f"Retention rule {rule.key} names the unknown field {lookup!r}.",
                        id="privacy.E007",
                    )
                )
    return errors
