"""Background jobs: queued when the request commits, run by the worker, with their state on a page
that polls itself; refused twice, failed with a reason, seen only in their area."""

import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from fangpin.core.errors import Conflict, MissingPermission
from fangpin.core.jobs import JobError, Outcome, Progress, job_enqueue, job_run
from fangpin.core.management.commands import serve
from fangpin.core.models import ChangeLog, Job
from fangpin.core.roles import Role
from fangpin.monitoring.models import ScreeningRun
from fangpin.monitoring.screening.tasks import screening_enqueue, screening_job
from fangpin.regions.models import Level, Place

from ..factories import make_user
from ..monitoring.screening.conftest import thresholds  # noqa: F401  (the county's standard)

MONTH = "2026-05"


@pytest.mark.django_db(transaction=True)
def test_screening_is_queued_on_commit_and_run_by_the_worker(client, county_admin, places, thresholds):  # noqa: F811
    client.force_login(county_admin)
    response = client.post(reverse("screening-runs"), {"county": places["county"].pk, "engine": "db"})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("job-detail", args=[job.pk])
    # Queued, not run: the request answered without screening anything.
    assert job.status == Job.Status.QUEUED and not ScreeningRun.objects.exists()
    assert DBTaskResult.objects.filter(status="READY").count() == 1 and job.task_id
    page = client.get(response["Location"]).content.decode()
    assert "排队中" in page and 'hx-trigger="every 2s"' in page
    assert ChangeLog.objects.filter(object_type="core.job", object_id=job.pk, action="create",
                                    actor=county_admin).exists()

    call_command("worker", "--batch", "--no-startup-delay", verbosity=0)

    job.refresh_from_db()
    run = ScreeningRun.objects.get()
    assert (job.status, job.progress, run.started_by) == (Job.Status.DONE, 100, county_admin)
    assert job.started_at <= job.finished_at and "系统筛查完成" in job.summary
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    status_box = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "完成" in status_box and "hx-trigger" not in status_box  # polling stops once the job has ended
    assert reverse("screening-run-detail", args=[run.pk]) in status_box
    ended = ChangeLog.objects.get(object_type="core.job", object_id=job.pk, action="update")
    assert (ended.before["status"], ended.after["status"], ended.source) == ("running", "done", "job")


@pytest.mark.django_db(transaction=True)
def test_a_job_asked_for_in_a_rolled_back_transaction_is_never_queued(county_admin, places):
    with pytest.raises(RuntimeError), transaction.atomic():
        screening_enqueue(actor=county_admin, county=places["county"], period=MONTH, engine="db")
        raise RuntimeError("the request failed after asking")
    assert not Job.objects.exists() and not DBTaskResult.objects.exists()


def test_a_failed_job_shows_its_reason(client, county_admin, places, run_jobs):
    """No monitoring standard in force: the screening service refuses, the job ends failed with the
    service's words, and nothing was screened."""
    client.force_login(county_admin)
    with run_jobs():
        client.post(reverse("screening-runs"), {"county": places["county"].pk, "engine": "db"})
    job = Job.objects.get()
    assert job.status == Job.Status.FAILED and job.error and job.error_code
    assert not ScreeningRun.objects.exists()
    page = client.get(reverse("job-detail", args=[job.pk])).content.decode()
    assert f"失败（{job.error}）" in page
    assert f"失败（{job.error}）" in client.get(reverse("job-list")).content.decode()


def test_an_unexpected_error_fails_the_job_with_a_plain_reason(county_admin, places):
    job = Job.objects.create(kind=Job.Kind.SCREENING, area_code=places["county"].code, created_by=county_admin)

    def broken(job, progress):
        raise KeyError("internal detail")

    with pytest.raises(KeyError):
        job_run(job.pk, broken)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.error_code == JobError.UNEXPECTED
    assert "internal detail" not in job.error and "服务器日志" in job.error
    # A job runs once: a second delivery of the same queue entry does nothing.
    assert job_run(job.pk, broken) == Job.Status.FAILED


