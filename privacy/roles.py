"""Staff groups and their permissions, as declared by the apps with ``Grant(...)``."""

from django.contrib.auth.models import Group, Permission

from .registry import STAFF_GROUPS, registry


def sync_group_permissions(**kwargs):
    """Give each staff group exactly the declared permissions that exist (run after migrate)."""
    for name in STAFF_GROUPS:
        group, _created = Group.objects.get_or_create(name=name)
        wanted = registry.grants.get(name, set())
        permissions = [
            perm
            for perm in Permission.objects.select_related("content_type")
            if f"{perm.content_type.app_label}.{perm.codename}" in wanted
        ]
        group.permissions.set(permissions)
