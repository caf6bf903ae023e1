"""Benchmark: building the synthetic county (`fangpin.demo.generator.generate_county`).

    .venv/bin/python bench/bench_demo.py                         # 1,000,000 households on SQLite
    .venv/bin/python bench/bench_demo.py --households 100000 --database-url postgres://postgres@127.0.0.1:5432/scratch

SQLite runs in a fresh temporary data dir. PostgreSQL runs when --database-url is given; the database
must be empty (or pass --reset to flush it first: everything in it is deleted). Each backend runs in
its own process, so peak memory (ru_maxrss) is per backend.

In the same run, on the same backend, writers compared on samples of the same county (each in one
transaction that is rolled back afterwards): the fast writer alone, `bulk_create` in batches of 1,000,
`Model.objects.create` per row, per-row create in autocommit (the naive baseline, run first and then
flushed), and generation alone without writing (how much of the time is Python building the rows).
The naive baseline is also extrapolated to the full size at its small-sample rate.
"""

import argparse
import collections
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time


def _worker(args) -> None:
    os.environ["FANGPIN_DATA_DIR"] = args.data_dir
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangpin.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from fangpin.core.models import ChangeLog
    from fangpin.demo.generator import CountyGenerator, generate_county
    from fangpin.demo.writers import BulkCreateWriter, CreateWriter, FastWriter
    from fangpin.regions.models import Place

    call_command("migrate", interactive=False, verbosity=0)
    if Place.objects.exists():
        if not args.reset:
            sys.exit("the database is not empty: use an empty one, or --reset to flush it first")
        call_command("flush", interactive=False, verbosity=0)

    results = {"backend": connection.vendor, "households": args.households}

    def sample(label: str, households: int, writer_class=None) -> None:
        generator = CountyGenerator(households, args.seed)
        started = time.perf_counter()
        with transaction.atomic():
            if writer_class is None:
                generator.plan_places()
                collections.deque(generator.chunks(1, None), maxlen=0)  # build every row, write none
            else:
                generator.run(writer=writer_class())
            transaction.set_rollback(True)
        seconds = time.perf_counter() - started
        results[label] = {"households": households, "seconds": seconds, "rows": generator.summary.rows,
                          "per_household_ms": seconds / households * 1000}

    # The most naive way: one create per row, each in its own transaction (autocommit).
    generator = CountyGenerator(args.autocommit_households, args.seed)
    started = time.perf_counter()
    generator.run(writer=CreateWriter(autocommit=True))
    seconds = time.perf_counter() - started
    results["create_autocommit"] = {"households": args.autocommit_households, "seconds": seconds,
                                    "rows": generator.summary.rows,
                                    "per_household_ms": seconds / args.autocommit_households * 1000}
    call_command("flush", interactive=False, verbosity=0)
    sample("create", args.baseline_households, CreateWriter)
    sample("bulk_create", args.bulk_households, BulkCreateWriter)
    sample("fast_sample", args.bulk_households, FastWriter)
    sample("generate_only", args.bulk_households)

    started = time.perf_counter()
    county = generate_county(args.households, args.seed)
    seconds = time.perf_counter() - started
    summary = ChangeLog.objects.get(object_id=county.pk, source="demo").after
    rows = (summary["households"] + summary["members"] + summary["former_members"] + summary["income_rows"]
            + Place.objects.count())
    results["fast"] = {"households": args.households, "seconds": seconds, "rows": rows,
                       "members": summary["members"], "per_household_ms": seconds / args.households * 1000}
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if connection.vendor == "sqlite":
        from django.conf import settings

        results["database_mb"] = os.path.getsize(settings.DATABASES["default"]["NAME"]) / 2**20
    print("RESULT " + json.dumps(results), flush=True)


def _run_backend(args, database_url: str | None) -> dict:
    data_dir = tempfile.mkdtemp(prefix="fangpin-bench-demo-")
    command = [sys.executable, __file__, "--worker", "--data-dir", data_dir, "--households", str(args.households),
               "--seed", str(args.seed), "--baseline-households", str(args.baseline_households),
               "--autocommit-households", str(args.autocommit_households),
               "--bulk-households", str(args.bulk_households)]
    if database_url:
        command += ["--database-url", database_url]
    if args.reset:
        command.append("--reset")
    try:
        output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def _report(result: dict) -> str:
    fast, n = result["fast"], result["households"]
    lines = [
        f"### {result['backend']}: {n:,} households",
        "",
        f"Full run: `generate_county({n:,})` in {fast['seconds']:,.1f} s, "
        f"{fast['rows'] / fast['seconds']:,.0f} rows/s, "
        f"{fast['per_household_ms']:.3f} ms per household; {fast['rows']:,} rows ({fast['members']:,} active members); "
        f"peak memory (ru_maxrss) {result['peak_rss_mb']:,.0f} MiB"
        + (f"; database file {result['database_mb']:,.0f} MiB." if "database_mb" in result else "."),
        "",
        "Writers compared on samples (each in one transaction, rolled back; the writer thread is not used inside a "
        "transaction, so the first row is the fast writer alone):",
        "",
        "| writer | sample (households) | time | rows/s | per household | vs fast writer |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    base = result["fast_sample"]["per_household_ms"]
    for label, name in (("fast_sample", "executemany (SQLite) / COPY (PostgreSQL)"),
                        ("bulk_create", "bulk_create, batches of 1,000"),
                        ("create", "Model.objects.create per row"),
                        ("create_autocommit", "Model.objects.create per row, autocommit (naive baseline)"),
                        ("generate_only", "generation only, no writes")):
        r = result[label]
        lines.append(f"| {name} | {r['households']:,} | {r['seconds']:.2f} s | {r['rows'] / r['seconds']:,.0f} | "
                     f"{r['per_household_ms']:.3f} ms | {r['per_household_ms'] / base:.1f}x |")
    naive = result["create_autocommit"]["per_household_ms"] * n / 1000
    lines += [
        "",
        f"The naive baseline extrapolated to {n:,} households: {naive / 60:,.0f} min at its small-sample rate "
        f"(a lower bound: every writer slows as the indexes grow), against {fast['seconds'] / 60:,.1f} min measured.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", help="also run on this PostgreSQL database (must be empty, see --reset)")
    parser.add_argument("--reset", action="store_true", help="flush the PostgreSQL database first (deletes all data)")
    parser.add_argument("--autocommit-households", type=int, default=100,
                        help="sample size for per-row create in autocommit")
    parser.add_argument("--baseline-households", type=int, default=300, help="sample size for per-row create")
    parser.add_argument("--bulk-households", type=int, default=5000, help="sample size for bulk_create")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args)
        return
    print(f"Synthetic county generation, seed {args.seed}, {time.strftime('%Y-%m-%d')}, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}\n", flush=True)
    print(_report(_run_backend(args, None)) + "\n", flush=True)
    if args.database_url:
        print(_report(_run_backend(args, args.database_url)) + "\n", flush=True)


if __name__ == "__main__":
    main()
