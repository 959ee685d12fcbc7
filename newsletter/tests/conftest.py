import pytest


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    """Each test starts with no sign-ups counted against its client."""
    from django.core.cache import caches

    caches["default"].clear()


@pytest.fixture
def marketing(client):
    """A client signed in as a member of the Marketing group (mia@optigem.com)."""
    from django.contrib.auth.models import Group, User

    from privacy.roles import sync_group_permissions

    sync_group_permissions()
    user = User.objects.create_user("mia", "mia@optigem.com", "pw-marketing-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Marketing"))
    client.force_login(user)
    return client
