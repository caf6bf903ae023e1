"""Benchmark: full rule screening of a synthetic county (`fangpin.monitoring.screening`).

    .venv/bin/python bench/bench_screening.py                       # 1,000,000 households (generation takes minutes)
    .venv/bin/python bench/bench_screening.py --households 20000    # a quick run
    .venv/bin/python bench/bench_screening.py --data-dir /tmp/county  # reuse a county generated earlier

The county is built with `generate_county(households=N, seed=...)` into a SQLite database in a
temporary FANGPIN_DATA_DIR (or the given --data-dir; generation is skipped when it already holds a
county). Then, each in its own process so that peak memory (ru_maxrss) is per phase, and each in a
transaction rolled back at the end so that every phase starts from the same data:

- `db`: `screening_run(engine="db")`, the rules compiled by Ibis to SQLite and run on the app database;
- `duckdb`: `screening_run(engine="duckdb")`, a Parquet snapshot of the canonical tables and the same
  rules on DuckDB;
- `python`: a straightforward row-by-row implementation of the same rules (per household: read its
  members and incomes through the ORM, evaluate each rule in Python with Decimal), then `lead_raise`
  once per flagged row, on the first --python-sample households; extrapolated to the county.

Both screenings include writing the leads and recomputing the tiers of every household. The
engines must agree: per rule, the same households (compared by digest); and on the sample, the
row-by-row implementation must flag the same (rule, household) pairs.
"""

import argparse
import datetime
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from decimal import ROUND_HALF_EVEN, Decimal

MONTH = "2026-03"


def _setup(args) -> None:
    os.environ["FANGPIN_DATA_DIR"] = args.data_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangpin.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _thresholds(county):
    from fangpin.monitoring.models import Thresholds

    found = Thresholds.objects.filter(county=county).order_by("-version").first()
    if found:
        return found
    # Yunnan-like line (DOMAIN §3) and the Yangyuan-style medical warning lines on the 2024 reference income.
    return Thresholds.objects.create(
        county=county, version=1, effective_from=datetime.date(2026, 1, 1), year=2026, line_method="fixed",
        line_parameters={"amount": "8700"}, monitoring_line=Decimal("8700"), reference_income=Decimal("17522"),
        medical_warning_amount=Decimal("10000"), medical_warning_reference_share_exited=Decimal("0.5"),
        medical_warning_reference_share_other=Decimal("1.0"), education_warning_income_share=Decimal("0.3"),
        disaster_warning_amount=Decimal("20000"), note="bench")


def _county():
    from fangpin.regions.models import Level, Place

    return Place.objects.get(level=Level.COUNTY)


def _sample_ids(county, size: int) -> list[int]:
    from fangpin.registry.models import Household

    return list(Household.objects.filter(county=county, status="active").order_by("id")
                .values_list("id", flat=True)[:size])


def _digest(pairs) -> dict[str, str]:
    by_rule = {}
    for code, household_id in sorted(pairs):
        by_rule.setdefault(code, []).append(household_id)
    return {code: hashlib.sha1(",".join(map(str, ids)).encode()).hexdigest()[:16] for code, ids in by_rule.items()}


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- phases


def phase_generate(args) -> dict:
    _setup(args)
    from fangpin.demo.generator import generate_county
    from fangpin.regions.models import Place

    if Place.objects.exists():
        return {"phase": "generate", "skipped": True}
    started = time.perf_counter()
    generate_county(households=args.households, seed=args.seed)
    return {"phase": "generate", "seconds": round(time.perf_counter() - started, 1), "peak_mib": round(_rss_mib())}


