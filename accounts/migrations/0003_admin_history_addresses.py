"""An index of the e-mail addresses the admin history names, for data-subject discovery.

``str(obj)`` of many records is or contains an address, so the admin's history names people in
``object_repr`` (and, rarely, ``change_message``). Searching those texts with ``icontains``
reads the whole log; a trigram index (tried on 2 December) still read most of it once many
entries share the pieces of an address's domain (bench/dsar.py: 40 to 80 ms at 1,000,000
entries, all ``@example.org``).

Instead ``accounts_log_addresses(object_repr, change_message)`` lists the addresses in both
texts, upper-cased (an address is a run of characters without spaces, brackets, quotes,
separators, ``=``, ``/``, ``?``, ``!`` or ``|`` around an ``@``, not ending in a dot), and a GIN index over that array finds the
entries naming one address by exact match, however many share its domain. Discovery asks
``accounts_log_addresses(object_repr, change_message) @> ARRAY[UPPER(address)]`` (see
``accounts/privacy.py``), an expression the index serves.

SQLite (development) gets neither: discovery falls back to ``icontains`` there.
"""

from django.db import migrations

# Characters that cannot be part of an address as it appears in a record's text.
DELIMITERS = r"""\s<>(),;:"'\[\]{}=/?!|"""
ADDRESS = rf"([^{DELIMITERS}]+@[^{DELIMITERS}]*[^{DELIMITERS}.])"

CREATE_FUNCTION = rf"""
CREATE OR REPLACE FUNCTION accounts_log_addresses(repr text, message text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT found[1]), '{{}}')
    FROM regexp_matches(upper(coalesce(repr, '') || ' ' || coalesce(message, '')),
                        '{ADDRESS.replace("'", "''")}', 'g') AS found
$$
"""
CREATE_INDEX = (
    "CREATE INDEX IF NOT EXISTS accounts_admin_log_addresses ON django_admin_log "
    "USING gin (accounts_log_addresses(object_repr, change_message)) WITH (fastupdate = off)"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION)
    # Without fastupdate every new entry goes into the index at once rather than into a pending
    # list each search reads in full until the next VACUUM (18 of 24 ms in bench/dsar.py).
    schema_editor.execute(CREATE_INDEX)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS accounts_admin_log_addresses")
    schema_editor.execute("DROP FUNCTION IF EXISTS accounts_log_addresses(text, text)")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_user_sessions"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [migrations.RunPython(create, drop)]
