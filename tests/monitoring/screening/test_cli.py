import json

import pytest
from django.core.management import CommandError, call_command

from fangpin.monitoring.models import Lead, ScreeningRun
from fangpin.monitoring.screening.rules import RULES

from .conftest import MONTH, make_home, yearly


def screen(*args):
    from io import StringIO

    out = StringIO()
    call_command("screen", *args, stdout=out)
    return out.getvalue()


def test_json_output_and_rerun(thresholds, places):
    make_home(places["t1v1"], incomes={2024: yearly(), 2025: yearly("17399.98")})
    first = json.loads(screen("--month", MONTH, "--json"))
    assert list(first) == [rule.code for rule in RULES]
    assert first["income_below_line"] == {"new": 1, "merged": 0, "total": 1}
    again = json.loads(screen("--month", MONTH, "--json", "--engine", "duckdb", "--county", places["county"].code))
    assert again["income_below_line"] == {"new": 0, "merged": 0, "total": 1}
    assert ScreeningRun.objects.filter(started_by__isnull=True).count() == 2
    assert Lead.objects.count() == 2


def test_table_output_as_a_user(thresholds, places, county_admin):
    make_home(places["t1v1"], house_grade="C")
    text = screen("--month", MONTH, "--as", "county_admin")
    assert "house_unsafe" in text and "系统筛查" in text
    assert ScreeningRun.objects.get().started_by == county_admin


@pytest.mark.parametrize("args,message", [
    (["--month", "2026-13"], "YYYY-MM"),
    (["--month", MONTH, "--county", "999999000000"], "999999000000"),
    (["--month", MONTH, "--as", "nobody"], "nobody"),
])
def test_bad_input_is_refused(thresholds, places, args, message):
    with pytest.raises(CommandError, match=message):
        screen(*args)


def test_no_thresholds(places):
    with pytest.raises(CommandError, match="no_thresholds"):
        screen("--month", MONTH)


def test_exit_codes_through_the_fangpin_command(thresholds, places, capsys):
    from fangpin.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["screen", "--month", "bad"])
    assert exited.value.code != 0
    assert "YYYY-MM" in capsys.readouterr().err
