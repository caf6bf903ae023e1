"""Every rule at its boundaries, on both engines: each case is one household that the named rule
must flag (True) or must not (False). All cases live in one county and are screened in one run per
engine, so the whole table costs one screening."""

import datetime

from fangpin.monitoring.choices import Channel, LeadStatus
from fangpin.monitoring.models import Lead
from fangpin.monitoring.screening.rules import RULES
from fangpin.monitoring.screening.services import screening_run
from fangpin.registry.choices import Relation

from .conftest import MONTH, make_home, person, yearly

D = datetime.date
TWO_PEOPLE_PER_CAPITA = {  # wage income of a two-person household whose per-capita income is the key
    "8700.00": "17400.00", "8699.99": "17399.98", "9569.99": "19139.98", "9570.00": "19140.00",
}


def income_2025(wage, **more):
    return {2024: yearly(), 2025: yearly(wage, **more)}


def ages(born):
    return [person(), person(Relation.SPOUSE), person(Relation.SON, birth_date=born, labour_capacity="",
                                                      schooling="not_in_school")]


CASES = [
    # rule, label, household fields (make_home), flagged?
    ("income_below_line", "exactly at the line", {"incomes": income_2025("17400.00")}, False),
    ("income_below_line", "one fen below", {"incomes": income_2025("17399.98")}, True),
    ("income_below_line", "8699.9966 rounds to 8700.00", {
        "members": [person(), person(Relation.SPOUSE), person(Relation.SON)], "incomes": income_2025("26099.99")}, False),
    ("income_below_line", "operating costs count", {"incomes": income_2025("27400.00", operating_costs="10000.02")},
     True),
    ("income_below_line", "quarters 2025Q2-2026Q1 preferred over the year", {"incomes": {
        2024: yearly(), 2025: yearly("60000"), (2025, 2): yearly("4349.98"), (2025, 3): yearly("4350"),
        (2025, 4): yearly("4350"), (2026, 1): yearly("4350")}}, True),
    ("income_below_line", "8699.995 rounds half to even: 8700.00", {"incomes": {
        2024: yearly(), 2025: yearly("60000"), (2025, 2): yearly("4349.99"), (2025, 3): yearly("4350"),
        (2025, 4): yearly("4350"), (2026, 1): yearly("4350")}}, False),
    ("income_below_line", "three quarters are not enough: the year counts", {"incomes": {
        2024: yearly(), 2025: yearly("60000"), (2025, 3): yearly("10"), (2025, 4): yearly("10"),
        (2026, 1): yearly("10")}}, False),
    ("income_below_line", "a member who left in 2025 is not counted", {
        "members": [person(), person(Relation.SPOUSE),
                    person(Relation.SON, ended_on=D(2025, 6, 30), end_reason="moved_out")],
        "incomes": income_2025("17400.00")}, False),
    ("income_watch_band", "at the line is in the band", {"incomes": income_2025("17400.00")}, True),
    ("income_watch_band", "one fen below the watch line", {"incomes": income_2025("19139.98")}, True),
    ("income_watch_band", "at the watch line", {"incomes": income_2025("19140.00")}, False),
    ("income_sharp_drop", "fell exactly 30%", {"incomes": {2024: yearly("40000"), 2025: yearly("28000.00")}}, True),
    ("income_sharp_drop", "fell one fen less than 30%", {"incomes": {2024: yearly("40000"), 2025: yearly("28000.02")}},
     False),
    ("income_sharp_drop", "medical spending takes 30% of the income", {
        "incomes": {2024: yearly("40000"), 2025: yearly("40000", medical_spending="12000")}}, True),
    ("income_sharp_drop", "the same spending, one fen of it paid back by insurance", {
        "incomes": {2024: yearly("40000"), 2025: yearly("40000", medical_spending="12000", insurance_payout="0.02")}},
     False),
    ("medical_spending_high", "ordinary: at the amount line", {
        "incomes": income_2025("40000", medical_spending="10000.00")}, False),
    ("medical_spending_high", "ordinary: one fen above the amount line", {
        "incomes": income_2025("40000", medical_spending="10000.01")}, True),
    ("medical_spending_high", "exited: at 50% of the reference income", {
        "household_type": "exited", "exit_year": 2018, "incomes": income_2025("40000", medical_spending="8500.00")},
     False),
    ("medical_spending_high", "exited: one fen above 50% of the reference income", {
        "household_type": "exited", "exit_year": 2018, "incomes": income_2025("40000", medical_spending="8500.01")},
     True),
    ("education_spending_high", "at 30% of net income", {"incomes": income_2025("40000", education_spending="12000.00")},
     False),
    ("education_spending_high", "one fen above 30%", {"incomes": income_2025("40000", education_spending="12000.01")},
     True),
    ("disaster_loss_high", "at the amount line", {"incomes": income_2025("40000", disaster_loss="20000.00")}, False),
    ("disaster_loss_high", "one fen above", {"incomes": income_2025("40000", disaster_loss="20000.01")}, True),
    ("house_unsafe", "grade B", {"house_grade": "B"}, False),
    ("house_unsafe", "grade C", {"house_grade": "C"}, True),
    ("house_unsafe", "grade D", {"house_grade": "D"}, True),
    ("child_out_of_school", "turns 6 on the screening day", {"members": ages(D(2020, 5, 1))}, True),
    ("child_out_of_school", "turns 6 the day after", {"members": ages(D(2020, 5, 2))}, False),
    ("child_out_of_school", "aged 15 until tomorrow", {"members": ages(D(2010, 5, 2))}, True),
    ("child_out_of_school", "turned 16 on the screening day", {"members": ages(D(2010, 5, 1))}, False),
    ("child_out_of_school", "a 10-year-old in primary school", {"members": [
        person(), person(Relation.SON, birth_date=D(2016, 1, 1), labour_capacity="", schooling="primary")]}, False),
    ("child_out_of_school", "a 12-year-old dropout", {"members": [
        person(), person(Relation.SON, birth_date=D(2014, 1, 1), labour_capacity="", schooling="dropout")]}, True),
    ("water_unsafe", "all criteria met", {}, False),
    ("water_unsafe", "water quality fails", {"water_quality_ok": False, "water_safe": False}, True),
    ("water_unsafe", "not assessed", {"water_safe": None, "water_quantity_ok": None, "water_quality_ok": None,
                                      "water_convenient_ok": None, "water_supply_ok": None}, False),
    ("medical_insurance_missing", "a member not insured", {"members": [person(), person(Relation.SPOUSE,
                                                                                        medical_insurance="none")]},
     True),
    ("medical_insurance_missing", "insurance not filled in counts as uninsured", {
        "members": [person(medical_insurance="")]}, True),
    ("medical_insurance_missing", "everyone insured", {}, False),
    ("labour_loss_unprotected", "no one can work, no support", {"members": [
        person(labour_capacity="lost"), person(Relation.SPOUSE, labour_capacity="none")]}, True),
    ("labour_loss_unprotected", "no one can work, 低保", {"members": [
        person(labour_capacity="lost", dibao=True), person(Relation.SPOUSE, labour_capacity="none")]}, False),
    ("labour_loss_unprotected", "earner died 2025-05-01 (within 12 months)", {"members": [
        person(labour_capacity="weak"),
        person(Relation.SON, ended_on=D(2025, 5, 1), end_reason="deceased", birth_date=D(1995, 1, 1))]}, True),
    ("labour_loss_unprotected", "earner died 2025-04-30 (before)", {"members": [
        person(labour_capacity="weak"),
        person(Relation.SON, ended_on=D(2025, 4, 30), end_reason="deceased", birth_date=D(1995, 1, 1))]}, False),
    ("labour_loss_unprotected", "only labour is 65 years old", {"members": [
        person(birth_date=D(1961, 5, 1)), person(Relation.SPOUSE, labour_capacity="none")]}, True),
    ("labour_loss_unprotected", "only labour turns 65 the day after", {"members": [
        person(birth_date=D(1961, 5, 2)), person(Relation.SPOUSE, labour_capacity="none")]}, False),
    ("labour_loss_unprotected", "disabled head, only weak labour", {"members": [
        person(health="disabled", disability_grade="2", labour_capacity="weak"),
        person(Relation.SPOUSE, labour_capacity="weak")]}, True),
    ("unstable_employment", "worked 5 of 6 months, wages half of income", {
        "members": [person(work_place="in_province", work_months=5), person(Relation.SPOUSE)],
        "incomes": income_2025("20000", operating_income="20000")}, True),
    ("unstable_employment", "worked 6 months", {
        "members": [person(work_place="in_province", work_months=6), person(Relation.SPOUSE)],
        "incomes": income_2025("20000", operating_income="20000")}, False),
    ("unstable_employment", "wages one fen under half", {
        "members": [person(work_place="in_province", work_months=5), person(Relation.SPOUSE)],
        "incomes": income_2025("19999.99", operating_income="20000.01")}, False),
    ("illness_without_medical_spending", "seriously ill, nothing spent", {
        "members": [person(health="serious"), person(Relation.SPOUSE)]}, True),
    ("illness_without_medical_spending", "seriously ill, 0.01 spent", {
        "members": [person(health="serious"), person(Relation.SPOUSE)],
        "incomes": income_2025("40000", medical_spending="0.01")}, False),
    ("working_without_labour", "no labour but 3 months of work", {"members": [
        person(), person(Relation.SPOUSE, labour_capacity="lost", work_months=3, work_place="in_county")]}, True),
    ("assisted_high_income", "低保 at 20000.00 per person", {"members": [person(dibao=True), person(Relation.SPOUSE)],
                                                            "incomes": income_2025("40000.00", transfer_income="0")},
     False),
    ("assisted_high_income", "低保 at 20000.01 per person", {"members": [person(dibao=True), person(Relation.SPOUSE)],
                                                            "incomes": income_2025("40000.02")}, True),
    ("assisted_without_transfer_income", "特困 without transfer income", {
        "members": [person(tekun=True), person(Relation.SPOUSE)]}, True),
    ("assisted_without_transfer_income", "特困 with transfer income", {
        "members": [person(tekun=True), person(Relation.SPOUSE)], "incomes": income_2025("30000", transfer_income="1")},
     False),
]


