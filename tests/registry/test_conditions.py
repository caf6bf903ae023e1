"""Each household condition of fangpin.registry.conditions, at its boundaries, in all three
renderings: Ibis (run on the app database and on DuckDB, as the screening runs it), Django Q and
plain Python must find the same members or households, and the ones each case expects."""

import contextlib
import datetime

import ibis
import pyarrow as pa
import pytest

from fangpin.monitoring.screening.engines import DatabaseEngine, DuckDBEngine
from fangpin.monitoring.screening.tables import REGISTRY_HOUSEHOLD
from fangpin.registry import conditions as c
from fangpin.registry.choices import Relation
from fangpin.registry.models import Household, Income, Member

from ..monitoring.screening.conftest import make_home, person, yearly

D = datetime.date
DAY = D(2026, 5, 1)  # the screening day of the month 2026-05
DAY_YMD = c.ymd(DAY)
LINE_FEN, WATCH_FEN, DROP_BP = 870000, 957000, 3000


@contextlib.contextmanager
def both_engines(county_id, data_dir):
    engines = {"db": DatabaseEngine(county_id), "duckdb": DuckDBEngine(county_id, directory=data_dir / "snap")}
    try:
        yield engines
    finally:
        for engine in engines.values():
            engine.close()


def ids(rows, key):
    return {row[key] for row in rows}


# ---------------------------------------------------------------- member conditions

MEMBER_CONDITIONS = {
    "able": c.ABLE_TO_WORK_MEMBER, "full": c.FULL_LABOUR_MEMBER, "recorded_no_labour": c.RECORDED_NO_LABOUR_MEMBER,
    "out_of_school": c.OUT_OF_SCHOOL_CHILD, "schooling_unknown": c.SCHOOLING_UNKNOWN_CHILD,
    "uninsured": c.UNINSURED_MEMBER, "ill": c.ILL_MEMBER, "seriously_ill": c.SERIOUSLY_ILL_MEMBER,
    "disabled": c.DISABLED_MEMBER, "disabled_head": c.DISABLED_HEAD, "assisted": c.ASSISTED_MEMBER,
    "non_compulsory_student": c.NON_COMPULSORY_STUDENT, "unstable_worker": c.unstable_worker(6),
    "works_without_labour": c.WORKS_WITHOUT_LABOUR,
}
CHILD = {"relation": Relation.SON, "labour_capacity": ""}
# label, member fields, the conditions the member meets on DAY (each member heads its own household
# unless it is a child; the head of a child's household is a default adult)
MEMBERS = [
    ("adult", {}, {"able", "full"}),
    ("aged 15 until tomorrow, ordinary", {"birth_date": D(2010, 5, 2), "schooling": "grade9"}, set()),
    ("turned 16 today, ordinary", {"birth_date": D(2010, 5, 1)}, {"able", "full"}),
    ("aged 64 until tomorrow", {"birth_date": D(1961, 5, 2)}, {"able", "full"}),
    ("turned 65 today", {"birth_date": D(1961, 5, 1)}, set()),
    ("weak labour", {"labour_capacity": "weak"}, {"able"}),
    ("lost labour", {"labour_capacity": "lost"}, {"recorded_no_labour"}),
    ("no labour", {"labour_capacity": "none"}, {"recorded_no_labour"}),
    ("capacity blank", {"labour_capacity": ""}, set()),
    ("age 5 not in school", {**CHILD, "birth_date": D(2020, 5, 2), "schooling": "not_in_school"}, set()),
    ("age 6 not in school", {**CHILD, "birth_date": D(2020, 5, 1), "schooling": "not_in_school"}, {"out_of_school"}),
    ("age 15 dropout", {**CHILD, "birth_date": D(2010, 5, 2), "schooling": "dropout"}, {"out_of_school"}),
    ("age 16 not in school", {**CHILD, "birth_date": D(2010, 5, 1), "schooling": "not_in_school"}, set()),
    ("age 10 in primary school", {**CHILD, "birth_date": D(2016, 1, 1), "schooling": "primary"}, set()),
    ("age 10 schooling blank", {**CHILD, "birth_date": D(2016, 1, 1), "schooling": ""}, {"schooling_unknown"}),
    ("age 17 in senior school", {**CHILD, "birth_date": D(2009, 1, 1), "schooling": "senior"},
     {"non_compulsory_student"}),
    ("employee insurance", {"medical_insurance": "employee"}, {"able", "full"}),
    ("not insured", {"medical_insurance": "none"}, {"able", "full", "uninsured"}),
    ("insurance blank", {"medical_insurance": ""}, {"able", "full", "uninsured"}),
    ("seriously ill", {"health": "serious"}, {"able", "full", "ill", "seriously_ill"}),
    ("chronically ill", {"health": "chronic"}, {"able", "full", "ill"}),
    ("disabled head", {"health": "disabled", "disability_grade": "2", "labour_capacity": "weak"},
     {"able", "disabled", "disabled_head"}),
    ("disability grade only", {"disability_grade": "3"}, {"able", "full", "disabled"}),
    ("低保", {"dibao": True}, {"able", "full", "assisted"}),
    ("特困", {"tekun": True, "labour_capacity": "none"}, {"assisted", "recorded_no_labour"}),
    ("worked 5 of 6 months away", {"work_place": "in_province", "work_months": 5}, {"able", "full", "unstable_worker"}),
    ("worked 6 months away", {"work_place": "in_province", "work_months": 6}, {"able", "full"}),
    ("weak labour, 5 months away", {"labour_capacity": "weak", "work_place": "in_county", "work_months": 5},
     {"able"}),
    ("lost labour, 3 months of work", {"labour_capacity": "lost", "work_place": "in_county", "work_months": 3},
     {"recorded_no_labour", "works_without_labour"}),
    ("left yesterday, not insured", {"ended_on": D(2026, 4, 30), "end_reason": "moved_out",
                                     "medical_insurance": "none"}, set()),
    ("leaves today, not insured", {"ended_on": DAY, "end_reason": "moved_out", "medical_insurance": "none"}, set()),
    ("leaves tomorrow, not insured", {"ended_on": D(2026, 5, 2), "end_reason": "moved_out",
                                      "medical_insurance": "none"}, {"able", "full", "uninsured"}),
    ("joins tomorrow, not insured", {"joined_on": D(2026, 5, 2), "medical_insurance": "none"}, set()),
]


