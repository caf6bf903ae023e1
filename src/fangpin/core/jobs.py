"""Background jobs: long work (screening, ledger merges, large exports, the monthly list) leaves the
web request and runs in the worker (`fangpin worker`, or the one `fangpin serve` starts).

A page asks for a job with `job_enqueue`: a `Job` row is written in the request's transaction and
the queue entry (django-tasks, database backend) is added once that transaction commits, so a
worker never looks for a job that was rolled back. The worker calls the app's task, which hands
`job_run` the work to do: the work calls the app's service as the person who asked (their
permissions and area are checked again then), reports progress, and returns what the job page
shows. A service error ends the job `failed` with its message; anything else ends it `failed` with
a plain reason and the details in the server log.

A job whose worker was killed (or whose machine stopped) would stay "running" for ever: the job
records the worker's host and process id and a heartbeat the worker refreshes, so that `job_interrupted`
can tell it is gone (pages show it so at once, without writing) and the worker's housekeeping
(`jobs_housekeeping`, on start and every minute) ends it failed. The housekeeping also prunes the
files finished jobs wrote once they are older than `JOB_FILES_DAYS` (also `fangpin jobs prune`).
"""

from __future__ import annotations

import logging
import os
import socket
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .audit import change_entry, snapshot
from .context import current_request_id, new_request_id, request_id_var, source_var
from .errors import Conflict, JobError, ServiceError
from .models import ChangeLog, Job
from .roles import Perm

logger = logging.getLogger(__name__)
HOST = socket.gethostname()[:200]


# The permission a person needs to see (and to have asked for) a job of each kind.
KIND_PERMS: dict[str, str] = {
    Job.Kind.SCREENING: Perm.RUN_SCREENING,
    Job.Kind.LEDGER_MERGE: Perm.IMPORT_LEDGER,
    Job.Kind.LEDGER_EXPORT: Perm.EXPORT_LEDGER,
    Job.Kind.MONTHLY_LIST_BUILD: Perm.SEND_MONTHLY_LIST,
    Job.Kind.MONTHLY_LIST_SEND: Perm.SEND_MONTHLY_LIST,
}


@dataclass
class Outcome:
    """What a finished job shows: a sentence, an optional link (URL name, arguments and a query
    string) and an optional file kept for the person who asked."""

    summary: str
    link: tuple[str, list] | tuple[str, list, str] | None = None
    data: dict = field(default_factory=dict)
    file_path: Path | None = None
    file_name: str = ""


def jobs_visible(user):
    """Jobs of the user's area, of the kinds their role may ask for."""
    kinds = [kind for kind, perm in KIND_PERMS.items() if user.is_authenticated and user.has_perm_named(perm)]
    return Job.objects.restrict(user).filter(kind__in=kinds).select_related("created_by")


def jobs_pending(user, kind: str):
    """The user's area's jobs of `kind` still queued or running, oldest first (for the page that
    asks for them to show under its button)."""
    return jobs_visible(user).filter(kind=kind, status__in=(Job.Status.QUEUED, Job.Status.RUNNING)).order_by("pk")


def _log(job: Job, action: str, *, actor, before: dict | None = None, reason: str = "") -> None:
    entry = change_entry(job, action, actor=actor, before=before, reason=reason)
    entry.save()


@transaction.atomic
def job_enqueue(*, actor, kind: str, area_code: str, params: dict, task, exclusive: bool = True) -> Job:
    """Record a job asked for by `actor` for the place `area_code` and queue `task` (a django-tasks
    task taking the job's id) when the transaction commits. With `exclusive`, the same job (kind,
    place and parameters) already queued or running is refused rather than queued twice."""
    actor.require(KIND_PERMS[kind])
    if exclusive:
        waiting = (Job.objects.unrestricted().select_for_update().filter(kind=kind, area_code=area_code, params=params,
                                                                         status__in=(Job.Status.QUEUED, Job.Status.RUNNING))
                   .order_by("pk").first())
        if waiting is not None:
            raise Conflict(JobError.ALREADY_QUEUED, _("同样的任务（%(k)s #%(id)d）已在%(s)s，请在任务页查看进度。") % {
                "k": waiting.get_kind_display(), "id": waiting.pk, "s": waiting.get_status_display()})
    job = Job.objects.create(kind=kind, area_code=area_code, params=params, created_by=actor,
                             request_id=current_request_id())
    _log(job, ChangeLog.Action.CREATE, actor=actor, reason=_("提交后台任务"))
    transaction.on_commit(lambda: _queue(job.pk, task))
    return job


