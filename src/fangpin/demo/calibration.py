"""How close the synthetic county is to the figures in DOMAIN.md §9 (and a few stated assumptions).

    python -m fangpin.demo.calibration --households 20000 --seed 2026

builds a county in a temporary SQLite database and prints one row per target: the source figure, the
accepted range and the measured value. `measure(county)` is also used by the tests (on a smaller
county, where the same ranges hold). Per-capita figures follow the national forms: household net
income (wage + operating + property + transfer − operating costs) divided by the members at the end
of the income year, population-weighted (total income over total people).
"""

import argparse
import dataclasses
import datetime
import os
import shutil
import sys
import tempfile
from collections import defaultdict

MONITORING_LINE = 8500  # yuan per person per year; DOMAIN §3 (Nankang 2024 8,500; Yunnan 2025 8,700)


@dataclasses.dataclass
class Metric:
    key: str
    label: str
    source: str
    low: float
    high: float
    value: float
    percent: bool = False

    @property
    def ok(self) -> bool:
        return self.low <= self.value <= self.high

    def show(self, x: float) -> str:
        return f"{x:.1%}" if self.percent else (f"{x:,.0f}" if abs(x) >= 100 else f"{x:.2f}")


def _present(joined, ended, year: int) -> bool:
    end = datetime.date(year, 12, 31)
    return (ended is None or ended > end) and (joined is None or joined <= end)


