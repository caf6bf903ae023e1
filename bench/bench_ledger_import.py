"""Ledger import at county scale: staging/validation, merge, re-import, update, export — against a
straightforward baseline (row by row through the registry services) in the same run.

    .venv/bin/python bench/bench_ledger_import.py                       # 100,000 households, SQLite
    .venv/bin/python bench/bench_ledger_import.py --households 5000     # a quick run
    .venv/bin/python bench/bench_ledger_import.py --database-url postgres://postgres@127.0.0.1:5432/scratch

Every timed phase runs in a fresh child process, so that its peak memory (ru_maxrss) is its own.
The ledger file is generated here (a simple generator of valid rows; it does not use fangpin.demo).
SQLite databases live in a temporary directory; a PostgreSQL URL must name a scratch database: the
bench refuses one that already holds households, and empties it afterwards.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "建国秀英桂兰德福小军红梅志强玉华文明海燕晓丽春生秋菊永平金凤国庆淑珍伟杰丽娟浩然子轩欣怡宇航雨涵思远嘉怡天佑梓萱"
TOWNSHIPS, VILLAGES, GROUPS = 20, 15, 5
HEADER = [
    "年度", "县", "乡镇", "行政村", "村民小组", "户编号", "户类型", "脱贫年度", "联系电话", "家庭住址",
    "是否易地扶贫搬迁", "危房等级", "是否饮水安全", "工资性收入", "生产经营性收入", "财产性收入", "转移性收入",
    "生产经营性支出", "医疗自付支出", "教育支出", "灾害损失", "理赔收入", "姓名", "证件号码", "与户主关系",
    "民族", "文化程度", "在校生情况", "健康状况", "残疾等级", "劳动技能", "务工所在地", "务工时间(月)",
    "是否参加城乡居民基本医疗保险", "是否享受低保", "是否特困供养",
]


def setup_django(data_dir: Path, database_url: str | None) -> None:
    os.environ["FANGPIN_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "fangpin.settings"
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- data


def places_rows() -> list[dict]:
    rows = [{"代码": "510101", "名称": "样例县", "级别": "县", "上级代码": ""}]
    for t in range(1, TOWNSHIPS + 1):
        township = f"510101{t:03d}000"
        rows.append({"代码": township, "名称": f"第{t}镇", "级别": "乡镇", "上级代码": "510101"})
        for v in range(1, VILLAGES + 1):
            village = f"510101{t:03d}{v:03d}"
            rows.append({"代码": village, "名称": f"{t}镇{v}村", "级别": "村", "上级代码": township})
            for g in range(1, GROUPS + 1):
                rows.append({"代码": f"{village}{g:03d}", "名称": f"{g}组", "级别": "组", "上级代码": village})
    return rows


class People:
    """Unique valid ID numbers: 500 sequence numbers per birth date and sex."""

    def __init__(self):
        self.count = 0
        self.used: set[str] = set()

    def next(self, birth_year: int, male: bool) -> str:
        from stdnum.cn import ric

        while True:
            self.count += 1
            day = datetime.date(birth_year, 1, 1) + datetime.timedelta(days=(self.count // 500) % 360)
            body = f"510101{day:%Y%m%d}{(self.count % 500) * 2 + (1 if male else 0):03d}"
            number = body + ric.calc_check_digit(body + "0")
            if number not in self.used:
                self.used.add(number)
                return number


def household_rows(number: int, rng: random.Random, people: People, *, wage_bump: int = 0) -> list[list]:
    t, v = rng.randint(1, TOWNSHIPS), rng.randint(1, VILLAGES)
    group = f"{rng.randint(1, GROUPS)}组"
    exited = rng.random() < 0.3
    size = rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 6))
    wage = rng.randrange(0, 60000, 100) + wage_bump
    common = [
        2025, "样例县", f"第{t}镇", f"{t}镇{v}村", group, f"{number:010d}", "脱贫户" if exited else "一般农户",
        rng.randint(2014, 2020) if exited else "", f"13{rng.randint(100000000, 999999999)}",
        f"{group}{rng.randint(1, 200)}号", rng.choice(("是", "否", "否", "否")), rng.choice(("A", "A", "B", "C", "")),
        rng.choice(("是", "是", "是", "否")), wage, rng.randrange(0, 20000, 50), rng.choice((0, 0, 300, 1200)),
        round(rng.uniform(0, 8000), 2), rng.randrange(0, 5000, 10), rng.randrange(0, 9000, 10), 0, 0, 0,
    ]
    rows = []
    surname = rng.choice(SURNAMES)
    for i in range(size):
        relation = ("户主", "配偶", "之子", "之女", "之孙子", "之母")[i]
        year = (1960 + rng.randint(0, 20)) if i < 2 else (1995 + rng.randint(0, 25)) if i < 4 else 2018 - i
        male = relation in ("户主", "之子", "之孙子") if i != 1 else False
        health = rng.choice(("健康", "健康", "健康", "长期慢性病", "患有大病", "残疾"))
        rows.append(common + [
            surname + rng.choice(GIVEN) + rng.choice(GIVEN), people.next(year, male), relation,
            rng.choice(("汉族", "汉族", "汉族", "彝族", "藏族")), rng.choice(("小学", "初中", "高中", "文盲或半文盲")),
            "非在校生", health, rng.choice(("一级", "二级", "三级", "四级")) if health == "残疾" else "",
            rng.choice(("普通劳动力", "技能劳动力", "弱劳动力或半劳动力", "无劳动力")),
            rng.choice(("县内", "省内县外", "省外", "")), rng.randint(0, 12), rng.choice(("是", "是", "否", "职工医保")),
            rng.choice(("是", "否", "否", "否")), "否",
        ])
    return rows


def write_ledger(path: Path, households: int, *, seed: int = 2026, wage_bump_every: int = 0) -> int:
    """Write the ledger (.xlsx with XlsxWriter in constant-memory mode, or .csv); return the row count."""
    rng, people = random.Random(seed), People()
    count = 0
    if path.suffix == ".csv":
        import csv

        with open(path, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            for n in range(1, households + 1):
                bump = 100 if wage_bump_every and n % wage_bump_every == 0 else 0
                for row in household_rows(n, rng, people, wage_bump=bump):
                    writer.writerow(row)
                    count += 1
        return count
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["样例县户成员台账"])
    sheet.write_row(1, 0, HEADER)
    r = 2
    for n in range(1, households + 1):
        bump = 100 if wage_bump_every and n % wage_bump_every == 0 else 0
        for row in household_rows(n, rng, people, wage_bump=bump):
            for c, value in enumerate(row):
                if isinstance(value, (int, float)):
                    sheet.write_number(r, c, value)
                elif value:
                    sheet.write_string(r, c, value)
            r += 1
    workbook.close()
    return r - 2


# ---------------------------------------------------------------- phases (each in its own process)


def phase_places(args) -> dict:
    from fangpin.regions.services import places_import

    started = time.perf_counter()
    result = places_import(places_rows())
    return {"seconds": time.perf_counter() - started, "created": result.created}


def phase_import(args) -> dict:
    """The command line's path: stage and merge in one process (the merge reuses the file as read)."""
    from fangpin.core.models import ChangeLog
    from fangpin.registry.ledger.services import ledger_merge, ledger_stage

    logged = ChangeLog.objects.count()
    started = time.perf_counter()
    staged = ledger_stage(args.file, actor=None, keep_for_merge=True)
    stage_seconds = time.perf_counter() - started
    if staged.errors:
        raise SystemExit(f"unexpected errors: {staged.errors[:5]}")
    started = time.perf_counter()
    merged = ledger_merge(staged, actor=None)
    return {"stage_seconds": stage_seconds, "seconds": time.perf_counter() - started, "rows": staged.rows,
            "households": [merged.households_new, merged.households_updated, merged.households_unchanged],
            "incomes_updated": merged.incomes_updated,
            "change_log_rows": ChangeLog.objects.count() - logged}


