"""Where the rules run.

- `db` (default): on the app database itself. The canonical tables are Ibis expressions over the
  registry's tables; Ibis compiles each rule to the database's SQL dialect and the query runs on
  Django's own connection, inside the caller's transaction, so the rules see exactly what Django
  sees (in tests: the uncommitted test data). Ibis' own SQLite/PostgreSQL backends are not used to
  execute: wrapping Django's connection with them (`from_connection`) would commit Django's open
  transaction on SQLite, switch `case_sensitive_like` on for the rest of the connection, and return
  numbers through pandas floats.
- `duckdb`: the canonical tables of the county are written once to Parquet (pyarrow) in the data
  dir and the same expressions run on DuckDB over that snapshot, for counties too large to screen
  on the app database quickly.

Both return, per rule, a list of rows (dicts of plain Python ints, bools and strings).
"""

import datetime
import shutil
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from fangpin.core.errors import ValidationFailed
from fangpin.monitoring.errors import MonitoringErrorCode

from .parameters import Parameters
from .rules import Rule
from .tables import CANONICAL_TABLES, Tables

ENGINES = ("db", "duckdb")
DIALECTS = {"sqlite": "sqlite", "postgresql": "postgres"}
FETCH_ROWS = 100_000
ARROW_TYPES = {"int64": pa.int64(), "boolean": pa.bool_(), "string": pa.string()}


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise ValidationFailed(MonitoringErrorCode.ENGINE_UNKNOWN, _("未知的计算引擎：%(e)s（可选：db、duckdb）") % {"e": engine},
                               field="engine")
    return engine


def _dialect() -> str:
    try:
        return DIALECTS[connection.vendor]
    except KeyError:
        raise ValidationFailed(MonitoringErrorCode.ENGINE_DATABASE, _("应用数据库%(v)s不支持db引擎，请使用duckdb。") % {
            "v": connection.vendor}) from None


def _fetch(expr) -> tuple[list[str], list[tuple]]:
    sql = ibis.to_sql(expr, dialect=_dialect())
    with connection.cursor() as cursor:
        cursor.execute(str(sql))
        names = [column[0] for column in cursor.description]
        return names, cursor.fetchall()


def _rows(names: list[str], rows) -> list[dict]:
    return [dict(zip(names, row)) for row in rows]


class DatabaseEngine:
    """The canonical tables are first materialised as temporary tables of the app database (one
    pass over the registry, indexed by household), so that the rules, which read them many times,
    do not re-derive them from the registry each time."""

    name = "db"
    PREFIX = "screening_tmp_"

    def __init__(self, county_id: int):
        quote = connection.ops.quote_name
        tables = {}
        with connection.cursor() as cursor:
            for name, table in CANONICAL_TABLES.items():
                temp = quote(self.PREFIX + name)
                sql = ibis.to_sql(table.derive(county_id).select(*table.schema.names), dialect=_dialect())
                cursor.execute(f"DROP TABLE IF EXISTS {temp}")
                cursor.execute(f"CREATE TEMPORARY TABLE {temp} AS {sql}")
                cursor.execute(f"CREATE INDEX {quote(self.PREFIX + name + '_household')} ON {temp} (household_id)")
                tables[name] = ibis.table(table.schema, name=self.PREFIX + name)
        self.tables = Tables(tables)

    def evaluate(self, expr) -> list[dict]:
        return _rows(*_fetch(expr))

    def columns(self, expr) -> dict[str, list]:
        names, rows = _fetch(expr)
        return {name: list(values) for name, values in zip(names, zip(*rows) if rows else [()] * len(names))}

    def close(self) -> None:
        with connection.cursor() as cursor:
            for name in CANONICAL_TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(self.PREFIX + name)}")


def write_snapshot(county_id: int, directory: Path, names=None) -> dict[str, Path]:
    """Write the county's canonical tables (all, or `names`) from the app database to Parquet files."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name in names or CANONICAL_TABLES:
        table = CANONICAL_TABLES[name]
        schema = pa.schema([(column, ARROW_TYPES[str(dtype).rstrip("!")]) for column, dtype in table.schema.items()])
        path = directory / f"{name}.parquet"
        sql = ibis.to_sql(table.derive(county_id).select(*table.schema.names), dialect=_dialect())
        with connection.cursor() as cursor, pq.ParquetWriter(path, schema) as writer:
            cursor.execute(str(sql))
            while rows := cursor.fetchmany(FETCH_ROWS):
                columns = list(zip(*rows))
                arrays = []
                for values, column in zip(columns, schema):
                    if column.type == pa.bool_():
                        values = [None if v is None else bool(v) for v in values]
                    arrays.append(pa.array(values, type=column.type))
                writer.write_batch(pa.record_batch(arrays, schema=schema))
        paths[name] = path
    return paths


class DuckDBEngine:
    name = "duckdb"

    def __init__(self, county_id: int, directory: Path | None = None, keep: bool = False):
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        self.directory = directory or Path(settings.DATA_DIR) / "screening" / f"{county_id}-{stamp}"
        self.keep = keep
        paths = write_snapshot(county_id, self.directory)
        self.con = ibis.duckdb.connect()
        self.tables = Tables({name: self.con.read_parquet(path, table_name=name) for name, path in paths.items()})

    def evaluate(self, expr) -> list[dict]:
        return self.con.to_pyarrow(expr).to_pylist()

    def columns(self, expr) -> dict[str, list]:
        return self.con.to_pyarrow(expr).to_pydict()

    def close(self) -> None:
        self.con.disconnect()
        if not self.keep:
            shutil.rmtree(self.directory, ignore_errors=True)


def open_engine(engine: str, county_id: int):
    check_engine(engine)
    return DatabaseEngine(county_id) if engine == "db" else DuckDBEngine(county_id)


def evaluate_rules(engine, rules: tuple[Rule, ...], parameters: Parameters) -> dict[str, list[dict]]:
    """Rows of every rule, sorted by household."""
    return {rule.code: sorted(engine.evaluate(rule.evaluate(engine.tables, parameters)),
                              key=lambda row: row["household_id"])
            for rule in rules}
