"""regions.services.places_import: the places file of docs/ledger-format.md, all-or-nothing."""

from pathlib import Path

import pytest

from fangpin.core.errors import MissingPermission, ValidationFailed
from fangpin.core.models import ChangeLog
from fangpin.core.roles import Role
from fangpin.regions.models import Level, Place
from fangpin.regions.services import places_import

from ..factories import make_user

SAMPLES = Path(__file__).parent.parent / "registry" / "ledger" / "samples"


def rows(*items):
    return [dict(zip(("代码", "名称", "级别", "上级代码"), item)) for item in items]


def errors_of(caught) -> list[tuple]:
    return [(e["row"], e["column"], e["code"]) for e in caught.value.details]


def test_import_from_csv(db):
    result = places_import(SAMPLES / "places.csv")
    assert (result.created, result.updated, result.unchanged) == (8, 0, 0)
    county = Place.objects.get(code="510101000000")
    assert county.level == Level.COUNTY and county.parent is None
    group = Place.objects.get(code="510101001001001")
    assert group.level == Level.GROUP and group.parent.code == "510101001001"
    assert group.full_name == "示范县第1镇第1镇1村一组"
    logs = ChangeLog.objects.filter(object_type="regions.place")
    assert logs.count() == 8 and set(logs.values_list("action", flat=True)) == {"create"}
    assert logs.get(object_id=group.pk).area_code == group.code


def test_messy_xlsx_title_row_numbers_as_numbers_full_width(db):
    result = places_import(SAMPLES / "places_messy.xlsx")
    assert result.created == 8
    assert Place.objects.filter(name="一组").count() == 2
    assert Place.objects.get(code="510101000000").name == "示范县"


def test_reimport_changes_nothing(db):
    places_import(SAMPLES / "places.csv")
    logged = ChangeLog.objects.count()
    result = places_import(SAMPLES / "places_messy.xlsx")
    assert (result.created, result.updated, result.unchanged) == (0, 0, 8)
    assert ChangeLog.objects.count() == logged


def test_existing_tree_from_factories_is_unchanged(places):
    result = places_import(SAMPLES / "places.csv")
    assert (result.created, result.unchanged) == (0, 8)


def test_rename_is_an_update_in_the_change_log(db):
    places_import(SAMPLES / "places.csv")
    result = places_import(rows(("510101001001", "幸福村", "村", "510101001000")))
    assert result.updated == 1
    assert Place.objects.get(code="510101001001").name == "幸福村"
    entry = ChangeLog.objects.get(action="update")
    assert entry.changed_fields() == [("name", "第1镇1村", "幸福村")]


def test_swapping_two_names_within_a_parent(db):
    places_import(SAMPLES / "places.csv")
    places_import(rows(("510101001001", "第1镇2村", "村", "510101001000"),
                       ("510101001002", "第1镇1村", "村", "510101001000")))
    assert Place.objects.get(code="510101001001").name == "第1镇2村"


def test_every_error_is_listed_and_nothing_written(db):
    with pytest.raises(ValidationFailed) as caught:
        places_import(rows(
            ("510101", "示范县", "县", ""),
            ("510101001000", "第1镇", "乡镇", "510101"),
            ("510101001000", "又一镇", "乡镇", "510101"),  # code twice
            ("510101002001", "某村", "村", "510101009000"),  # parent missing
            ("510101001001001", "一组", "组", "510101001000"),  # parent is a township
            ("510102001001", "外村", "村", "510101001000"),  # code not under its parent
            ("510101001002", "第1镇", "村", "510101001000"),  # fine
            ("510101001003", "第1镇2村", "村", "510101001000"),
            ("510101001004", "第1镇2村", "村", "510101001000"),  # name twice in one parent
            ("51010100100", "短码", "村", "510101001000"),  # wrong length
            ("510101001005", "新村", "大队", "510101001000"),  # unknown level
            ("", "", "村", "510101001000"),
        ))
    assert errors_of(caught) == [
        (4, "代码", "place_code_duplicate"),
        (5, "上级代码", "place_parent_missing"),
        (6, "上级代码", "place_parent_level"),
        (7, "代码", "place_code_prefix"),
        (10, "名称", "place_name_duplicate"),
        (11, "代码", "place_code_format"),
        (12, "级别", "place_level"),
        (13, "代码", "place_code_missing"),
        (13, "名称", "place_name_missing"),
    ]
    assert Place.objects.count() == 0 and ChangeLog.objects.count() == 0


def test_clash_with_stored_places(places):
    with pytest.raises(ValidationFailed) as caught:
        places_import(rows(
            ("510101001000", "第1镇", "村", "510101000000"),  # stored as a township
            ("510101001001", "第1镇1村", "村", "510101002000"),  # stored under another township
            ("510101002003", "第2镇1村", "村", "510101002000"),  # name taken in that township
        ))
    assert errors_of(caught) == [
        (2, "代码", "place_code_format"), (2, "级别", "place_clash"), (2, "上级代码", "place_parent_level"),
        (3, "代码", "place_code_prefix"), (3, "上级代码", "place_clash"),
        (4, "名称", "place_name_duplicate"),
    ]


def test_county_must_have_no_parent_and_others_need_one(db):
    with pytest.raises(ValidationFailed) as caught:
        places_import(rows(("510101", "示范县", "县", "510000"), ("510101001000", "第1镇", "乡镇", "")))
    assert errors_of(caught) == [(2, "上级代码", "place_parent_level"), (3, "上级代码", "place_parent_missing")]


def test_permission_and_area(places):
    cadre = make_user(Role.VILLAGE_CADRE, places["t1v1"], "cadre")
    with pytest.raises(MissingPermission):
        places_import(rows(("510101001001002", "二组", "组", "510101001001")), actor=cadre)
    admin = make_user(Role.COUNTY_ADMIN, places["county"], "admin")
    result = places_import(rows(("510101001001002", "二组", "组", "510101001001")), actor=admin)
    assert result.created == 1
    assert ChangeLog.objects.get(object_type="regions.place").actor == admin
    with pytest.raises(ValidationFailed) as caught:
        places_import(rows(("510102", "邻县", "县", "")), actor=admin)
    assert errors_of(caught) == [(2, "代码", "out_of_area")]


def test_missing_header_is_refused(tmp_path, db):
    path = tmp_path / "p.csv"
    path.write_text("code,name\n1,2\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        places_import(path)
    assert caught.value.code == "header_missing"
