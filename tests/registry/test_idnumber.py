import datetime

import pytest
from stdnum.cn import ric

from fangpin.core.errors import ValidationFailed
from fangpin.registry.choices import Sex
from fangpin.registry.idnumber import check_sex, compose_id_number, parse_id_number

VALID = compose_id_number("510101", datetime.date(1980, 5, 17), 12, Sex.MALE)


def with_check_digit(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def code_of(raw):
    with pytest.raises(ValidationFailed) as caught:
        parse_id_number(raw)
    return caught.value


def test_valid_number_gives_birth_date_and_sex():
    resident = parse_id_number(VALID)
    assert resident.number == VALID
    assert resident.birth_date == datetime.date(1980, 5, 17)
    assert resident.sex == Sex.MALE


def test_female_from_even_17th_digit():
    number = compose_id_number("510101", datetime.date(1992, 1, 31), 7, Sex.FEMALE)
    assert int(number[16]) % 2 == 0
    assert parse_id_number(number).sex == Sex.FEMALE


def test_wrong_check_digit_is_refused():
    last = VALID[-1]
    wrong = VALID[:-1] + ("0" if last != "0" else "1")
    error = code_of(wrong)
    assert error.code == "id_checksum"
    assert wrong in error.message


def test_impossible_birth_date_is_refused():
    error = code_of(with_check_digit("51010119800231123"))
    assert error.code == "id_birth_date"
    assert "19800231" in error.message


def test_birth_date_in_future_is_refused():
    future = datetime.date.today() + datetime.timedelta(days=400)
    error = code_of(with_check_digit(f"510101{future:%Y%m%d}123"))
    assert error.code == "id_birth_date"


def test_legacy_15_digit_number_is_refused_with_clear_message():
    error = code_of("510101800517123")
    assert error.code == "id_legacy_15"
    assert "15位" in error.message


def test_lower_case_x_is_accepted_and_normalised():
    for seq in range(1000):
        number = with_check_digit(f"510101198005171{seq % 100:02d}")
        if number.endswith("X"):
            break
    else:
        pytest.fail("no X check digit found")
    assert parse_id_number(number.lower()).number == number


def test_full_width_digits_and_spaces_are_normalised():
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in VALID)
    assert parse_id_number(f"　{full_width} ").number == VALID
    assert parse_id_number(f"{VALID[:6]} {VALID[6:14]} {VALID[14:]}").number == VALID


def test_wrong_length_and_letters_are_refused():
    assert code_of(VALID[:-1]).code == "id_length"
    assert code_of("51010119800517A23X").code == "id_format"
    assert code_of("").code == "id_missing"


def test_county_code_newer_than_birth_year_is_accepted():
    # 110112 (Tongzhou District) exists since 1997; people born there in 1950 were renumbered into it.
    # stdnum's birth-place check rejects them; fangpin deliberately does not apply it.
    number = with_check_digit("11011219500101002")
    assert not ric.is_valid(number)
    assert parse_id_number(number).number == number


def test_retired_county_code_is_accepted():
    number = with_check_digit("11010319900101002")  # Chongwen District, merged away in 2010
    assert parse_id_number(number).birth_date == datetime.date(1990, 1, 1)


def test_stated_sex_must_match_number():
    resident = parse_id_number(VALID)
    check_sex(resident, Sex.MALE)
    with pytest.raises(ValidationFailed) as caught:
        check_sex(resident, Sex.FEMALE)
    assert caught.value.code == "id_sex_mismatch"
