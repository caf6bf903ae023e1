"""A job whose worker was killed does not stay "running": its page says it was interrupted at once
(without writing), and the worker's housekeeping ends it failed. Files finished jobs wrote are pruned
after the retention period, by the worker and by `fangpin jobs prune`, each logged."""

import datetime
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from fangpin.core.errors import JobError
from fangpin.core.jobs import HOST, Outcome, job_interrupted, job_run, jobs_housekeeping
from fangpin.core.models import ChangeLog, Job


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _running(user, place, **worker) -> Job:
    now = timezone.now()
    return Job.objects.create(kind=Job.Kind.SCREENING, area_code=place.code, created_by=user,
                              status=Job.Status.RUNNING, started_at=now, heartbeat_at=now, progress=40, **worker)


def test_a_job_whose_worker_process_is_gone_reads_interrupted_without_a_write(client, county_admin, places):
    job = _running(county_admin, places["county"], worker_host=HOST, worker_pid=_dead_pid())
    client.force_login(county_admin)
    page = client.get(reverse("job-detail", args=[job.pk])).content.decode()
    assert "已中断" in page and "后台进程已停止" in page and "hx-trigger" not in page
    assert "已中断" in client.get(reverse("job-list")).content.decode()
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and not ChangeLog.objects.filter(object_type="core.job").exists()


@pytest.mark.django_db(transaction=True)  # the worker closes the connection between rounds
def test_the_worker_ends_an_interrupted_job_failed_and_logs_it(county_admin, places):
    job = _running(county_admin, places["county"], worker_host=HOST, worker_pid=_dead_pid())

    call_command("worker", "--batch", "--no-startup-delay", verbosity=0)

    job.refresh_from_db()
    assert (job.status, job.error_code) == (Job.Status.FAILED, JobError.INTERRUPTED)
    assert "后台进程已停止" in job.error and job.finished_at is not None
    entry = ChangeLog.objects.get(object_type="core.job", object_id=job.pk, action="update")
    assert (entry.before["status"], entry.after["status"]) == ("running", "failed")


def test_a_stale_heartbeat_from_another_machine_counts_as_interrupted(county_admin, places, settings):
    job = _running(county_admin, places["county"], worker_host="other-server", worker_pid=os.getpid())
    assert not job_interrupted(job)
    later = timezone.now() + datetime.timedelta(minutes=settings.JOB_STALE_MINUTES + 1)
    assert job_interrupted(job, now=later)
    assert jobs_housekeeping(now=later) == (1, 0)
    assert Job.objects.get(pk=job.pk).status == Job.Status.FAILED


def test_a_live_worker_keeps_its_job_running(county_admin, places):
    seen = {}

    def work(job, progress):
        job.refresh_from_db()
        seen["interrupted"] = job_interrupted(job)
        seen["ended"] = jobs_housekeeping()[0]
        return Outcome(summary="完成")

    job = Job.objects.create(kind=Job.Kind.SCREENING, area_code=places["county"].code, created_by=county_admin)
    assert job_run(job.pk, work) == Job.Status.DONE
    assert seen == {"interrupted": False, "ended": 0}
    job.refresh_from_db()
    assert (job.worker_host, job.worker_pid) == (HOST, os.getpid())


def _finished_with_file(user, place, folder, days_ago: int) -> Job:
    job = Job.objects.create(kind=Job.Kind.LEDGER_EXPORT, area_code=place.code, created_by=user,
                             status=Job.Status.DONE, finished_at=timezone.now() - datetime.timedelta(days=days_ago))
    path = folder / f"job-{job.pk}.csv"
    path.write_text("id\n")
    (folder / f"job-{job.pk}.errors.xlsx").write_text("left over")
    Job.objects.filter(pk=job.pk).update(file_path=str(path), file_name="台账.csv")
    job.refresh_from_db()
    return job


def test_old_job_files_are_pruned_by_the_command_and_logged(client, county_admin, places, tmp_path, settings):
    settings.JOB_FILES_DIR = tmp_path
    settings.JOB_FILES_DAYS = 30
    old = _finished_with_file(county_admin, places["county"], tmp_path, days_ago=31)
    recent = _finished_with_file(county_admin, places["county"], tmp_path, days_ago=29)

    call_command("jobs", "prune", verbosity=0)

    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.file_path == "" and not list(tmp_path.glob(f"job-{old.pk}.*"))
    assert recent.file_path and len(list(tmp_path.glob(f"job-{recent.pk}.*"))) == 2
    entry = ChangeLog.objects.get(object_type="core.job", object_id=old.pk)
    assert (entry.source, entry.before["file_path"], entry.after["file_path"]) == ("cli", str(tmp_path / f"job-{old.pk}.csv"), "")
    assert "30天" in entry.reason
    client.force_login(county_admin)
    assert client.get(reverse("job-file", args=[old.pk])).status_code == 404
    assert client.get(reverse("job-file", args=[recent.pk])).status_code == 200


@pytest.mark.django_db(transaction=True)  # the worker closes the connection between rounds
def test_the_worker_prunes_old_job_files_too(county_admin, places, tmp_path, settings):
    settings.JOB_FILES_DIR = tmp_path
    settings.JOB_FILES_DAYS = 7
    old = _finished_with_file(county_admin, places["county"], tmp_path, days_ago=8)
    call_command("worker", "--batch", "--no-startup-delay", verbosity=0)
    assert Job.objects.get(pk=old.pk).file_path == "" and not list(tmp_path.iterdir())
    assert ChangeLog.objects.get(object_type="core.job", object_id=old.pk).source == "job"


def test_prune_on_an_empty_jobs_folder_does_nothing(db, tmp_path, settings, capsys):
    settings.JOB_FILES_DIR = tmp_path / "never-made"
    call_command("jobs", "prune")
    assert "已清理0个任务的文件" in capsys.readouterr().out
