"""Where generated rows go. Rows are tuples in the order of a table's `fields` (attribute names);
values are already database-ready (ISO date strings, decimal strings, booleans, None).

- `FastWriter`: `executemany` on the driver connection (SQLite and others), or COPY through psycopg 3
  on PostgreSQL. What `generate_county` uses.
- `BulkCreateWriter`: Django's `bulk_create` in batches (for comparison in bench/bench_demo.py).
- `CreateWriter`: one `Model.objects.create` per row, the straightforward baseline.
"""

import contextlib

from django.core.management.color import no_style
from django.db import connection
from django.utils import timezone


class Table:
    """A model's columns in the generator's order, plus constant values for any column the generator
    does not know about (a field added later with a default must not break seeding)."""

    def __init__(self, model, fields: tuple[str, ...]):
        self.model, self.fields = model, fields
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [name for name in fields if name not in by_attname]
        if unknown:
            raise LookupError(f"{model._meta.label} has no fields {unknown}")
        self.extra = [f for f in model._meta.concrete_fields if f.attname not in fields and not f.primary_key]
        for field in self.extra:
            if not field.has_default() and not field.null:
                raise LookupError(f"{model._meta.label}.{field.attname} needs a value from the demo generator")
        self.columns = [by_attname[name].column for name in fields] + [f.column for f in self.extra]
        self.extra_values = tuple(f.get_db_prep_save(f.get_default(), connection) for f in self.extra)
        self.extra_attnames = [f.attname for f in self.extra]
        self.extra_python = tuple(f.get_default() for f in self.extra)


def reset_sequences(models) -> None:
    """Move primary-key sequences past explicitly written ids (PostgreSQL; a no-op on SQLite)."""
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


class FastWriter:
    def __init__(self):
        connection.ensure_connection()
        self.vendor = connection.vendor
        self.raw = connection.connection
        self.rows_written = 0

    def timestamp(self):
        return connection.ops.adapt_datetimefield_value(timezone.now())

    def can_write_in_background(self) -> bool:
        """Another thread may use the driver connection when Django holds no transaction on it."""
        return self.vendor in ("sqlite", "postgresql") and not connection.in_atomic_block

    @contextlib.contextmanager
    def own_transaction(self):
        """A transaction on the driver connection, for use outside Django's transaction handling."""
        if self.vendor == "postgresql":
            with self.raw.transaction():
                yield
            return
        self.raw.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.raw.execute("ROLLBACK")
            raise
        self.raw.execute("COMMIT")

    def write(self, table: Table, rows: list[tuple]) -> None:
        if not rows:
            return
        if table.extra_values:
            rows = [row + table.extra_values for row in rows]
        db_table = connection.ops.quote_name(table.model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in table.columns)
        if self.vendor == "postgresql":
            with self.raw.cursor() as cursor, cursor.copy(f"COPY {db_table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        elif self.vendor == "sqlite":
            marks = ", ".join("?" * len(table.columns))
            self.raw.executemany(f"INSERT INTO {db_table} ({columns}) VALUES ({marks})", rows)
        else:
            marks = ", ".join(["%s"] * len(table.columns))
            with self.raw.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {db_table} ({columns}) VALUES ({marks})", rows)
        self.rows_written += len(rows)

    def finish(self, models) -> None:
        reset_sequences(models)


class _ModelWriter:
    def __init__(self):
        self.rows_written = 0

    def timestamp(self):
        return timezone.now()

    def _instances(self, table: Table, rows):
        names = (*table.fields, *table.extra_attnames)
        for row in rows:
            yield table.model(**dict(zip(names, row + table.extra_python)))

    def finish(self, models) -> None:
        reset_sequences(models)


class BulkCreateWriter(_ModelWriter):
    def __init__(self, batch_size: int = 1000):
        super().__init__()
        self.batch_size = batch_size

    def write(self, table: Table, rows: list[tuple]) -> None:
        table.model.objects.bulk_create(list(self._instances(table, rows)), batch_size=self.batch_size)
        self.rows_written += len(rows)


class CreateWriter(_ModelWriter):
    def __init__(self, autocommit: bool = False):
        super().__init__()
        # With autocommit every row is its own transaction, as in the most naive seeding script.
        self.chunk_transactions = not autocommit

    def write(self, table: Table, rows: list[tuple]) -> None:
        manager = table.model.objects
        names = (*table.fields, *table.extra_attnames)
        for row in rows:
            manager.create(**dict(zip(names, row + table.extra_python)))
        self.rows_written += len(rows)