def test_progress_is_written_as_a_percent_of_each_stage(county_admin, places):
    job = Job.objects.create(kind=Job.Kind.LEDGER_MERGE, area_code=places["county"].code, created_by=county_admin)
    seen = []

    def work(job, progress):
        progress.bands = {"read": (0, 40), "merge": (40, 99)}
        for stage, done, total in (("read", 50, 100), ("read", 100, 100), ("merge", 1, 4), ("merge", 4, 4)):
            progress(stage, done, total)
            seen.append(Job.objects.get(pk=job.pk).progress)
        return Outcome(summary="完成了")

    assert job_run(job.pk, work) == Job.Status.DONE
    assert seen == [20, 40, 54, 99]
    assert Job.objects.get(pk=job.pk).progress == 100
    assert Progress(job).percent == 0


def test_the_same_job_is_not_queued_twice(county_admin, places, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        first = screening_enqueue(actor=county_admin, county=places["county"], period=MONTH, engine="db")
        with pytest.raises(Conflict) as caught:
            screening_enqueue(actor=county_admin, county=places["county"], period=MONTH, engine="db")
    assert caught.value.code == JobError.ALREADY_QUEUED and f"#{first.pk}" in caught.value.message
    assert Job.objects.count() == 1


def test_jobs_are_seen_only_in_their_area_and_by_roles_that_may_ask_for_them(client, county_admin, places,
                                                                             township_officer):
    job = Job.objects.create(kind=Job.Kind.SCREENING, area_code=places["county"].code, created_by=county_admin,
                             status=Job.Status.DONE, summary="本县筛查结果")
    other = Place.objects.create(code="510102000000", name="邻县", level=Level.COUNTY)
    for user in (make_user(Role.COUNTY_ADMIN, other, "other_admin"), township_officer):
        client.force_login(user)
        assert client.get(reverse("job-detail", args=[job.pk])).status_code == 404
        assert "本县筛查结果" not in client.get(reverse("job-list")).content.decode()
    client.force_login(county_admin)
    assert "本县筛查结果" in client.get(reverse("job-list")).content.decode()


def test_an_export_file_is_given_only_to_the_person_who_asked(client, county_admin, places, tmp_path, settings,
                                                              run_jobs):
    settings.JOB_FILES_DIR = tmp_path
    client.force_login(county_admin)
    with run_jobs():
        client.post(reverse("ledger-export"), {"format": "csv", "year": "", "place": ""})
    job = Job.objects.get()
    assert job.status == Job.Status.DONE and job.file_path.startswith(str(tmp_path))
    download = client.get(reverse("job-file", args=[job.pk]))
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    colleague = make_user(Role.COUNTY_ADMIN, places["county"], "colleague")
    client.force_login(colleague)
    assert client.get(reverse("job-detail", args=[job.pk])).status_code == 200
    assert client.get(reverse("job-file", args=[job.pk])).status_code == 404


def test_a_job_needs_the_permission_of_its_kind(village_cadre, places):
    with pytest.raises(MissingPermission):
        job_enqueue(actor=village_cadre, kind=Job.Kind.SCREENING, area_code=places["t1v1"].code, params={},
                    task=screening_job)
    assert not Job.objects.exists()


def test_serve_stops_the_worker_it_started(monkeypatch):
    started = []

    def fake_worker():
        process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        started.append(process)
        return process

    def waitress_stopped(*args, **kwargs):
        assert started and started[0].poll() is None  # the worker runs while the web server does
        raise KeyboardInterrupt

    monkeypatch.setattr(serve, "start_worker", fake_worker)
    monkeypatch.setattr(serve, "call_command", lambda *args, **kwargs: None)
    monkeypatch.setattr("waitress.serve", waitress_stopped)
    with pytest.raises(KeyboardInterrupt):
        call_command("serve", "--port", "0")
    assert started[0].poll() is not None