def _queue(job_id: int, task) -> None:
    try:
        result = task.enqueue(job_id)
    except Exception as exc:  # the queue itself refused: say so on the job instead of leaving it waiting
        logger.exception("job #%s: could not be queued", job_id)
        _finish(job_id, Job.Status.FAILED, error_code=JobError.NOT_QUEUED,
                error=_("任务未能加入队列：%(e)s") % {"e": type(exc).__name__})
        return
    Job.objects.unrestricted().filter(pk=job_id, task_id="").update(task_id=str(result.id)[:64])


class Progress:
    """The `progress(stage, done, total)` callback services take, written to the job as a percent.
    `bands` gives each stage its share of the bar, e.g. {"read": (0, 40), "merge": (40, 99)}; a
    stage not named fills (0, 99). The row is updated only when the percent moves. Inside a
    service's transaction the update is seen by others when that transaction commits."""

    def __init__(self, job: Job, bands: dict[str, tuple[int, int]] | None = None):
        self.job = job
        self.bands = bands or {}
        self.percent = job.progress

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        low, high = self.bands.get(stage, (0, 99))
        share = (done / total) if total else 0
        self.set(low + int((high - low) * min(max(share, 0), 1)))

    def set(self, percent: int) -> None:
        percent = max(0, min(99, int(percent)))
        if percent != self.percent:
            self.percent = percent
            Job.objects.unrestricted().filter(pk=self.job.pk).update(progress=percent, heartbeat_at=timezone.now())


def _finish(job_id: int, status: str, *, outcome: Outcome | None = None, error_code: str = "",
            error: str = "") -> Job | None:
    with transaction.atomic():
        job = Job.objects.unrestricted().select_for_update().select_related("created_by").filter(pk=job_id).first()
        if job is None or job.is_finished:
            return job
        before = snapshot(job)
        job.status = status
        job.finished_at = timezone.now()
        if outcome is not None:
            job.progress = 100
            job.summary = outcome.summary[:500]
            job.result = {**outcome.data, **({"link": [outcome.link[0], list(outcome.link[1]),
                                                      outcome.link[2] if len(outcome.link) > 2 else ""]}
                                             if outcome.link else {})}
            if outcome.file_path is not None:
                job.file_path = str(outcome.file_path)
                job.file_name = outcome.file_name[:200]
        job.error_code = str(error_code)[:64]
        job.error = error[:500]
        job.save()
        _log(job, ChangeLog.Action.UPDATE, actor=job.created_by, before=before,
             reason=_("后台任务结束：%(s)s") % {"s": job.get_status_display()})
        return job


def job_run(job_id: int, work: Callable[[Job, Progress], Outcome]) -> str:
    """Run one queued job in the worker: mark it running, call `work(job, progress)` in the county's
    language and as the source "job" (its change-log rows carry the request id of the page that
    asked), and end it done or failed. Returns the job's final status."""
    now = timezone.now()
    claimed = Job.objects.unrestricted().filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=now, worker_host=HOST, worker_pid=os.getpid(), heartbeat_at=now)
    job = Job.objects.unrestricted().select_related("created_by").filter(pk=job_id).first()
    if job is None:
        logger.warning("job #%s: no such job", job_id)
        return ""
    if not claimed:  # run before, or ended by someone else: nothing to do
        return job.status
    source_token = source_var.set("job")
    request_token = request_id_var.set(job.request_id or new_request_id())
    try:
        with translation.override(settings.LANGUAGE_CODE):
            try:
                outcome = work(job, Progress(job))
            except ServiceError as exc:
                _finish(job.pk, Job.Status.FAILED, error_code=exc.code, error=exc.message)
                return Job.Status.FAILED
            except Exception:
                logger.exception("job #%s (%s) failed", job.pk, job.kind)
                _finish(job.pk, Job.Status.FAILED, error_code=JobError.UNEXPECTED,
                        error=_("任务意外中止（详情已记入服务器日志），请稍后重试或联系管理员。"))
                raise
            _finish(job.pk, Job.Status.DONE, outcome=outcome)
            return Job.Status.DONE
    finally:
        request_id_var.reset(request_token)
        source_var.reset(source_token)