def phase_stage(args) -> dict:
    from fangpin.registry.ledger.services import ledger_stage

    started = time.perf_counter()
    staged = ledger_stage(args.file, actor=None)
    seconds = time.perf_counter() - started
    if staged.errors:
        raise SystemExit(f"unexpected errors: {staged.errors[:5]}")
    return {"seconds": seconds, "import_id": staged.pk, "rows": staged.rows,
            "households": [staged.households_new, staged.households_updated, staged.households_unchanged],
            "members": [staged.members_new, staged.members_updated, staged.members_unchanged]}


def phase_merge(args) -> dict:
    from fangpin.core.models import ChangeLog
    from fangpin.registry.ledger.models import LedgerImport
    from fangpin.registry.ledger.services import ledger_merge

    logged = ChangeLog.objects.count()
    started = time.perf_counter()
    merged = ledger_merge(LedgerImport.objects.get(pk=args.import_id), actor=None)
    return {"seconds": time.perf_counter() - started, "change_log_rows": ChangeLog.objects.count() - logged,
            "households": [merged.households_new, merged.households_updated, merged.households_unchanged],
            "incomes_updated": merged.incomes_updated}


def phase_export(args) -> dict:
    from fangpin.registry.ledger.export import export_ledger

    started = time.perf_counter()
    result = export_ledger(None, args.file)
    return {"seconds": time.perf_counter() - started, "households": result.households, "members": result.members}


