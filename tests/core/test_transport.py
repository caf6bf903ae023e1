"""Transport and browser-side protection: settings under FANGPIN_HTTPS / FANGPIN_PROXY_SSL_HEADER (read by
importing the settings module afresh in a subprocess), the security headers and the Content-Security-Policy
on every page, argon2 for passwords."""

import json
import re
import os
import subprocess
import sys

import pytest
from django.contrib.auth.hashers import make_password
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from ..factories import make_household

SETTINGS_DUMP = """
import json
import re
from fangpin import settings as s
from django.conf import settings
settings.configure(**{k: getattr(s, k) for k in dir(s) if k.isupper()})
import django
django.setup()
from django.contrib.auth.hashers import make_password
names = ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
         "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY",
         "X_FRAME_OPTIONS", "SESSION_COOKIE_SAMESITE", "SESSION_COOKIE_HTTPONLY", "AXES_CLIENT_IP_CALLABLE"]
out = {name: getattr(settings, name, None) for name in names}
out["PASSWORD_HASHERS"] = settings.PASSWORD_HASHERS
out["new_hash"] = make_password("Some-password-2026")
print(json.dumps(out))
"""


def production_settings(tmp_path, **env):
    """The settings module as a fresh process sees it with only these FANGPIN_ variables set."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FANGPIN_", "DJANGO_"))}
    clean.update(FANGPIN_DATA_DIR=str(tmp_path), **env)
    result = subprocess.run([sys.executable, "-c", SETTINGS_DUMP], env=clean, capture_output=True, text=True,
                            timeout=60, check=True)
    return json.loads(result.stdout)


def test_plain_http_keeps_cookies_usable_but_always_sends_the_safe_headers(tmp_path):
    s = production_settings(tmp_path)
    assert s["SESSION_COOKIE_SECURE"] is False and s["CSRF_COOKIE_SECURE"] is False
    assert s["SECURE_HSTS_SECONDS"] == 0 and s["SECURE_SSL_REDIRECT"] is False
    assert s["SECURE_PROXY_SSL_HEADER"] is None and s["AXES_CLIENT_IP_CALLABLE"] is None
    assert s["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert s["SECURE_REFERRER_POLICY"] == "same-origin"
    assert s["X_FRAME_OPTIONS"] == "DENY"
    assert s["SESSION_COOKIE_SAMESITE"] == "Lax" and s["SESSION_COOKIE_HTTPONLY"] is True


def test_https_secures_cookies_and_turns_on_hsts(tmp_path):
    s = production_settings(tmp_path, FANGPIN_HTTPS="1")
    assert s["SESSION_COOKIE_SECURE"] is True and s["CSRF_COOKIE_SECURE"] is True
    assert s["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600 and s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert s["SECURE_SSL_REDIRECT"] is False  # the proxy usually redirects; asked for separately
    assert production_settings(tmp_path, FANGPIN_HTTPS="1", FANGPIN_SSL_REDIRECT="1")["SECURE_SSL_REDIRECT"] is True
    # A redirect without HTTPS would be a loop on a plain-HTTP site: it needs FANGPIN_HTTPS.
    assert production_settings(tmp_path, FANGPIN_SSL_REDIRECT="1")["SECURE_SSL_REDIRECT"] is False


def test_proxy_ssl_header_from_the_environment(tmp_path):
    s = production_settings(tmp_path, FANGPIN_HTTPS="1", FANGPIN_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO")
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert s["AXES_CLIENT_IP_CALLABLE"] == "fangpin.core.login_throttle.client_address_behind_proxy"


def test_production_settings_hash_new_passwords_with_argon2(tmp_path):
    s = production_settings(tmp_path)
    assert s["PASSWORD_HASHERS"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in s["PASSWORD_HASHERS"]
    assert s["new_hash"].startswith("argon2$argon2id$")


PRODUCTION_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher",
                      "django.contrib.auth.hashers.PBKDF2PasswordHasher"]


@pytest.mark.django_db
def test_an_old_pbkdf2_hash_still_signs_in_and_is_upgraded_to_argon2(client, village_cadre):
    with override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS):
        village_cadre.password = make_password("Old-pass-2020", hasher="pbkdf2_sha256")
        village_cadre.save()
        response = client.post(reverse("login"), {"username": village_cadre.username, "password": "Old-pass-2020"})
        assert response.status_code == 302
        village_cadre.refresh_from_db()
        assert village_cadre.password.startswith("argon2$")
        assert village_cadre.check_password("Old-pass-2020")


@pytest.mark.django_db
def test_https_request_sets_secure_cookies_and_hsts(client, settings, village_cadre):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = 31536000, True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    login = client.get(reverse("login"), HTTP_X_FORWARDED_PROTO="https")
    assert login.cookies["csrftoken"]["secure"] is True
    assert login["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    response = client.post(reverse("login"), {"username": village_cadre.username, "password": "Test-pass-2026"},
                           HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] is True and session["httponly"] is True and session["samesite"] == "Lax"


# ---------------------------------------------------------------- the Content-Security-Policy

STRICT = {
    "default-src": "'self'", "script-src": "'self'", "object-src": "'none'", "base-uri": "'self'",
    "frame-ancestors": "'none'", "form-action": "'self'", "img-src": "'self' data:", "style-src": "'self'",
    "style-src-elem": "'self'",
}


def policy(response) -> dict[str, str]:
    header = response.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    return dict((part.strip().split(" ", 1) + [""])[:2] for part in header.split(";") if part.strip())


def assert_strict(response):
    found = policy(response)
    for directive, value in STRICT.items():
        assert found.get(directive) == value, (response.request["PATH_INFO"], directive, found.get(directive))
    assert "unsafe-inline" not in found["script-src"] and "unsafe-eval" not in found["script-src"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def page_paths(household_pk: int) -> list[str]:
    """Every GET route of the site: routes without parameters as they are, routes taking a primary key with
    the household's (other objects' routes answer 404, which must carry the header as well)."""
    paths = []

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if "<" not in route and "(" not in route and "\\" not in route:
                    paths.append("/" + route.lstrip("^").rstrip("$"))
                elif route.count("<") == 1 and "<int:pk>" in route:
                    paths.append("/" + route.replace("<int:pk>", str(household_pk)))

    walk(get_resolver().url_patterns)
    return sorted({p for p in paths if not p.startswith(("/static/", "/media/"))})


@pytest.mark.django_db
def test_every_page_carries_the_strict_policy(client, county_admin, places):
    household = make_household(county_admin, places["t1v1"])
    anonymous = [client.get(reverse("login")), client.get(reverse("tip")), client.get(reverse("declare"))]
    client.force_login(county_admin)
    paths = page_paths(household.pk)
    assert len(paths) > 40 and "/households/" in paths and "/api/docs/" in paths
    statuses = {}
    for path in paths:
        if path.endswith("/logout/"):
            continue
        response = client.get(path)
        statuses[path] = response.status_code
        if path.startswith("/api/redoc/"):
            continue  # checked below: it widens style elements for itself
        assert_strict(response)
    for response in anonymous:
        assert_strict(response)
    assert sum(1 for code in statuses.values() if code == 200) > 50, statuses


@pytest.mark.django_db
def test_api_docs_need_no_inline_script(client, county_admin):
    client.force_login(county_admin)
    swagger = client.get(reverse("api-docs"))
    assert swagger.status_code == 200
    html = swagger.content.decode()
    assert "<script>" not in html and "<style>" not in html and "?script" in html
    assert_strict(swagger)
    script = client.get(reverse("api-docs") + "?script")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    redoc = client.get(reverse("api-redoc"))
    html = redoc.content.decode()
    assert redoc.status_code == 200 and "<script>" not in html and "fonts.googleapis.com" not in html
    found = policy(redoc)
    assert found["script-src"] == "'self'" and found["style-src-elem"] == "'self' 'unsafe-inline'"
    assert found["worker-src"] == "'self' blob:"


def test_no_template_carries_inline_script_style_or_event_handlers():
    """What the policy would refuse in the browser, caught in the templates themselves: `<script>` without
    `src` (json_script's `type="application/json"` is data and fine), `<style>` elements, `on...=` event
    attributes, `javascript:` links, htmx's `hx-on` (runs code through eval)."""
    from pathlib import Path

    import fangpin

    root = Path(fangpin.__file__).parent / "templates"
    pdf_only = {"cases/notice_pdf.html"}  # rendered by WeasyPrint into a PDF, never sent to a browser
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
    handler = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I)
    found = []
    for path in sorted(root.rglob("*.html")):
        name = path.relative_to(root).as_posix()
        if name in pdf_only:
            continue
        text = re.sub(r"{% comment %}.*?{% endcomment %}|{#.*?#}", "", path.read_text(), flags=re.S)
        for what, pattern in (("inline script", inline_script), ("event attribute", handler),
                              ("style element", re.compile(r"<style\b", re.I)),
                              ("javascript: link", re.compile(r"javascript:", re.I)),
                              ("hx-on", re.compile(r"\bhx-on\b|\bhx-on:", re.I))):
            found += [f"{name}: {what}: {m.group(0)}" for m in pattern.finditer(text)]
    assert found == []
