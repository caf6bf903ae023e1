"""The OpenAPI schema generates cleanly and its viewers load from local files only."""

import re

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

from fangpin.core.roles import Role

pytestmark = pytest.mark.django_db


def test_schema_view_serves_a_valid_schema(api):
    response = api(Role.DEPARTMENT_CLERK).get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    paths = schema["paths"]
    for resource in ("places", "households", "members", "incomes"):
        assert f"/api/{resource}/" in paths and f"/api/{resource}/{{id}}/" in paths
    assert "patch" in paths["/api/households/{id}/"] and "/api/members/{id}/end/" in paths
    unmask = next(p for p in paths["/api/members/"]["get"]["parameters"] if p["name"] == "unmask")
    assert "403" in unmask["description"]
    household_filters = {p["name"] for p in paths["/api/households/"]["get"]["parameters"]}
    assert {"q", "place", "household_type", "has_dibao", "unmask"} <= household_filters
    assert set(paths["/api/households/{id}/"]["patch"]["responses"]) >= {"200", "400", "403", "404", "409"}


def test_schema_generates_without_warnings(tmp_path):
    """The equivalent of `fangpin spectacular --validate --fail-on-warn`."""
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert yaml.safe_load(out.read_text())["info"]["title"] == "fangpin API"


def test_swagger_ui_loads_from_the_sidecar(api, client):
    response = api(Role.VILLAGE_CADRE).get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower() and "unpkg" not in html and "jsdelivr" not in html
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    scripts = [a for a in assets if a.startswith("/static/drf_spectacular_sidecar/")]
    assert any(a.endswith("swagger-ui-bundle.js") for a in scripts), assets
    for asset in scripts:
        served = client.get(asset)
        assert served.status_code == 200, asset
    # The start-up script is a separate file (no inline script under the Content-Security-Policy).
    start = api(Role.VILLAGE_CADRE).get("/api/docs/?script")
    assert "/api/schema/" in start.content.decode() and 'src="/api/docs/?script' in html


def test_redoc_loads_from_the_sidecar(api):
    html = api(Role.VILLAGE_CADRE).get("/api/redoc/").content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/" in html and "cdn" not in html.lower()


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/", "/api/redoc/", "/api/"])
def test_schema_and_viewers_are_for_signed_in_users(client, url):
    assert client.get(url).status_code in (401, 403)