def _member_households(place):
    members = {}
    for label, fields, _expected in MEMBERS:
        relation = fields.get("relation", Relation.HEAD)
        spec = person(relation, name=label[:50], **{k: v for k, v in fields.items() if k != "relation"})
        people = [spec] if relation == Relation.HEAD else [person(name="家长"), spec]
        household = make_home(place, members=people)
        members[label] = household.members.get(name=label[:50]).pk
    return members


def test_member_conditions_agree_at_their_boundaries(places, tmp_path):
    by_label = _member_households(places["t1v1"])
    label_of = {pk: label for label, pk in by_label.items()}
    q_found, python_found = set(), set()
    everyone = list(Member.objects.all())
    for name, condition in MEMBER_CONDITIONS.items():
        q_found |= {(label_of[pk], name) for pk in Member.objects.filter(c.present_q(DAY), condition.q(DAY))
                    .filter(pk__in=label_of).values_list("pk", flat=True)}
        python_found |= {(label_of[m.pk], name) for m in c.members_meeting(condition, everyone, DAY)
                         if m.pk in label_of}
    expected = {(label, name) for label, _fields, names in MEMBERS for name in names}
    assert q_found == expected
    assert python_found == expected
    with both_engines(places["county"].pk, tmp_path) as engines:
        for engine_name, engine in engines.items():
            members = engine.tables.members
            present = members.filter(c.present_ibis(members, DAY_YMD))
            found = set()
            for name, condition in MEMBER_CONDITIONS.items():
                rows = engine.evaluate(present.filter(condition.ibis(present, DAY_YMD)).select("member_id"))
                found |= {(label_of[pk], name) for pk in ids(rows, "member_id") if pk in label_of}
            assert found == expected, engine_name