def measure(county) -> list[Metric]:
    """Measure the county's data against the calibration targets."""
    from fangpin.registry.models import Household, Income, Member

    households = {
        pk: (htype, status, grade, water)
        for pk, htype, status, grade, water in Household.objects.filter(county=county).values_list(
            "id", "household_type", "status", "house_grade", "water_safe")
    }
    exited_ids = {pk for pk, h in households.items() if h[0] == "exited"}
    members = list(Member.objects.filter(household__county=county).values_list(
        "household_id", "birth_date", "health", "schooling", "dibao", "medical_insurance", "joined_on", "ended_on"))
    by_household = defaultdict(list)
    for row in members:
        by_household[row[0]].append(row)
    incomes = list(Income.objects.filter(household__county=county, quarter__isnull=True).values_list(
        "household_id", "year", "wage_income", "operating_income", "property_income", "transfer_income",
        "operating_costs", "medical_spending", "education_spending", "disaster_loss", "insurance_payout"))

    active_households = [pk for pk, h in households.items() if h[1] == "active"]
    sizes = {pk: sum(1 for m in by_household[pk] if m[7] is None) for pk in active_households}
    active_members = [m for pk in active_households for m in by_household[pk] if m[7] is None]
    exited_members = [m for m in active_members if m[0] in exited_ids]
    metrics: list[Metric] = []

    def add(key, label, source, low, high, value, percent=False):
        metrics.append(Metric(key, label, source, low, high, float(value), percent))

    def mean(values):
        values = list(values)
        return sum(values) / len(values) if values else 0.0

    def share(items, test):
        items = list(items)
        return sum(1 for i in items if test(i)) / len(items) if items else 0.0

    add("size_exited", "户均人口：脱贫户", "§9 脱贫户约3.9人", 3.75, 4.05,
        mean(sizes[pk] for pk in active_households if pk in exited_ids))
    add("size_ordinary", "户均人口：一般农户", "§9 3.3-3.6人（任务要求）", 3.3, 3.6,
        mean(sizes[pk] for pk in active_households if pk not in exited_ids))
    add("exited_share", "脱贫户占农户比例", "原贫困县常见水平20-30%（任务要求）", 0.20, 0.30,
        share(active_households, lambda pk: pk in exited_ids), True)

    # Per-capita net income by year and group (population-weighted).
    totals = defaultdict(lambda: [0.0, 0])  # (year, group) -> [net, people]
    mix = defaultdict(float)
    per_household = {}
    for (pk, year, wage, operating, prop, transfer, costs, medical, education, disaster, payout) in incomes:
        people = sum(1 for m in by_household[pk] if _present(m[6], m[7], year))
        if not people:
            continue
        net = float(wage + operating + prop + transfer - costs)
        rigid = float(medical + education + disaster - payout)
        group = "exited" if pk in exited_ids else "ordinary"
        for g in (group, "all"):
            totals[(year, g)][0] += net
            totals[(year, g)][1] += people
        if group == "exited" and year == 2025:
            mix["wage"] += float(wage)
            mix["operating"] += float(operating - costs)
            mix["rest"] += float(prop + transfer)
            mix["net"] += net
        per_household[(pk, year)] = (net / people, (net - rigid) / people, people, float(medical))

    def per_capita(year, group):
        net, people = totals[(year, group)]
        return net / people if people else 0.0

    add("income_exited_2023", "脱贫人口人均纯收入 2023", "§9 2022年14,342，此后年增约6%", 14000, 16500,
        per_capita(2023, "exited"))
    add("income_exited_2024", "脱贫人口人均纯收入 2024", "同上；任务要求2023-2025约1.4-1.7万", 14500, 17000,
        per_capita(2024, "exited"))
    add("income_exited_2025", "脱贫人口人均纯收入 2025", "同上", 15000, 17800, per_capita(2025, "exited"))
    add("income_all_2023", "全体农户人均纯收入 2023", "§9 原贫困县农村居民人均可支配收入16,396", 15300, 17500,
        per_capita(2023, "all"))
    add("income_all_2024", "全体农户人均纯收入 2024", "§9 原贫困县农村居民人均可支配收入17,522", 16300, 18700,
        per_capita(2024, "all"))
    net = mix["net"] or 1.0
    add("mix_wage", "脱贫户收入构成：工资性（2025）", "§9 约2/3", 0.60, 0.72, mix["wage"] / net, True)
    add("mix_operating", "脱贫户收入构成：生产经营性净收入（2025）", "§9 约1/5", 0.15, 0.25,
        mix["operating"] / net, True)
    add("mix_rest", "脱贫户收入构成：转移性+财产性（2025）", "§9 其余部分", 0.08, 0.20, mix["rest"] / net, True)

    def people_share(predicate, group=None):
        hit = total = 0
        for pk in active_households:
            if group == "exited" and pk not in exited_ids:
                continue
            row = per_household.get((pk, 2025))
            if row is None:
                continue
            total += row[2]
            hit += row[2] if predicate(row) else 0
        return hit / total if total else 0.0

    add("below_line", f"人均纯收入低于{MONITORING_LINE:,}元的农村人口（2025）", "§9 监测对象占农村人口2-3%",
        0.02, 0.03, people_share(lambda r: r[0] < MONITORING_LINE), True)
    add("below_line_exited", f"脱贫人口中扣除刚性支出后人均低于{MONITORING_LINE:,}元（2025）",
        "§9 监测对象占脱贫人口10-15%", 0.10, 0.15,
        people_share(lambda r: r[1] < MONITORING_LINE, "exited"), True)

    low_sizes = [sizes[pk] for pk in active_households
                 if (pk, 2025) in per_household and per_household[(pk, 2025)][0] < MONITORING_LINE]
    add("size_below_line", "低于监测线农户的户均人口", "§9 监测户3.3-3.6人", 3.0, 3.8, mean(low_sizes))

    health = [m[2] for m in active_members]
    add("ill_exited_households", "有慢性病、大病或残疾成员的脱贫户比例",
        "§9 因病致贫42-44%，某县因病因残73%", 0.42, 0.75,
        share([pk for pk in active_households if pk in exited_ids],
              lambda pk: any(m[2] != "healthy" for m in by_household[pk] if m[7] is None)), True)
    add("chronic_rate", "长期慢性病人口比例", "假设：建档登记口径8-14%", 0.08, 0.14,
        share(health, lambda h: h == "chronic"), True)
    add("serious_rate", "患大病人口比例", "假设：0.8-2%", 0.008, 0.02, share(health, lambda h: h == "serious"), True)
    add("disabled_rate", "残疾人口比例", "假设：持证残疾人约3-6%", 0.03, 0.06,
        share(health, lambda h: h == "disabled"), True)
    add("disabled_rate_exited", "脱贫人口中残疾人比例", "假设：高于总体，5-10%", 0.05, 0.10,
        share((m[2] for m in exited_members), lambda h: h == "disabled"), True)

    grades = [households[pk][2] for pk in active_households]
    add("house_a", "住房A级比例", "任务要求：大多A/B级", 0.75, 0.88, share(grades, lambda g: g == "A"), True)
    add("house_b", "住房B级比例", "任务要求：大多A/B级", 0.10, 0.22, share(grades, lambda g: g == "B"), True)
    add("house_cd", "住房C/D级比例", "任务要求：少量C/D级", 0.012, 0.045, share(grades, lambda g: g in ("C", "D")), True)
    add("water_safe", "饮水安全农户比例", "假设：95-99%", 0.95, 0.995,
        share(active_households, lambda pk: households[pk][3] is True), True)

    compulsory = [m for m in active_members if 6 <= _age(m[1]) <= 15]
    add("compulsory_dropout", "6-15岁儿童失学辍学比例", "§3 义务教育有保障；极少失学辍学", 0.0, 0.003,
        share(compulsory, lambda m: m[3] == "dropout"), True)
    add("insured", "参加基本医疗保险人口比例", "§3 基本医疗有保障；少数未参保", 0.99, 0.999,
        share(active_members, lambda m: m[5] in ("resident", "employee")), True)
    add("dibao_exited", "脱贫人口中低保比例", "假设：15-30%", 0.15, 0.30, share(exited_members, lambda m: m[4]), True)
    add("dibao_all", "全体人口中低保比例", "假设：全国农村约7%，原贫困县更高，5-10%", 0.05, 0.10, share(active_members, lambda m: m[4]), True)
    add("medical_over_10k", "当年医疗自付超过1万元的农户比例（2025）", "假设：重尾，2-8%", 0.02, 0.08,
        share([k for k in per_household if k[1] == 2025], lambda k: per_household[k][3] > 10000), True)
    drops = [pk for pk in active_households if (pk, 2024) in per_household and (pk, 2025) in per_household
             and per_household[(pk, 2024)][0] > 0]
    add("income_drop", "人均纯收入比上年下降30%以上的农户（2025）", "§3 大幅下降常用30%；假设2-8%", 0.02, 0.08,
        share(drops, lambda pk: per_household[(pk, 2025)][0] < 0.7 * per_household[(pk, 2024)][0]), True)
    add("elderly_share", "60岁及以上人口比例", "假设：乡村常住人口23.8%（七普），户籍口径含外出务工者，略低", 0.18, 0.28,
        share(active_members, lambda m: _age(m[1]) >= 60), True)
    return metrics