def phase_engine(args) -> dict:
    _setup(args)
    from django.db import transaction

    from fangpin.monitoring.models import HouseholdTier, Lead
    from fangpin.monitoring.screening.services import screening_run
    from fangpin.registry.models import Household, Member

    county = _county()
    _thresholds(county)
    sample = set(_sample_ids(county, args.python_sample))
    with transaction.atomic():
        started = time.perf_counter()
        run = screening_run(actor=None, county=county, period=args.month, engine=args.phase)
        seconds = time.perf_counter() - started
        pairs = list(Lead.objects.filter(screening_run=run).values_list("rule_code", "household_id"))
        result = {
            "phase": args.phase, "seconds": round(seconds, 1), "peak_mib": round(_rss_mib()),
            "timings": run.timings, "households": Household.objects.filter(county=county, status="active").count(),
            "people": Member.objects.filter(household__county=county, ended_on__isnull=True).count(),
            "leads": len(pairs), "new": sum(c["new"] for c in run.counts.values()),
            "merged": sum(c["merged"] for c in run.counts.values()),
            "per_rule": {code: c["total"] for code, c in run.counts.items()},
            "tiers": HouseholdTier.objects.filter(screening_run=run).count(),
            "digest": _digest(pairs),
            "sample_pairs": sorted([code, h] for code, h in pairs if h in sample),
        }
        transaction.set_rollback(True)
    return result


def phase_python(args) -> dict:
    _setup(args)
    from django.db import transaction

    from fangpin.core.models import User
    from fangpin.core.roles import Role
    from fangpin.monitoring.choices import Channel
    from fangpin.monitoring.screening.parameters import Parameters
    from fangpin.monitoring.screening.rules import RULES
    from fangpin.monitoring.services import lead_raise
    from fangpin.registry.models import Household

    county = _county()
    thresholds = _thresholds(county)
    parameters = Parameters.from_thresholds(thresholds, args.month)
    ids = _sample_ids(county, args.python_sample)
    total = Household.objects.filter(county=county, status="active").count()
    with transaction.atomic():
        started = time.perf_counter()
        flagged = []
        for household in Household.objects.filter(pk__in=ids).order_by("id").iterator(chunk_size=1000):
            members, incomes = list(household.members.all()), list(household.incomes.all())
            for code, figures in RowByRow(parameters, household, members, incomes).flagged():
                flagged.append((code, household))
        evaluate_seconds = time.perf_counter() - started
        actor = User.objects.create_user(username="bench_screening", role=Role.COUNTY_ADMIN, place=county)
        rules = {rule.code: rule for rule in RULES}
        started = time.perf_counter()
        for code, household in sorted(flagged, key=lambda pair: ([r.code for r in RULES].index(pair[0]),
                                                                  pair[1].pk)):
            rule = rules[code]
            lead_raise(actor=actor, channel=Channel.SCREENING, household=household, risk_types=list(rule.risk_types),
                       summary=str(rule.title), rule_code=code, rule_version=rule.version, thresholds=thresholds,
                       period=args.month)
        lead_seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    scale = total / max(len(ids), 1)
    return {
        "phase": "python", "sample_households": len(ids), "households": total,
        "evaluate_seconds": round(evaluate_seconds, 1), "lead_raise_seconds": round(lead_seconds, 1),
        "sample_leads": len(flagged),
        "extrapolated_seconds": round((evaluate_seconds + lead_seconds) * scale, 1),
        "peak_mib": round(_rss_mib()),
        "sample_pairs": sorted([code, household.pk] for code, household in flagged),
    }


# ---------------------------------------------------------------- the rules, one household at a time


