"""Discovery finds admin history naming an address with ``object_repr__icontains`` and
``change_message__icontains``, which Django turns into ``UPPER(col::text) LIKE UPPER('%…%')``.
A B-tree index cannot serve a pattern that starts with ``%``; a trigram index (pg_trgm, shipped
with PostgreSQL and a trusted extension, so the database owner may create it) can. Without these
indexes the lookup reads the whole log (bench/dsar.py: 78 of 100 ms at 100,000 entries).

Without ``fastupdate`` every new entry goes into the index at once rather than into a pending
list that each search reads in full until the next VACUUM (18 of the lookup's 24 ms in
bench/dsar.py, which fills the log after migrating): the log gains one entry per change in the
admin, and is searched on every data-subject request.

SQLite (development) gets no index: it has no index for such patterns.
"""

from django.db import migrations

INDEXES = {
    "accounts_admin_log_object_repr_trgm": "object_repr",
    "accounts_admin_log_change_message_trgm": "change_message",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON django_admin_log "
            f"USING gin (UPPER({column}) gin_trgm_ops) WITH (fastupdate = off)"
        )


def drop_indexes(apps, schema_editor):
    # The extension stays: other database objects may have come to use it.
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_user_sessions"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
