"""After an erasure: search every text column of every table for the address.

The registry says where a person's data should be; this check does not trust it and looks
everywhere (JSON columns included), so a model or field that was never declared shows up.
"""

from dataclasses import dataclass

from django.db import connection

from privacy.digests import normalise_email

TEXT_FIELD_TYPES = frozenset({"CharField", "TextField", "JSONField", "EmailField", "SlugField"})


@dataclass(frozen=True)
class Hit:
    table: str
    column: str
    pk: str


def _text_columns(cursor, table: str) -> list[str]:
    introspection = connection.introspection
    columns = []
    for column in introspection.get_table_description(cursor, table):
        try:
            field_type = introspection.get_field_type(column.type_code, column)
        except KeyError:
            continue
        if field_type in TEXT_FIELD_TYPES:
            columns.append(column.name)
    return columns


def _contains(column: str) -> str:
    quoted = connection.ops.quote_name(column)
    if connection.vendor == "postgresql":
        return f"strpos(lower({quoted}::text), %s) > 0"
    return f"instr(lower({quoted}), %s) > 0"


def find_address(address: str) -> list[Hit]:
    """Every (table, column, row) whose text contains the address, case-insensitively."""
    needle = normalise_email(address)
    hits = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = _text_columns(cursor, table)
            if not columns:
                continue
            pk = connection.introspection.get_primary_key_column(cursor, table)
            key = connection.ops.quote_name(pk) if pk else "NULL"
            for column in columns:
                cursor.execute(
                    f"SELECT {key} FROM {connection.ops.quote_name(table)} "
                    f"WHERE {_contains(column)}",
                    [needle],
                )
                hits += [Hit(table, column, str(row[0])) for row in cursor.fetchall()]
    return hits