class RowByRow:
    """The screening rules written the straightforward way: Python over one household's rows."""

    STRONG, ABLE = ("skilled", "ordinary"), ("skilled", "ordinary", "weak")

    def __init__(self, p, household, members, incomes):
        self.p, self.h, self.members, self.incomes = p, household, members, incomes
        self.present = [m for m in members if self._present_on(m, p.screening_ymd)]

    @staticmethod
    def _ymd(day):
        return None if day is None else day.year * 10000 + day.month * 100 + day.day

    def _working_age(self, member):
        return 16 <= (self.p.screening_ymd - self._ymd(member.birth_date)) // 10000 <= 64

    def _present_on(self, member, day):
        joined, ended = self._ymd(member.joined_on), self._ymd(member.ended_on)
        return (joined is None or joined <= day) and (ended is None or ended > day)

    @staticmethod
    def _fen(amount: Decimal) -> int:
        return int(amount * 100)

    def basis(self, years_back=0):
        p = self.p
        year, end = p.income_year - years_back, p.window_end - 4 * years_back
        yearly = [i for i in self.incomes if i.quarter is None and i.year == year]
        quarters = [i for i in self.incomes if i.quarter and end - 3 <= i.year * 4 + i.quarter - 1 <= end]
        window_is_year = end % 4 == 3 and end // 4 == year
        if len(quarters) == 4 and (not window_is_year or not yearly):
            rows, day = quarters, p.window_end_ymd(years_back)
        elif yearly:
            rows, day = yearly, year * 10000 + 1231
        else:
            return None
        s = {name: sum(self._fen(getattr(r, name)) for r in rows) for name in (
            "wage_income", "operating_income", "property_income", "transfer_income", "operating_costs",
            "medical_spending", "education_spending", "disaster_loss", "insurance_payout")}
        size = sum(1 for m in self.members if self._present_on(m, day))
        gross = s["wage_income"] + s["operating_income"] + s["property_income"] + s["transfer_income"]
        net = gross - s["operating_costs"]
        rigid = s["medical_spending"] + s["education_spending"] + s["disaster_loss"]

        def per_capita(total):
            return None if not size else int((Decimal(total) / size).quantize(Decimal(1), ROUND_HALF_EVEN))

        return {**s, "gross": gross, "net": net, "size": size, "pc": per_capita(net),
                "pc_after": per_capita(net + s["insurance_payout"] - rigid)}

    def flagged(self):
        p, h, b = self.p, self.h, self.basis()
        exited = h.household_type == "exited"
        out = []
        if b and b["size"] and b["pc"] < p.line_fen:
            out.append("income_below_line")
        before = self.basis(1)
        if b and before and b["size"] and before["pc_after"] and before["pc_after"] > 0 and \
                (before["pc_after"] - b["pc_after"]) * 10000 >= before["pc_after"] * p.drop_bp:
            out.append("income_sharp_drop")
        if b and b["size"] and p.line_fen <= b["pc"] < p.watch_line_fen:
            out.append("income_watch_band")
        for kind, field, rule in (("medical", "medical_spending", "medical_spending_high"),
                                  ("education", "education_spending", "education_spending_high"),
                                  ("disaster", "disaster_loss", "disaster_loss_high")):
            if not b or b[field] <= 0:
                continue
            spent, amount, share = b[field], getattr(p, f"{kind}_amount_fen"), getattr(p, f"{kind}_income_share_bp")
            above = (amount is not None and spent > amount) or (share is not None and spent * 10000 > b["net"] * share)
            if kind == "medical" and p.reference_income_fen is not None:
                ref_share = p.medical_reference_share_exited_bp if exited else p.medical_reference_share_other_bp
                above = above or (ref_share is not None and spent * 10000 > p.reference_income_fen * ref_share)
            if above:
                out.append(rule)
        if h.house_grade in ("C", "D"):
            out.append("house_unsafe")
        if any(6 <= (p.screening_ymd - self._ymd(m.birth_date)) // 10000 <= 15
               and m.schooling in ("not_in_school", "dropout") for m in self.present):
            out.append("child_out_of_school")
        water = (h.water_safe, h.water_quantity_ok, h.water_quality_ok, h.water_convenient_ok, h.water_supply_ok)
        if any(value is False for value in water):
            out.append("water_unsafe")
        if any(m.medical_insurance in ("none", "") for m in self.present):
            out.append("medical_insurance_missing")
        assisted = any(m.dibao or m.tekun for m in self.present)
        died = any(m.end_reason == "deceased" and p.year_before_ymd <= self._ymd(m.ended_on) < p.screening_ymd
                   and m.labour_capacity in self.STRONG for m in self.members if m.ended_on)
        strong = sum(1 for m in self.present if m.labour_capacity in self.STRONG and self._working_age(m))
        able = sum(1 for m in self.present if m.labour_capacity in self.ABLE and self._working_age(m))
        head_disabled = any(m.relation == "head" and m.health == "disabled" for m in self.present)
        if self.present and not assisted and (died or (head_disabled and not strong) or not able):
            out.append("labour_loss_unprotected")
        unstable = [m for m in self.present if m.labour_capacity in self.STRONG and self._working_age(m)
                    and m.work_place
                    and m.work_months < p.stable_employment_months]
        if unstable and b and b["gross"] > 0 and b["wage_income"] * 10000 >= b["gross"] * 5000:
            out.append("unstable_employment")
        if b and any(m.health in ("serious", "chronic") for m in self.present) and b["medical_spending"] == 0:
            out.append("illness_without_medical_spending")
        if any(m.work_months > 0 and m.labour_capacity in ("lost", "none") for m in self.present):
            out.append("working_without_labour")
        if assisted and b and b["size"] and b["pc"] > 2_000_000:
            out.append("assisted_high_income")
        if assisted and b and b["transfer_income"] == 0:
            out.append("assisted_without_transfer_income")
        return [(code, None) for code in out]