def job_file_path(job: Job, suffix: str) -> Path:
    """Where a job writes the file it hands back (under the data dir, one folder for jobs)."""
    folder = Path(settings.JOB_FILES_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"job-{job.pk}{suffix}"


def job_link(job: Job) -> str:
    """The page a finished job points to (the screening run, the import, the lists), if any."""
    link = (job.result or {}).get("link")
    if not link or job.status != Job.Status.DONE:
        return ""
    query = link[2] if len(link) > 2 else ""
    return reverse(link[0], args=link[1]) + (f"?{query}" if query else "")


def job_file_open(job: Job, *, actor):
    """The file a finished export job wrote, for the person who asked for it (the export was made
    with their permissions and logged as theirs)."""
    if job.created_by_id != actor.pk:
        raise Conflict(JobError.NO_FILE, _("导出文件只提供给提交导出的人员。"))
    path = Path(job.file_path) if job.file_path else None
    if job.status != Job.Status.DONE or path is None or not path.is_file():
        raise Conflict(JobError.NO_FILE, _("该任务没有可下载的文件（尚未完成、失败或文件已清理）。"))
    return open(path, "rb")


# ---------------------------------------------------------------- interrupted jobs and old files


def interrupted_reason() -> str:
    return _("处理该任务的后台进程已停止（服务器重启或进程被关闭），任务没有完成，请重新提交。")


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, run by another user
        return True
    return True


def job_interrupted(job: Job, *, now=None) -> bool:
    """Whether a running job's worker is gone: on this machine its process no longer exists, or (on
    any machine) it has not said it is alive for `JOB_STALE_MINUTES`. Reads only, so that a page
    can show the job as interrupted before the worker records it."""
    if job.status != Job.Status.RUNNING:
        return False
    if job.worker_pid and job.worker_host == HOST and not _process_alive(job.worker_pid):
        return True
    beat = job.heartbeat_at or job.started_at
    return beat is not None and beat < (now or timezone.now()) - timedelta(minutes=settings.JOB_STALE_MINUTES)


def job_heartbeat() -> int:
    """The worker says the jobs it is running are alive (its housekeeping thread calls this)."""
    return Job.objects.unrestricted().filter(status=Job.Status.RUNNING, worker_host=HOST, worker_pid=os.getpid()).update(
        heartbeat_at=timezone.now())


def jobs_end_interrupted(*, now=None) -> int:
    """End failed every running job whose worker is gone, each logged; returns how many."""
    ended = 0
    for job_id in Job.objects.unrestricted().filter(status=Job.Status.RUNNING).values_list("pk", flat=True):
        with transaction.atomic():
            job = Job.objects.unrestricted().select_for_update().get(pk=job_id)
            if not job_interrupted(job, now=now):
                continue
            logger.warning("job #%s: worker %s pid %s is gone; ended as interrupted", job.pk, job.worker_host,
                           job.worker_pid)
            _finish(job.pk, Job.Status.FAILED, error_code=JobError.INTERRUPTED, error=interrupted_reason())
            ended += 1
    return ended


def job_files_prune(*, now=None) -> int:
    """Delete the files of jobs that ended more than `JOB_FILES_DAYS` days ago (the file a job
    points to and any other `job-<id>.*` it left in the jobs folder), clearing the job's file and
    logging each; returns how many jobs lost their files."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.JOB_FILES_DAYS)
    on_disk: dict[int, list[Path]] = defaultdict(list)
    folder = Path(settings.JOB_FILES_DIR)
    if folder.is_dir():
        for path in folder.glob("job-*"):
            number = path.name.removeprefix("job-").split(".", 1)[0]
            if number.isdigit():
                on_disk[int(number)].append(path)
    old = Job.objects.unrestricted().filter(finished_at__lt=cutoff).filter(Q(pk__in=list(on_disk)) | ~Q(file_path=""))
    pruned = 0
    for job_id in old.values_list("pk", flat=True):
        with transaction.atomic():
            job = Job.objects.unrestricted().select_for_update().get(pk=job_id)
            before = snapshot(job)
            paths = set(on_disk.get(job.pk, [])) | ({Path(job.file_path)} if job.file_path else set())
            for path in paths:
                path.unlink(missing_ok=True)
            job.file_path = ""
            job.save(update_fields=["file_path"])
            _log(job, ChangeLog.Action.UPDATE, actor=None, before=before,
                 reason=_("任务文件保存已满%(d)d天，已清理") % {"d": settings.JOB_FILES_DAYS})
        pruned += 1
    return pruned


def jobs_housekeeping(*, now=None) -> tuple[int, int]:
    """What the worker does on start and then every `JOB_HEARTBEAT_SECONDS`: refresh its own jobs'
    heartbeat, end interrupted jobs, prune old job files. Returns (ended, pruned)."""
    job_heartbeat()
    return jobs_end_interrupted(now=now), job_files_prune(now=now)