def test_every_rule_has_boundary_cases():
    assert {rule.code for rule in RULES} <= {case[0] for case in CASES}


def test_rules_at_their_boundaries(engine, thresholds, places, county_admin):
    households = [make_home(places["t1v1"], **fields) for _, _, fields, _ in CASES]
    run = screening_run(actor=county_admin, county=places["county"], period=MONTH, engine=engine)
    raised = set(Lead.objects.filter(screening_run=run).values_list("rule_code", "household_id"))
    wrong = [f"{rule}: {label} ({'expected' if expected else 'unexpected'})"
             for (rule, label, _, expected), household in zip(CASES, households)
             if ((rule, household.pk) in raised) != expected]
    assert not wrong, "\n".join(wrong)


def test_a_lead_records_rule_version_thresholds_and_figures(engine, thresholds, places, county_admin):
    household = make_home(places["t1v1"], incomes=income_2025("17399.98"))
    run = screening_run(actor=county_admin, county=places["county"], period=MONTH, engine=engine)
    lead = Lead.objects.get(household=household, rule_code="income_below_line")
    assert (lead.channel, lead.status, lead.rule_version, lead.period) == (Channel.SCREENING, LeadStatus.NEW, 1, MONTH)
    assert lead.thresholds == thresholds and lead.screening_run == run and lead.raised_by == county_admin
    assert lead.figures == {"basis": "2025", "per_capita": "8699.99", "net": "17399.98", "size": 2,
                            "line": "8700.00"}
    assert lead.summary == "2025年人均纯收入8699.99元，低于监测线8700.00元。"
    assert lead.accept_due is not None


