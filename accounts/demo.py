"""Demo mode (`make run`): the demo staff account gets a second factor, and its backup codes
go to var/demo-backup-codes.txt, which scripts/run-demo prints beside the password, so a
newcomer reaches the admin without a phone."""

from django.conf import settings
from django.contrib.auth import get_user_model

from .models import TOTPDevice
from .services import backup_codes_create

DEMO_USERNAME = "demo"
CODES_FILE = "demo-backup-codes.txt"


def load_demo_content() -> None:
    user = get_user_model().objects.filter(username=DEMO_USERNAME, is_staff=True).first()
    if user is None:
        return
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name="demo", confirmed=True)
    codes = backup_codes_create(user=user)
    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    (settings.VAR_DIR / CODES_FILE).write_text("\n".join(codes) + "\n", encoding="utf-8")