def phase_baseline(args) -> dict:
    """The straightforward way: read the sheet row by row with openpyxl, then one service call per
    household (household_create with its members) and one per income (income_set)."""
    from openpyxl import load_workbook

    from fangpin.core.models import User
    from fangpin.core.roles import Role
    from fangpin.regions.models import Place
    from fangpin.registry import services
    from fangpin.registry.ledger.columns import label_map
    from fangpin.registry.choices import HouseholdType, Relation

    county = Place.objects.get(code="510101000000")
    admin = User.objects.create_user("bench_admin", password="bench-pass-2026", role=Role.COUNTY_ADMIN, place=county)
    places = {(p.parent.name if p.parent else "", p.name, p.parent.parent.name if p.parent and p.parent.parent else ""): p
              for p in Place.objects.select_related("parent__parent")}
    started = time.perf_counter()
    workbook = load_workbook(args.file, read_only=True)
    households: dict[str, list] = {}
    for row in workbook.worksheets[0].iter_rows(min_row=3, values_only=True):
        households.setdefault(row[5], []).append(row)
    types, relations = label_map(HouseholdType), label_map(Relation)
    for number, rows in households.items():
        first = rows[0]
        place = places[(first[3], first[4], first[2])]
        members = [{"name": r[22], "id_number": r[23], "relation": relations[r[24]]} for r in rows]
        head = next(m for m in members if m["relation"] == Relation.HEAD)
        household = services.household_create(
            actor=admin, place=place, number=number, head={k: v for k, v in head.items() if k != "relation"},
            members=[m for m in members if m is not head], household_type=types[first[6]],
            exit_year=first[7] or None, phone=first[8], address=first[9])
        services.income_set(actor=admin, household=household, year=first[0], wage_income=first[13],
                            operating_income=first[14], property_income=first[15], transfer_income=first[16],
                            operating_costs=first[17])
    return {"seconds": time.perf_counter() - started, "households": len(households)}


PHASES = {"places": phase_places, "import": phase_import, "stage": phase_stage, "merge": phase_merge, "export": phase_export,
          "baseline": phase_baseline}


