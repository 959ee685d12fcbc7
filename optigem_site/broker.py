"""Kombu's Redis transport, with channels that can still reach Redis after a reconnect.

With celery 5.7 / kombu 5.7, when the worker loses Redis it collects and then closes the
broken connection. The close detaches the transport (``transport.client = None``) while the
old channel still holds acks_late messages; closing that channel restores them, which needs
a fresh connection pool, which reads the host from ``transport.client``: ``AttributeError:
'NoneType' object has no attribute 'hostname'``. That error is not a connection error, so
``ignore_errors`` lets it through and the worker stops ("Unrecoverable error"). The same
happens to the ack of a task that finishes after the reconnect.

Each channel here keeps the connection it was opened for and builds its pool from it when
the transport has been detached. Restoring then either succeeds (Redis is back) or fails
with a connection error that the consumer already ignores; the message stays in Redis's
unacked index and the visibility timeout brings it back. Selected by
``CELERY_BROKER_TRANSPORT``; remove once kombu guards ``_connparams`` itself.
"""

from kombu.transport import redis


class Channel(redis.Channel):
    def __init__(self, connection, *args, **kwargs):
        self._opened_for = connection.client
        super().__init__(connection, *args, **kwargs)

    def _connparams(self, asynchronous=False):
        transport = self.connection
        if transport.client is not None:
            return super()._connparams(asynchronous=asynchronous)
        transport.client = self._opened_for
        try:
            return super()._connparams(asynchronous=asynchronous)
        finally:
            transport.client = None


class Transport(redis.Transport):
    Channel = Channel
