"""File downloads and exports: only the user's own area, and stored files served so that a browser
never renders or runs them.

Every kind of stored upload (a subclass of `StoredFile`) is downloaded by people of every level: their
own area's files answer as attachments with a type that is not markup and `nosniff`; another area's
are refused. A file stored with an HTML name and HTML content (as one was before uploads were checked)
is still served as a download of text. The exports (ledger in xlsx and csv, ledger error sheet, access
log, notice PDFs read as text, the pushed-list template, files of export jobs) carry no other area's
marker.
"""

import io

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from fangpin.assistance.models import MeasureEvidence
from fangpin.cases.models import Attachment, PublicNotice
from fangpin.core.models import Job, StoredFile
from fangpin.core.roles import Role
from fangpin.registry.ledger.models import LedgerImport

from ..factories import make_user
from .routes import DENIED, SAMPLED, Pools, forms_of, texts_of

# The route that serves each kind of stored file.
FILE_ROUTES = {Attachment: "cases:attachment", MeasureEvidence: "assistance:evidence-file"}
MARKUP = ("text/html", "application/xhtml", "image/svg", "text/xml", "application/xml", "javascript")
DOWNLOADERS = [(Role.VILLAGE_CADRE, "t1v1"), (Role.GRID_WORKER, "t1v1g1"), (Role.TOWNSHIP_OFFICER, "t2"),
               (Role.AUDITOR, "county"), (Role.COUNTY_ADMIN, "c2")]


def stored_file_models():
    return [m for m in apps.get_models() if issubclass(m, StoredFile)]


def test_every_kind_of_stored_file_has_its_download_route():
    assert set(stored_file_models()) == set(FILE_ROUTES)


def served_safely(response) -> list[str]:
    """What is wrong with how a stored file was served."""
    wrong = []
    disposition = response.get("Content-Disposition", "")
    if not disposition.startswith("attachment"):
        wrong.append(f"Content-Disposition is {disposition!r}, not an attachment")
    content_type = response.get("Content-Type", "")
    if not content_type or any(kind in content_type for kind in MARKUP):
        wrong.append(f"Content-Type is {content_type!r}")
    if response.get("X-Content-Type-Options") != "nosniff":
        wrong.append("no X-Content-Type-Options: nosniff")
    return wrong


@pytest.mark.django_db
@pytest.mark.parametrize("role, place_key", DOWNLOADERS, ids=[f"{r}@{p}" for r, p in DOWNLOADERS])
def test_stored_files_are_downloads_of_the_own_area_only(world, role, place_key):
    user = make_user(role, world.places[place_key], "downloader")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    pools = Pools.for_user(user, SAMPLED)
    markers = forms_of(world.foreign_markers(user))
    problems, served = [], 0
    for model, route in FILE_ROUTES.items():
        own = model.objects.in_area(user.area_prefix)
        assert own.exists(), f"the world has {model._meta.label} rows in {user.place}"
        for row in own:
            url = reverse(route, args=[row.pk])
            response = client.get(url)
            if response.status_code != 200:
                problems.append(f"{url} ({row.name}) of the own area answered {response.status_code}")
                continue
            served += 1
            problems += [f"{url}: {wrong}" for wrong in served_safely(response)]
            assert b"".join(response.streaming_content) == row.file.open("rb").read()
        for pk in pools.foreign[model]:
            url = reverse(route, args=[pk])
            response = client.get(url)
            if response.status_code not in DENIED:
                problems.append(f"{url} of another area answered {response.status_code}")
            found = [m for text in texts_of(response) for m in markers if m in text]
            if found:
                problems.append(f"{url} shows another area's data: {found[:3]}")
    assert not problems, "\n".join(problems)
    assert served >= 2


@pytest.mark.django_db
def test_a_stored_html_file_is_served_as_a_download_of_text(world):
    """A file stored before uploads were checked: HTML content under an .html name, no stored type."""
    cadre = make_user(Role.VILLAGE_CADRE, world.places["t1v1"], "html_viewer")
    client = Client(raise_request_exception=False)
    client.force_login(cadre)
    html = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
    for model, route in FILE_ROUTES.items():
        row = model.objects.in_area(cadre.area_prefix).first()
        row.pk = None
        row.name = "x.html"
        if hasattr(row, "content_type"):
            row.content_type = ""
        row.file.save("x.html", ContentFile(html), save=False)
        row.save()
        response = client.get(reverse(route, args=[row.pk]))
        assert response.status_code == 200
        assert served_safely(response) == []
        assert "x.html" not in response["Content-Disposition"].replace("x.html.", "")


# ---------------------------------------------------------------- exports


def pdf_text(response) -> str:
    import pypdf

    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages)


EXPORTERS = [(Role.VILLAGE_CADRE, "t1v1"), (Role.TOWNSHIP_OFFICER, "t1"), (Role.AUDITOR, "county"),
             (Role.COUNTY_ADMIN, "county"), (Role.COUNTY_OFFICER, "c2")]


@pytest.mark.django_db
@pytest.mark.parametrize("role, place_key", EXPORTERS, ids=[f"{r}@{p}" for r, p in EXPORTERS])
def test_exports_carry_only_the_own_area(world, role, place_key, run_jobs):
    user = make_user(role, world.places[place_key], "exporter")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    # The ledger export runs as a background job: asked for in both formats, its file is downloaded below.
    for file_format in ("xlsx", "csv"):
        with run_jobs():
            client.post(reverse("ledger-export"), {"format": file_format, "year": "", "place": ""})
    markers = forms_of(world.foreign_markers(user))
    own_numbers = {m for m in world.own_markers(user) if m.isdigit() and len(m) == 8}
    urls = [reverse("access-log-export"), reverse("pushed-list-template")]
    urls += [reverse("ledger-errors", args=[pk]) for pk in LedgerImport.objects.values_list("pk", flat=True)]
    urls += [reverse("cases:notice-pdf", args=[pk]) for pk in PublicNotice.objects.values_list("pk", flat=True)]
    urls += [reverse("job-file", args=[pk]) for pk in Job.objects.values_list("pk", flat=True)]
    problems, downloaded, shown_own = [], 0, set()
    for url in urls:
        response = client.get(url)
        if response.status_code in DENIED or response.status_code == 302:
            continue
        if response.status_code != 200:
            problems.append(f"{url} answered {response.status_code}")
            continue
        downloaded += 1
        if not response.get("Content-Disposition", "").startswith(("attachment", "inline; filename")):
            problems.append(f"{url} is not a download: {response.get('Content-Type')}")
        texts = [pdf_text(response)] if response.get("Content-Type") == "application/pdf" else texts_of(response)
        found = sorted({m for text in texts for m in markers if m in text})
        if found:
            problems.append(f"{url} shows another area's data: {found[:5]}")
        shown_own |= {n for text in texts for n in own_numbers if n in text}
    assert not problems, "\n".join(problems)
    assert downloaded >= 1
    if user.has_perm_named("registry.export"):
        assert shown_own == own_numbers, "the ledger export holds every household of the area"
