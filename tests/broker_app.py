"""A Celery app with the project's Celery configuration and two probe tasks (test_broker.py).

The worker runs the site's own settings and ``optigem_site.celery`` wiring; the tasks only
write files, so the test sees what ran without a database. ``record`` is idempotent as every
task of the site is: its effect is a claim that can be made once.
"""

import os
import time
from pathlib import Path

from optigem_site.celery import app

OUT = Path(os.environ.get("BROKER_TEST_DIR", "/tmp"))


@app.task(name="broker_test.record", acks_late=True, ignore_result=True)
def record(n: int, seconds: float) -> None:
    time.sleep(seconds)
    with (OUT / "runs.txt").open("a") as runs:
        runs.write(f"{n}\n")
    try:
        os.close(os.open(OUT / f"done-{n}", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return
    with (OUT / "effects.txt").open("a") as effects:
        effects.write(f"{n}\n")


# Messages the worker had prefetched when Redis went away stay in Redis's unacked index and
# come back after the visibility timeout; a short one, looked at every two seconds, keeps
# the test bounded.
app.conf.broker_transport_options = {
    "visibility_timeout": 12,
    "unacked_restore_interval": 2,
    "unacked_restore_throttle": 1,
}
