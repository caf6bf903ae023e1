"""Benchmark: the case inbox and the daily round at county scale (`fangpin.cases`).

    .venv/bin/python bench/bench_cases.py                                  # 200,000 households, 20,000 open cases
    .venv/bin/python bench/bench_cases.py --households 20000 --cases 2000  # a quick run
    .venv/bin/python bench/bench_cases.py --data-dir /tmp/county           # reuse a county generated earlier

A synthetic county is generated into SQLite (skipped when --data-dir already holds one) and --cases
open identification cases are written straight into it, spread over every stage of the default
procedure, a third of them past their stage limit. Then, each in a transaction rolled back at the
end so that every phase starts from the same data:

- `inbox`: the case list page (`/cases/`) as a county officer and as a township officer (first page:
  "waiting for me" first, the working-day clock for every row, the counts and the escalation tab);
- `python`: the baseline — the same first page computed row by row in Python (every open case of the
  area loaded, "waiting for me" decided per case from its stage, sorted, sliced); it must list the
  same cases in the same order as the page;
- `daily`: `fangpin cases-daily` (escalate newly overdue cases, each with its change-log entry; close
  ended notices; count monitored households without a measure).
"""

import argparse
import contextlib
import datetime
import os
import random
import re
import sys
import tempfile
import time


def _setup(data_dir: str) -> None:
    os.environ["FANGPIN_DATA_DIR"] = data_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangpin.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _county(households: int):
    from fangpin.core.models import User
    from fangpin.demo.generator import generate_county
    from fangpin.demo.users import create_demo_users
    from fangpin.regions.models import Level, Place

    county = Place.objects.filter(level=Level.COUNTY).first()
    if county is None:
        started = time.monotonic()
        county = generate_county(households=households, seed=2026)
        print(f"county generated: {households:,} households in {time.monotonic() - started:.0f} s")
    if not User.objects.filter(username="officer").exists():
        create_demo_users(county, field_staff=False)
    return county


def _open_cases(county, count: int, today: datetime.date) -> None:
    from django.db import transaction

    from fangpin.cases.models import Case
    from fangpin.cases.services import procedure_in_force
    from fangpin.cases.workdays import WorkCalendar
    from fangpin.core.models import User
    from fangpin.registry.models import Household

    have = Case.objects.count()
    if have >= count:
        return
    config = procedure_in_force(county, "identification")
    calendar = WorkCalendar(county)
    opener = User.objects.get(username="cadre")
    rng = random.Random(2026)
    households = list(Household.objects.filter(status="active").exclude(cases__isnull=False)
                      .order_by("pk").values_list("pk", flat=True)[:count - have])
    rows = []
    for n, household_id in enumerate(households, start=have + 1):
        stage_index = rng.randrange(len(config.stages) - 1)
        overdue = rng.random() < 1 / 3
        started = today - datetime.timedelta(days=rng.randint(8, 20) if overdue else rng.randint(0, 1))
        rows.append(Case(household_id=household_id, kind="identification", number=f"RB{n:010d}", procedure=config,
                         stages=config.stages, stage_index=stage_index, stage_started_on=started,
                         stage_due_on=calendar.add(started, config.stages[stage_index]["limit_days"]),
                         due_on=calendar.add(started - datetime.timedelta(days=3), config.total_limit_days),
                         category="marginal", risk_types=["income"], opened_by=opener))
    with transaction.atomic():
        Case.objects.bulk_create(rows, batch_size=2000)
    print(f"open cases written: {len(rows):,} (now {Case.objects.count():,})")


class Rollback(Exception):
    """Raised at the end of a measured phase so that its transaction is rolled back."""


def _timed(label: str, action):
    """Run `action` in a transaction rolled back afterwards; return (seconds, queries, result)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    outcome = {}
    with contextlib.suppress(Rollback), transaction.atomic(), CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        outcome["result"] = action()
        outcome["seconds"] = time.perf_counter() - started
        outcome["queries"] = len(queries)
        raise Rollback
    print(f"  {label:<46} {outcome['seconds']:8.3f} s  {outcome['queries']:>6} queries")
    return outcome["seconds"], outcome["queries"], outcome["result"]


def _inbox(username: str, query: str = ""):
    from django.test import Client

    from fangpin.core.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))

    def fetch():
        response = client.get(f"/cases/{query}", HTTP_HOST="localhost")
        assert response.status_code == 200, response.status_code
        return re.findall(r'href="/cases/(\d+)/"', response.content.decode())
    return fetch


def _python_first_page(username: str, page_size: int):
    """The first inbox page computed row by row: load every open case of the area, decide per case."""
    from django.utils import timezone

    from fangpin.cases.models import Case
    from fangpin.cases.views import days_left, user_calendar
    from fangpin.core.models import User
    from fangpin.core.roles import Perm

    def compute():
        user = User.objects.get(username=username)
        today = timezone.localdate()
        calendar = user_calendar(user)
        cases = list(Case.objects.restrict(user, Perm.VIEW_CASES).filter(status="open")
                     .select_related("household__place__parent__parent"))
        for case in cases:
            case.is_mine = user.has_perm_named(case.stage["perm"])
        cases.sort(key=lambda c: (not c.is_mine, c.stage_due_on, c.pk))
        first = cases[:page_size]
        for case in first:
            case.clock = days_left(calendar, today, case.stage_due_on), days_left(calendar, today, case.due_on)
        return [str(c.pk) for c in first]
    return compute


def _daily():
    from io import StringIO

    from django.core.management import call_command

    def run():
        out = StringIO()
        call_command("cases_daily", stdout=out)
        return out.getvalue().strip()
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="fangpin-bench-cases-")
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    _setup(data_dir)
    from django.utils import timezone

    from fangpin.cases.views import PAGE_SIZE

    county = _county(args.households)
    _open_cases(county, args.cases, timezone.localdate())
    print(f"data dir {data_dir}; page size {PAGE_SIZE}")

    for username, query in (("officer", ""), ("township", ""), ("township", "?tab=escalated"), ("cadre", "")):
        _timed(f"inbox page as {username} {query}".strip(), _inbox(username, query))   # warm the caches
    results = {}
    for username in ("officer", "township"):
        page_s, page_q, listed = _timed(f"inbox page as {username}", _inbox(username))
        _timed(f"inbox escalation tab as {username}", _inbox(username, "?tab=escalated"))
        base_s, base_q, baseline = _timed(f"python baseline first page as {username}",
                                          _python_first_page(username, PAGE_SIZE))
        listed = list(dict.fromkeys(listed))
        same = listed[:PAGE_SIZE] == baseline
        print(f"  same cases in the same order as the baseline: {same}; baseline / page = {base_s / page_s:.1f}x")
        results[username] = same
    daily_s, daily_q, printed = _timed("cases-daily", _daily())
    print(f"  {printed}")
    if not all(results.values()):
        sys.exit("the inbox and the row-by-row baseline disagree")


if __name__ == "__main__":
    main()