# ---------------------------------------------------------------- driver


def _run_phase(args, phase: str) -> dict:
    command = [sys.executable, __file__, "--phase", phase, "--data-dir", args.data_dir, "--households",
               str(args.households), "--seed", str(args.seed), "--month", args.month, "--python-sample",
               str(args.python_sample)]
    print(f"[{datetime.datetime.now():%H:%M:%S}] {phase} ...", file=sys.stderr, flush=True)
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    print(f"[{datetime.datetime.now():%H:%M:%S}] {phase}: "
          f"{json.dumps({k: v for k, v in result.items() if k not in ('sample_pairs', 'digest')}, ensure_ascii=False)}",
          file=sys.stderr, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--month", default=MONTH)
    parser.add_argument("--data-dir", help="reuse this data dir (a county generated earlier is kept)")
    parser.add_argument("--python-sample", type=int, default=20_000,
                        help="households screened row by row, extrapolated to the county")
    parser.add_argument("--phase", choices=["generate", "db", "duckdb", "python"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase = {"generate": phase_generate, "python": phase_python}.get(args.phase, phase_engine)
        print(json.dumps(phase(args), ensure_ascii=False))
        return
    args.data_dir = args.data_dir or tempfile.mkdtemp(prefix="fangpin-bench-screening-")
    results = {name: _run_phase(args, name) for name in ("generate", "db", "duckdb", "python")}
    db, duck, py = results["db"], results["duckdb"], results["python"]
    agree = db["digest"] == duck["digest"] and db["per_rule"] == duck["per_rule"]
    sample_agree = db["sample_pairs"] == duck["sample_pairs"] == py["sample_pairs"]
    summary = {
        "households": db["households"], "people": db["people"], "leads": db["leads"],
        "engines_agree": agree, "row_by_row_agrees_on_sample": sample_agree,
        "db": {k: db[k] for k in ("seconds", "peak_mib", "timings")},
        "duckdb": {k: duck[k] for k in ("seconds", "peak_mib", "timings")},
        "python": {k: py[k] for k in ("sample_households", "evaluate_seconds", "lead_raise_seconds", "sample_leads",
                                      "extrapolated_seconds", "peak_mib")},
        "per_rule": db["per_rule"], "generate": results["generate"], "data_dir": args.data_dir,
    }
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    if not (agree and sample_agree):
        sys.exit("engines or the row-by-row implementation disagree")


if __name__ == "__main__":
    main()
