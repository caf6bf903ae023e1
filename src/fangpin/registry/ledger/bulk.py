"""Fast set-based writes for the ledger merge.

Django's bulk_create spends most of its time compiling SQL value by value (measured: 17 of 19
seconds for 110,000 rows; the database itself took under 2). Here the primary keys are reserved up
front (a sequence range on PostgreSQL; on SQLite the merge transaction holds the write lock, so the
ids above the current maximum are ours), rows are built from the instances' attributes with a
converter only for the few column types that need one, and written with `executemany` (SQLite) or
`COPY` (PostgreSQL), as docs/DESIGN.md measured. Must run inside the merge transaction."""

from __future__ import annotations

from django.db import connection, models
from django.utils import timezone

BATCH = 5000


def _converter(field):
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    if isinstance(field, models.DateTimeField):
        # A merge stamps one time on every row: convert each distinct value once.
        adapt, seen = connection.ops.adapt_datetimefield_value, {}

        def convert(value):
            if value not in seen:
                seen[value] = adapt(value)
            return seen[value]

        return convert
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    return None


class Builder:
    """New instances of a model from field values, through Django's positional constructor (the
    path `Model.from_db` takes: half the cost of keyword arguments), defaults filled in."""

    def __init__(self, model):
        self.model = model
        fields = model._meta.concrete_fields
        self.attnames = [f.attname for f in fields]
        self.defaults = [f.get_default() for f in fields]

    def __call__(self, values: dict):
        return self.model(*[values.get(a, d) for a, d in zip(self.attnames, self.defaults)])


def reserve_ids(model, count: int) -> list[int]:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [table, model._meta.pk.column, count])
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT MAX({connection.ops.quote_name(model._meta.pk.column)}) FROM "
                       f"{connection.ops.quote_name(table)}")
        start = (cursor.fetchone()[0] or 0) + 1
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            start = max(start, (row[0] + 1) if row else 1)
        return list(range(start, start + count))


def insert(model, objects: list) -> None:
    """Insert new instances (their pk is set here), stamping auto_now/auto_now_add fields."""
    if not objects:
        return
    now = timezone.now()
    fields = model._meta.concrete_fields
    stamped = [f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    for obj, pk in zip(objects, reserve_ids(model, len(objects))):
        obj.pk = pk
        for attname in stamped:
            if getattr(obj, attname) is None:
                setattr(obj, attname, now)
        obj._state.adding = False
        obj._state.db = connection.alias
    attnames = [f.attname for f in fields]
    converters = [(i, c) for i, c in ((i, _converter(f)) for i, f in enumerate(fields)) if c]
    rows = []
    for obj in objects:
        row = [getattr(obj, a) for a in attnames]
        for i, convert in converters:
            row[i] = convert(row[i])
        rows.append(row)
    _write(model._meta.db_table, [f.column for f in fields], rows)


def _write(table: str, columns: list[str], rows: list[list]) -> None:
    quote = connection.ops.quote_name
    column_list = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The driver's own cursor: wrap its errors so that a unique violation during COPY is
            # Django's IntegrityError like any other, which the merge turns into a failed import.
            with connection.wrap_database_errors, cursor.cursor.copy(
                    f"COPY {quote(table)} ({column_list}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {quote(table)} ({column_list}) VALUES ({', '.join(['%s'] * len(columns))})"
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start:start + BATCH])


def update(model, objects: list, attnames: list[str]) -> None:
    """UPDATE each instance's `attnames` by primary key, as one executemany."""
    if not objects:
        return
    meta = model._meta
    fields = [meta.get_field(a) for a in attnames]  # get_field knows attnames such as "place_id"
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
    converters = [_converter(f) for f in fields]
    rows = []
    for obj in objects:
        row = []
        for field, convert in zip(fields, converters):
            value = getattr(obj, field.attname)
            row.append(convert(value) if convert else value)
        row.append(obj.pk)
        rows.append(row)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start:start + BATCH])
