"""Masking of personal data, and the role → permission table that decides who may see it whole."""

import pytest

from fangpin.core.masking import mask_id_number, mask_phone, shown_id_number, shown_phone
from fangpin.core.models import User
from fangpin.core.roles import ROLE_PERMISSIONS, Perm, Role

ID = "51010119800517123X"


@pytest.mark.parametrize("value, masked", [
    (ID, "510101********123X"),
    ("510101800517123", "510101********7123"),
    ("1234567890", "123456********7890"),
    ("123456789", "*********"),
    ("", ""),
])
def test_mask_id_number(value, masked):
    assert mask_id_number(value) == masked


@pytest.mark.parametrize("value, masked", [
    ("13812345678", "138****5678"),
    ("028-85551234", "028****1234"),
    ("1234567", "123****4567"),
    ("123456", "******"),
    ("", ""),
])
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


def test_masks_hide_the_birth_date_and_the_middle_of_a_mobile_number():
    assert "19800517" not in mask_id_number(ID)
    assert "1234" not in mask_phone("13812345678")[:7]


# Who may see what in full. Written out by hand, not derived from ROLE_PERMISSIONS, so that a
# change to the table shows up here as a decision someone has to make.
EXPECTED = {
    #                       view   edit   unmask id  unmask phone  import export
    Role.COUNTY_ADMIN:     (True,  True,  True,      True,         True,  True),
    Role.COUNTY_OFFICER:   (True,  True,  True,      True,         True,  True),
    Role.TOWNSHIP_OFFICER: (True,  True,  True,      True,         False, True),
    Role.VILLAGE_CADRE:    (True,  True,  True,      True,         False, False),
    Role.HELPER:           (True,  True,  False,     True,         False, False),
    Role.GRID_WORKER:      (True,  True,  False,     True,         False, False),
    Role.DEPARTMENT_CLERK: (True,  False, False,     False,        False, False),
    Role.INSURER:          (True,  False, False,     False,        False, False),
    Role.AUDITOR:          (True,  False, False,     False,        False, False),
}
COLUMNS = (Perm.VIEW_REGISTRY, Perm.EDIT_REGISTRY, Perm.UNMASK_ID_NUMBER, Perm.UNMASK_PHONE,
           Perm.IMPORT_LEDGER, Perm.EXPORT_LEDGER)


def test_every_role_is_in_the_table():
    assert set(EXPECTED) == set(Role.values) == set(ROLE_PERMISSIONS)


@pytest.mark.parametrize("role", Role.values)
def test_role_permissions(role):
    held = ROLE_PERMISSIONS[role]
    assert tuple(perm in held for perm in COLUMNS) == EXPECTED[role]
    assert held <= set(Perm.values)


def test_only_the_county_admin_manages_users_and_places():
    for role, held in ROLE_PERMISSIONS.items():
        assert (Perm.MANAGE_USERS in held) == (role == Role.COUNTY_ADMIN)
        assert (Perm.MANAGE_PLACES in held) == (role == Role.COUNTY_ADMIN)


def test_the_auditor_reads_but_changes_nothing():
    held = ROLE_PERMISSIONS[Role.AUDITOR]
    assert {Perm.VIEW_REGISTRY, Perm.VIEW_CHANGE_LOG} <= held
    assert not held & {Perm.EDIT_REGISTRY, Perm.IMPORT_LEDGER, Perm.MANAGE_PLACES, Perm.MANAGE_USERS,
                       Perm.UNMASK_ID_NUMBER, Perm.UNMASK_PHONE}


def test_whoever_may_see_ids_in_full_may_also_see_phones():
    for held in ROLE_PERMISSIONS.values():
        assert Perm.UNMASK_ID_NUMBER not in held or Perm.UNMASK_PHONE in held


def test_ledger_export_only_for_roles_that_may_see_full_id_numbers():
    """The ledger carries full ID numbers: exporting it is unmasking them."""
    for held in ROLE_PERMISSIONS.values():
        assert Perm.EXPORT_LEDGER not in held or Perm.UNMASK_ID_NUMBER in held


@pytest.mark.parametrize("role", Role.values)
def test_shown_values_follow_the_role(role):
    user = User(username="u", role=role, is_active=True)
    may_id, may_phone = EXPECTED[role][2], EXPECTED[role][3]
    assert shown_id_number(user, ID) == mask_id_number(ID)
    assert shown_phone(user, "13812345678") == "138****5678"
    assert shown_id_number(user, ID, unmasked=True) == (ID if may_id else mask_id_number(ID))
    assert shown_phone(user, "13812345678", unmasked=True) == ("13812345678" if may_phone else "138****5678")


def test_inactive_or_roleless_users_hold_nothing():
    assert User(username="gone", role=Role.COUNTY_ADMIN, is_active=False).permissions == frozenset()
    assert User(username="new", role="", is_active=True).permissions == frozenset()
    assert shown_id_number(User(username="gone", role=Role.COUNTY_ADMIN, is_active=False), ID, unmasked=True) \
        == mask_id_number(ID)


def test_generic_pages_mask_every_field_declared_personal():
    """`display_value` renders fields on generic pages (household facts, registers): a field that
    declares itself personal is masked there without being named anywhere."""
    from fangpin.core.masking import personal_models
    from fangpin.core.views import display_value

    for model, fields in personal_models().items():
        for attname, kind in fields.items():
            field = model._meta.get_field(attname)
            full = ID if kind == "id_number" else "13812345678"
            assert display_value(field, full) == (mask_id_number(full) if kind == "id_number" else mask_phone(full))