def _age(birth: datetime.date) -> int:
    from .people import DATA_AS_OF

    return DATA_AS_OF.year - birth.year - ((DATA_AS_OF.month, DATA_AS_OF.day) < (birth.month, birth.day))


def table(metrics: list[Metric]) -> str:
    lines = ["| 指标 | 依据 | 接受范围 | 实测 | |", "|---|---|---|---|---|"]
    for m in metrics:
        lines.append(f"| {m.label} | {m.source} | {m.show(m.low)}–{m.show(m.high)} | {m.show(m.value)} | "
                     f"{'✓' if m.ok else '✗'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure the synthetic county against its calibration targets.")
    parser.add_argument("--households", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the temporary database and print where it is")
    args = parser.parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="fangpin-calibration-")
    try:
        return _measure_in(workdir, args)
    finally:
        if args.keep:
            print(f"\n数据库保留在 {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _measure_in(workdir: str, args) -> int:
    os.environ["FANGPIN_DATA_DIR"] = workdir
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangpin.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from fangpin.core.models import ChangeLog

    from .generator import generate_county

    call_command("migrate", interactive=False, verbosity=0)
    county = generate_county(args.households, args.seed)
    metrics = measure(county)
    built = ChangeLog.objects.get(source="demo", object_id=county.pk).after
    oddities = "，".join(f"{o['label']} {o['count']}" for o in built["oddities"].values())
    print(f"种子 {args.seed}，{args.households:,} 户（数据截至 {built['data_as_of']}）：{built['townships']}个乡镇、"
          f"{built['villages']}个村、{built['groups']}个村民小组，在册成员{built['members']:,}人，"
          f"已离户成员{built['former_members']:,}人，销户{built['dissolved_households']:,}户，"
          f"年度收支{built['income_rows']:,}条。埋设的数据问题：{oddities}。\n")
    print(table(metrics))
    return 0 if all(m.ok for m in metrics) else 1


if __name__ == "__main__":
    sys.exit(main())