def test_deceased_earner_within_twelve_months(places, tmp_path):
    cases = {  # label: (died on, capacity, counts)
        "died a year ago to the day": (D(2025, 5, 1), "ordinary", True),
        "died a year and a day ago": (D(2025, 4, 30), "ordinary", False),
        "died yesterday, weak labour": (D(2026, 4, 30), "weak", False),
        "died yesterday, skilled": (D(2026, 4, 30), "skilled", True),
        "dies today": (DAY, "ordinary", False),
    }
    for label, (died, capacity, _counts) in cases.items():
        make_home(places["t1v1"], members=[person(labour_capacity="weak"), person(
            Relation.SON, name=label, birth_date=D(1995, 1, 1), labour_capacity=capacity, ended_on=died,
            end_reason="deceased")])
    expected = {label for label, (_d, _c, counts) in cases.items() if counts}
    label_of = dict(Member.objects.filter(name__in=cases).values_list("pk", "name"))
    assert {label_of[pk] for pk in Member.objects.filter(c.deceased_earner_q(DAY)).values_list("pk", flat=True)} \
        == expected
    assert {m.name for m in Member.objects.filter(name__in=cases) if c.deceased_earner_python(m, DAY)} == expected
    with both_engines(places["county"].pk, tmp_path) as engines:
        for engine_name, engine in engines.items():
            members = engine.tables.members
            rows = engine.evaluate(members.filter(c.deceased_earner_ibis(members, DAY_YMD)).select("member_id"))
            assert {label_of[pk] for pk in ids(rows, "member_id")} == expected, engine_name


# ---------------------------------------------------------------- household conditions

HOUSEHOLD_CONDITIONS = {"water_unsafe": c.WATER_UNSAFE, "water_secured": c.WATER_SECURED,
                        "house_unsafe": c.HOUSE_UNSAFE, "house_secured": c.HOUSE_SECURED}
ALL_WATER = ("water_safe", *c.WATER_CRITERIA)
UNKNOWN_WATER = dict.fromkeys(ALL_WATER)
HOUSEHOLDS = [  # label (household number), fields, conditions met
    ("all water criteria met", {}, {"water_secured", "house_secured"}),
    ("water judged unsafe", {"water_safe": False}, {"water_unsafe", "house_secured"}),
    *[(f"{criterion} fails", {criterion: False}, {"water_unsafe", "house_secured"}) for criterion in c.WATER_CRITERIA],
    ("water not assessed", UNKNOWN_WATER, {"house_secured"}),
    ("judged safe, criteria not assessed", {**UNKNOWN_WATER, "water_safe": True}, {"water_secured", "house_secured"}),
    ("criteria met, no overall judgement", {"water_safe": None}, {"water_secured", "house_secured"}),
    ("one criterion met, others not assessed", {**UNKNOWN_WATER, "water_quality_ok": True}, {"house_secured"}),
    ("judged safe, supply fails", {"water_supply_ok": False}, {"water_unsafe", "house_secured"}),
    ("house B", {"house_grade": "B"}, {"water_secured", "house_secured"}),
    ("house C", {"house_grade": "C"}, {"water_secured", "house_unsafe"}),
    ("house D", {"house_grade": "D"}, {"water_secured", "house_unsafe"}),
    ("no house of its own", {"house_grade": "none"}, {"water_secured"}),
    ("house grade blank", {"house_grade": ""}, {"water_secured"}),
]


def _registry_households_duckdb():
    """The registry's household columns as an in-memory DuckDB table (what Ibis reads on DuckDB)."""
    names = [name for name in REGISTRY_HOUSEHOLD.schema().names]
    rows = list(Household.objects.values_list(*names))
    types = {"int64": pa.int64(), "boolean": pa.bool_(), "string": pa.string()}
    schema = pa.schema([(name, types[str(dtype).rstrip("!")]) for name, dtype in REGISTRY_HOUSEHOLD.schema().items()])
    table = pa.table({name: [row[i] for row in rows] for i, name in enumerate(names)}, schema=schema)
    return ibis.duckdb.connect(), ibis.memtable(table)


