"""Error codes come from the apps' enums: a raise site cannot type a bare string, every code has one
meaning, and the API's error body keeps the plain code."""

import ast
import collections
from pathlib import Path

import pytest

import fangpin
from fangpin.core.errors import (
    Conflict, CoreErrorCode, ErrorCode, PermissionDenied, ServiceError, ValidationFailed, error_code_choices,
    error_codes,
)
from fangpin.registry.errors import RegistryErrorCode

SOURCE = Path(fangpin.__file__).parent


def _error_class_names() -> set[str]:
    names, todo = set(), [ServiceError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


@pytest.mark.parametrize("error_class", [ServiceError, ValidationFailed, PermissionDenied, Conflict])
def test_a_bare_string_code_is_refused(error_class):
    with pytest.raises(TypeError, match="not an ErrorCode member"):
        error_class("out_of_area", "该记录不在您的辖区内。")


def test_an_enum_member_keeps_its_plain_value_in_the_api_body():
    error = PermissionDenied(CoreErrorCode.OUT_OF_AREA, "该记录不在您的辖区内。")
    body = error.as_dict()
    assert body == {"code": "out_of_area", "message": "该记录不在您的辖区内。"}
    assert type(body["code"]) is str
    assert error.code == "out_of_area"


def test_no_raise_site_passes_a_literal_code():
    """Every call of an error class whose code is a literal or f-string, anywhere in the source (the
    constructor refuses them at run time; this finds the ones no other test reaches)."""
    names = _error_class_names()
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names
                    and node.args and isinstance(node.args[0], (ast.Constant, ast.JoinedStr))):
                found.append(f"{path.relative_to(SOURCE)}:{node.lineno}")
    assert found == []


def test_each_code_has_one_enum_and_a_meaning():
    enums = error_codes()
    assert CoreErrorCode in enums and RegistryErrorCode in enums
    assert {e.__module__.split(".")[1] for e in enums} >= {"core", "regions", "registry", "monitoring", "cases",
                                                          "assistance"}
    owners = collections.defaultdict(list)
    for enum_ in enums:
        for member in enum_:
            owners[member.value].append(enum_.__name__)
            assert member.description.strip(), member
    assert {code: where for code, where in owners.items() if len(where) > 1} == {}
    assert [code for code, _meaning in error_code_choices()] == sorted(owners)


def test_a_member_needs_a_meaning():
    with pytest.raises(TypeError):
        class Broken(ErrorCode):
            ONLY_A_CODE = "only_a_code"