def run_child(phase: str, data_dir: Path, database_url: str | None, **extra) -> dict:
    command = [sys.executable, str(HERE), "--phase", phase, "--data-dir", str(data_dir)]
    if database_url:
        command += ["--database-url", database_url]
    for key, value in extra.items():
        command += [f"--{key.replace('_', '-')}", str(value)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"phase {phase} failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def prepare_database(data_dir: Path, database_url: str | None) -> None:
    """A fresh database: a new SQLite file in `data_dir`, or the (checked empty) scratch database."""
    if not database_url:
        for old in data_dir.glob("fangpin.sqlite3*"):
            old.unlink()
    env = {**os.environ, "FANGPIN_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    subprocess.run([sys.executable, "-c", "from fangpin.cli import main; main()", "migrate", "-v", "0"],
                   env=env, check=True)
    if database_url:
        setup_django(data_dir, database_url)
        from fangpin.registry.models import Household

        if Household.objects.exists():
            raise SystemExit("the database holds households: give a scratch database")


def empty_database(data_dir: Path, database_url: str | None) -> None:
    if database_url:
        env = {**os.environ, "FANGPIN_DATA_DIR": str(data_dir), "DATABASE_URL": database_url}
        subprocess.run([sys.executable, "-c", "from fangpin.cli import main; main()", "flush", "--no-input"],
                       env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--baseline-households", type=int, default=2_000)
    parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    parser.add_argument("--database-url", help="PostgreSQL scratch database (default: SQLite in a temp dir)")
    parser.add_argument("--work-dir", help="keep files here (default: a temporary directory)")
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--import-id", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:
        setup_django(Path(args.data_dir), args.database_url)
        figures = PHASES[args.phase](args)
        figures["peak_mib"] = peak_mib()
        print(json.dumps(figures))
        return

    work = Path(args.work_dir) if args.work_dir else Path(tempfile.mkdtemp(prefix="fangpin-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    n, b, url = args.households, args.baseline_households, args.database_url
    print(f"fangpin ledger import bench — {n:,} households, {args.format}, "
          f"{'PostgreSQL' if url else 'SQLite'}; {platform.python_version()}, {os.cpu_count()} CPUs; {work}")

    started = time.perf_counter()
    ledger = work / f"ledger-{n}.{args.format}"
    rows = write_ledger(ledger, n)
    changed = work / f"ledger-{n}-changed.{args.format}"
    write_ledger(changed, n, wage_bump_every=10)
    print(f"  generated {rows:,} rows in {time.perf_counter() - started:.1f} s ({ledger.stat().st_size / 2**20:.1f} MiB)")

    main_dir = work / "main"
    prepare_database(main_dir, url)
    results = {}
    try:
        results["places"] = run_child("places", main_dir, url)
        results["import"] = run_child("import", main_dir, url, file=ledger)
        results["restage"] = run_child("stage", main_dir, url, file=ledger)
        results["remerge"] = run_child("merge", main_dir, url, import_id=results["restage"]["import_id"])
        results["update"] = run_child("import", main_dir, url, file=changed)
        results["export"] = run_child("export", main_dir, url, file=work / f"export-{n}.xlsx")
    finally:
        empty_database(main_dir, url)

    sample = work / f"ledger-{b}.xlsx"
    write_ledger(sample, b, seed=7)
    # One database after the other: a PostgreSQL scratch database serves all three in turn.
    base_dir, small_dir = work / "baseline", work / "small"
    prepare_database(base_dir, url)
    try:
        run_child("places", base_dir, url)
        results["baseline"] = run_child("baseline", base_dir, url, file=sample)
    finally:
        empty_database(base_dir, url)
    prepare_database(small_dir, url)
    try:
        run_child("places", small_dir, url)
        small = run_child("import", small_dir, url, file=sample)
    finally:
        empty_database(small_dir, url)

    def line(label, seconds, peak, note=""):
        print(f"  {label:<48} {seconds:>8.1f} s  {peak:>7.0f} MiB  {note}")

    first, update = results["import"], results["update"]
    print()
    print(f"  {'phase':<48} {'time':>10}  {'peak RSS':>11}")
    line(f"places import ({results['places']['created']:,} places)", results["places"]["seconds"],
         results["places"]["peak_mib"])
    line(f"import, stage: read + validate {first['rows']:,} rows", first["stage_seconds"], first["peak_mib"],
         "(command line: one process)")
    line("import, merge: re-check + write", first["seconds"], first["peak_mib"],
         f"{first['change_log_rows']:,} change-log rows")
    line("re-import, stage (web upload)", results["restage"]["seconds"], results["restage"]["peak_mib"],
         f"unchanged {results['restage']['households'][2]:,} households")
    line("re-import, merge (web: reads the file again)", results["remerge"]["seconds"],
         results["remerge"]["peak_mib"], f"{results['remerge']['change_log_rows']} change-log rows")
    line("10% incomes changed, stage", update["stage_seconds"], update["peak_mib"])
    line("10% incomes changed, merge", update["seconds"], update["peak_mib"],
         f"{update['incomes_updated']:,} incomes updated, {update['change_log_rows']:,} change-log rows")
    line("export to .xlsx", results["export"]["seconds"], results["export"]["peak_mib"],
         f"{results['export']['members']:,} members")
    total = first["stage_seconds"] + first["seconds"]
    per_household = results["baseline"]["seconds"] / results["baseline"]["households"]
    print()
    line(f"baseline: services row by row, {b:,} households", results["baseline"]["seconds"],
         results["baseline"]["peak_mib"])
    line(f"staged import, same {b:,} households", small["stage_seconds"] + small["seconds"], small["peak_mib"])
    print(f"  baseline extrapolated to {n:,} households: {per_household * n / 60:.1f} min"
          f"  vs staged import {total / 60:.1f} min (stage + merge) — {per_household * n / total:.1f}x")


if __name__ == "__main__":
    main()