def test_household_conditions_agree_at_their_boundaries(places, tmp_path):
    for label, fields, _expected in HOUSEHOLDS:
        make_home(places["t1v1"], number=label[:30], **fields)
    number_of = dict(Household.objects.values_list("pk", "number"))
    expected = {(label[:30], name) for label, _fields, names in HOUSEHOLDS for name in names}
    households = list(Household.objects.all())
    q_found, python_found, db_found, duck_found = set(), set(), set(), set()
    con, duck_table = _registry_households_duckdb()
    db = DatabaseEngine(places["county"].pk)
    try:
        for name, condition in HOUSEHOLD_CONDITIONS.items():
            q_found |= {(n, name) for n in Household.objects.filter(condition.q()).values_list("number", flat=True)}
            python_found |= {(h.number, name) for h in households if condition.python(h)}
            rows = db.evaluate(REGISTRY_HOUSEHOLD.filter(condition.ibis(REGISTRY_HOUSEHOLD)).select("id"))
            db_found |= {(number_of[pk], name) for pk in ids(rows, "id")}
            rows = con.to_pyarrow(duck_table.filter(condition.ibis(duck_table)).select("id")).to_pylist()
            duck_found |= {(number_of[pk], name) for pk in ids(rows, "id")}
    finally:
        db.close()
        con.disconnect()
    assert q_found == expected
    assert python_found == expected
    assert db_found == expected
    assert duck_found == expected
    # The screening's canonical households table carries the same water verdict on both engines.
    unsafe = {number for number, name in expected if name == "water_unsafe"}
    with both_engines(places["county"].pk, tmp_path) as engines:
        for engine_name, engine in engines.items():
            h = engine.tables.households
            rows = engine.evaluate(h.filter(h.water_unsafe).select("household_id"))
            assert {number_of[pk] for pk in ids(rows, "household_id")} == unsafe, engine_name


# ---------------------------------------------------------------- income figures and conditions


def income_2025(wage, **more):
    return {2024: yearly(), 2025: yearly(wage, **more)}


THREE = [person(), person(Relation.SPOUSE), person(Relation.SON)]
W = "wages"  # wages make up at least half of the gross income
INCOMES = [  # label, make_home fields, conditions met (yearly records only: every basis is the year 2025)
    ("exactly at the line", {"incomes": income_2025("17400.00")}, {"watch_band", "sharp_drop", W}),
    ("one fen below the line", {"incomes": income_2025("17399.98")}, {"below_line", "sharp_drop", W}),
    ("one fen above the line", {"incomes": income_2025("17400.02")}, {"watch_band", "sharp_drop", W}),
    ("8699.9967 rounds to the line", {"members": THREE, "incomes": income_2025("26099.99")},
     {"watch_band", "sharp_drop", W}),
    ("at the watch line", {"incomes": income_2025("19140.00")}, {"sharp_drop", W}),
    ("fell exactly 30%", {"incomes": income_2025("28000.00")}, {"sharp_drop", W}),
    ("fell one fen short of 30%", {"incomes": income_2025("28000.02")}, {W}),
    ("medical spending takes 30%", {"incomes": income_2025("40000", medical_spending="12000")}, {"sharp_drop", W}),
    ("insurance payout counted", {"incomes": income_2025("40000", medical_spending="12000",
                                                         insurance_payout="0.02")}, {W}),
    ("payout covers the bill", {"incomes": income_2025("40000", medical_spending="30000",
                                                       insurance_payout="30000")}, {W}),
    ("operating costs above income", {"incomes": income_2025("1000", operating_costs="2001.01")},
     {"below_line", "sharp_drop", W}),
    ("低保 at 20000.00 a head", {"members": [person(dibao=True), person(Relation.SPOUSE)],
                                "incomes": income_2025("40000.00")}, {W}),
    ("低保 at 20000.01 a head", {"members": [person(dibao=True), person(Relation.SPOUSE)],
                                "incomes": income_2025("40000.02")}, {"assisted_high", W}),
    ("wages one fen under half", {"incomes": income_2025("19999.99", operating_income="20000.01")}, set()),
    ("a member who left in 2025 is not counted", {
        "members": [person(), person(Relation.SPOUSE), person(Relation.SON, ended_on=D(2025, 6, 30),
                                                               end_reason="moved_out")],
        "incomes": income_2025("17400.00")}, {"watch_band", "sharp_drop", W}),
    ("left on new year's eve", {
        "members": [person(), person(Relation.SPOUSE), person(Relation.SON, ended_on=D(2025, 12, 31),
                                                               end_reason="moved_out")],
        "incomes": income_2025("17400.00")}, {"watch_band", "sharp_drop", W}),
]


