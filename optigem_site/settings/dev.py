"""Demo mode for `make run`: SQLite under var/, Celery over the filesystem, mail to the console."""

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="demo-only-not-secret-8f2b1c0e")
DEMO_MODE = True
VAR_DIR.mkdir(exist_ok=True)

# Without REDIS_URL the demo's worker and beat exchange messages through files under var/.
if not env("REDIS_URL", default="") and not env("CELERY_BROKER_URL", default=""):
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(VAR_DIR / "celery" / "queue"),
        "data_folder_out": str(VAR_DIR / "celery" / "queue"),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "store_processed": False,
    }