def test_engines_agree_on_a_mixed_county(thresholds, places, county_admin):
    """Both engines return the same rows (figures included) for the boundary county."""
    from fangpin.monitoring.screening.engines import evaluate_rules, open_engine
    from fangpin.monitoring.screening.parameters import Parameters

    for _, _, fields, _ in CASES:
        make_home(places["t2v1"], **fields)
    parameters = Parameters.from_thresholds(thresholds, MONTH)
    results = {}
    for name in ("db", "duckdb"):
        evaluator = open_engine(name, places["county"].pk)
        try:
            results[name] = evaluate_rules(evaluator, RULES, parameters)
        finally:
            evaluator.close()
    normalised = {name: {code: [{k: (bool(v) if isinstance(v, bool) or k in ("quarterly", "severe", "head_disabled",
                                                                                 "previous_quarterly") else v)
                                 for k, v in row.items()} for row in rows] for code, rows in result.items()}
                  for name, result in results.items()}
    assert normalised["db"] == normalised["duckdb"]
    assert sum(len(rows) for rows in normalised["db"].values()) > 20


def test_duckdb_snapshot_is_parquet_in_the_data_dir(thresholds, places, settings, tmp_path):
    import pyarrow.parquet as pq

    from fangpin.monitoring.screening.engines import DuckDBEngine
    from fangpin.monitoring.screening.tables import CANONICAL_TABLES

    settings.DATA_DIR = tmp_path
    household = make_home(places["t1v1"])
    evaluator = DuckDBEngine(places["county"].pk)
    try:
        assert evaluator.directory.parent == tmp_path / "screening"
        for name, table in CANONICAL_TABLES.items():
            stored = pq.read_table(evaluator.directory / f"{name}.parquet")
            assert stored.schema.names == list(table.schema.names)
        assert pq.read_table(evaluator.directory / "households.parquet").column("household_id").to_pylist() == [
            household.pk]
        assert pq.read_table(evaluator.directory / "incomes.parquet").column("wage_fen").to_pylist() == [
            4000000, 4000000]
    finally:
        evaluator.close()
    assert not evaluator.directory.exists()


def test_summary_names_the_income_period():
    from fangpin.monitoring.screening.rules import RULES_BY_CODE, lead_summary

    rule = RULES_BY_CODE["income_below_line"]
    figures = {"basis": "2025Q2-2026Q1", "per_capita": "8699.99", "line": "8700.00"}
    assert lead_summary(rule, figures) == "2025年第2季度至2026年第1季度人均纯收入8699.99元，低于监测线8700.00元。"