def _income_conditions(figures, before, *, exited=False):
    """The income conditions of fangpin.registry.conditions on Python figures (IncomeFigures)."""
    met = set()
    if figures.size and c.income_below_line(figures.per_capita_fen, LINE_FEN):
        met.add("below_line")
    if figures.size and c.income_in_watch_band(figures.per_capita_fen, LINE_FEN, WATCH_FEN):
        met.add("watch_band")
    if figures.size and before is not None and before.per_capita_after_rigid_fen is not None and \
            c.income_sharp_drop(figures.per_capita_after_rigid_fen, before.per_capita_after_rigid_fen, DROP_BP):
        met.add("sharp_drop")
    if figures.size and c.assisted_income_too_high(figures.per_capita_fen):
        met.add("assisted_high")
    if c.wages_dominate(figures.wage_fen, figures.gross_fen):
        met.add("wages")
    return met


def test_income_figures_and_conditions_agree_at_their_boundaries(places, tmp_path):
    for label, fields, _expected in INCOMES:
        make_home(places["t1v1"], number=label[:30], **fields)
    number_of = dict(Household.objects.values_list("pk", "number"))
    expected = {label[:30]: names for label, _fields, names in INCOMES}

    # Python: one household at a time.
    python_figures, python_met = {}, {}
    for household in Household.objects.all():
        incomes, members = list(household.incomes.all()), list(household.members.all())
        now = c.household_income(incomes, members, c.IncomeWindow(DAY))
        before = c.household_income(incomes, members, c.IncomeWindow(DAY, years_back=1))
        python_figures[household.number] = (now.size, now.net_fen, now.per_capita_fen, now.per_capita_after_rigid_fen)
        python_met[household.number] = _income_conditions(now, before)
    assert python_met == expected

    # The Income model's own figures are the same.
    for income in Income.objects.with_member_count().filter(year=2025).select_related("household"):
        size, net, per_capita, after = python_figures[income.household.number]
        assert (income.size, c.to_fen(income.net_income), c.to_fen(income.per_capita_net_income),
                c.to_fen(income.per_capita_after_rigid_spending)) == (size, net, per_capita, after)

    # Q: yearly records annotated by the database.
    q_figures = {}
    for household in Household.objects.all():
        row = c.yearly_incomes(2025, household=household).values(
            "size", "net_fen", "per_capita_fen", "per_capita_after_rigid_fen").get()
        q_figures[household.number] = (row["size"], row["net_fen"], row["per_capita_fen"],
                                       row["per_capita_after_rigid_fen"])
    assert q_figures == python_figures
    q_met = {number: set() for number in number_of.values()}
    for name, condition in (("below_line", c.income_below_line_q(2025, LINE_FEN)),
                            ("sharp_drop", c.income_sharp_drop_q(2025, DROP_BP))):
        for number in Household.objects.filter(condition).values_list("number", flat=True):
            q_met[number].add(name)
    assert q_met == {number: names & {"below_line", "sharp_drop"} for number, names in expected.items()}

    # Ibis, on both engines.
    with both_engines(places["county"].pk, tmp_path) as engines:
        for engine_name, engine in engines.items():
            t = engine.tables
            now = c.income_basis(t.incomes, t.members, c.IncomeWindow(DAY))
            before = c.income_basis(t.incomes, t.members, c.IncomeWindow(DAY, years_back=1)).select(
                "household_id", before_fen="per_capita_after_rigid_fen")
            both = now.left_join(before, "household_id").drop("household_id_right")
            ibis_met = {number: set() for number in number_of.values()}
            ibis_figures = {}
            for row in engine.evaluate(both.select(
                    "household_id", "size", "net_fen", "per_capita_fen", "per_capita_after_rigid_fen",
                    below_line=(both.size > 0) & c.income_below_line(both.per_capita_fen, LINE_FEN),
                    watch_band=(both.size > 0) & c.income_in_watch_band(both.per_capita_fen, LINE_FEN, WATCH_FEN),
                    sharp_drop=(both.size > 0) & c.income_sharp_drop(both.per_capita_after_rigid_fen,
                                                                     both.before_fen, DROP_BP).fill_null(False),
                    assisted_high=(both.size > 0) & c.assisted_income_too_high(both.per_capita_fen),
                    wages=c.wages_dominate(both.wage_fen, both.gross_fen))):
                number = number_of[row["household_id"]]
                ibis_figures[number] = (row["size"], row["net_fen"], row["per_capita_fen"],
                                        row["per_capita_after_rigid_fen"])
                ibis_met[number] = {name for name in ("below_line", "watch_band", "sharp_drop", "assisted_high",
                                                      "wages") if row[name]}
            assert ibis_figures == python_figures, engine_name
            assert ibis_met == {number: python_met[number] for number in ibis_met}, engine_name


