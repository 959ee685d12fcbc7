"""Handing a task to the broker from a visitor's request, without keeping the visitor waiting.

What a request promises is a row first (CONVENTIONS.md, "Side effects and Celery"); the
message only says that there is work, and a periodic sweep finds whatever was never
published. So a request publishes once, with Celery's own publishing options: no retry policy
(``retry=False``) and ``connection=`` a connection from the task's app that gives up at the
first refused or slow connect. The app is the task's (``shared_task`` binds it to Celery's
current app), so no app imports the project package.

The connection is kept per thread and broker URL: a new one per publish (connect, channel,
queue declaration) cost 11.8 ms, a reused one 0.8-1.6 ms, as much as a kombu pool's (500
publishes to a local Redis on the shared machine). The app's own producer pool cannot be
used: its connections retry for ``broker_connection_timeout``, and making them fail fast
would do so for the worker's and beat's publishes too.
"""

import logging
import threading

from celery import Task
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# One connection attempt, short socket timeouts: with the broker down the request answers.
FAIL_FAST = {"max_retries": 0, "socket_connect_timeout": 1, "socket_timeout": 1}


_local = threading.local()


def _connection(task: Task):
    """This thread's fail-fast connection to the task's broker (reconnects lazily after an
    error, one attempt per publish)."""
    url = task.app.conf.broker_url
    connections = _local.__dict__.setdefault("connections", {})
    if url not in connections:
        connections[url] = task.app.connection_for_write(transport_options=FAIL_FAST)
    return connections[url]


def publish_once(task: Task, *args, event: str) -> bool:
    """Publish ``task(*args)`` once; on a broker failure log ``event`` and return False.

    Kombu reports most broker failures as OperationalError, some transports (the demo's
    filesystem queue) as plain OSError; either way the visitor's request has succeeded.
    """
    try:
        task.apply_async(args, connection=_connection(task), retry=False)
    except (OperationalError, OSError) as exc:
        logger.warning("%s: %s", event, type(exc).__name__)
        return False
    return True