def test_quarterly_basis_and_rigid_spending_agree(places, tmp_path):
    """The four latest quarters replace the year when all are on file (Ibis and Python; the Q rendering
    reads yearly records only), and the rigid-spending warning lines flag the same households."""
    quarters = {2024: yearly(), 2025: yearly("60000"), (2025, 2): yearly("4349.98"), (2025, 3): yearly("4350"),
                (2025, 4): yearly("4350"), (2026, 1): yearly("4350", medical_spending="8500.01")}
    make_home(places["t1v1"], number="quarters", incomes=quarters)
    make_home(places["t1v1"], number="three quarters", incomes={k: v for k, v in quarters.items() if k != (2025, 2)})
    make_home(places["t1v1"], number="exited", household_type="exited", exit_year=2018,
              incomes=income_2025("40000", medical_spending="8500.01"))
    make_home(places["t1v1"], number="ordinary", incomes=income_2025("40000", medical_spending="8500.01"))
    make_home(places["t1v1"], number="education", incomes=income_2025("40000", education_spending="12000.01"))
    lines = {"medical": {"amount_fen": 1000000, "reference_income_fen": 1700000, "reference_share_exited_bp": 5000,
                         "reference_share_other_bp": 10000},
             "education": {"income_share_bp": 3000}}
    python = {}
    for household in Household.objects.all():
        figures = c.household_income(list(household.incomes.all()), list(household.members.all()),
                                     c.IncomeWindow(DAY))
        exited = household.household_type == "exited"
        flagged = {kind for kind, kind_lines in lines.items()
                   if c.rigid_spending_high(getattr(figures, f"{kind}_fen"), figures.net_fen, exited, **kind_lines)}
        python[household.number] = (figures.quarterly, figures.per_capita_fen, flagged)
    assert python["quarters"] == (True, 869999, set())  # 4349.98 + 3 x 4350 over two people
    assert python["three quarters"] == (False, 3000000, set())
    assert python["exited"][2] == {"medical"} and python["ordinary"][2] == set()
    assert python["education"][2] == {"education"}
    number_of = dict(Household.objects.values_list("pk", "number"))
    with both_engines(places["county"].pk, tmp_path) as engines:
        for engine_name, engine in engines.items():
            t = engine.tables
            b = c.income_basis(t.incomes, t.members, c.IncomeWindow(DAY)).join(
                t.households.select("household_id", "exited"), "household_id")
            columns = {kind: c.rigid_spending_high(b[f"{kind}_fen"], b.net_fen, b.exited, **kind_lines)
                       for kind, kind_lines in lines.items()}
            found = {number_of[row["household_id"]]: (row["quarterly"], row["per_capita_fen"],
                                                      {kind for kind in lines if row[kind]})
                     for row in engine.evaluate(b.select("household_id", "quarterly", "per_capita_fen", **columns))}
            assert {k: (bool(q), pc, f) for k, (q, pc, f) in found.items()} == python, engine_name


@pytest.mark.parametrize("born, day, age", [
    (D(2020, 2, 29), D(2026, 2, 28), 5), (D(2020, 2, 29), D(2026, 3, 1), 6), (D(2022, 2, 28), D(2028, 2, 29), 6),
])
def test_leap_day_birthdays_age_alike_in_python_and_q(places, born, day, age):
    household = make_home(places["t1v1"], members=[person(), person(Relation.SON, birth_date=born, name="闰")])
    child = household.members.get(name="闰")
    assert child.age_on(day) == age == (c.ymd(day) - c.ymd(born)) // 10000
    six = c.aged(6, 6)
    assert six.python(child, day) == (age == 6) == Member.objects.filter(six.q(day), pk=child.pk).exists()


def test_household_list_filter_finds_unsafe_water_by_any_criterion(places):
    from fangpin.registry.filters import HouseholdFilter

    failing = make_home(places["t1v1"], number="supply fails", water_supply_ok=False)
    make_home(places["t1v1"], number="all met")
    make_home(places["t1v1"], number="not assessed", **UNKNOWN_WATER)
    found = HouseholdFilter({"water_unsafe": "true"}, queryset=Household.objects.all()).qs
    assert list(found) == [failing]
