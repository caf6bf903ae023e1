"""Ledger work the web asks for, as background jobs: the merge of a validated file (the merge
service keeps its own states, county lock and recovery) and the export of an area's ledger."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from fangpin.core.errors import CoreErrorCode, ValidationFailed
from fangpin.core.jobs import Outcome, Progress, job_enqueue, job_file_path, job_run
from fangpin.core.models import Job
from fangpin.core.roles import Perm
from fangpin.regions.models import Place
from fangpin.registry.errors import RegistryErrorCode

from .export import export_ledger
from .models import LedgerImport
from .services import ledger_merge

EXPORT_FORMATS = ("xlsx", "csv")


def _merge(job: Job, progress: Progress) -> Outcome:
    ledger_import = LedgerImport.objects.unrestricted().get(pk=job.params["import"])
    progress.bands = {"read": (0, 40), "merge": (40, 99)}
    merged = ledger_merge(ledger_import, actor=job.created_by, progress=progress)
    link = ("ledger-preview", [merged.pk])
    if merged.status_reason:  # nothing to write: the registry already had the whole file
        return Outcome(summary=merged.status_reason, link=link)
    return Outcome(summary=_("已导入：新增农户%(hn)d户、更新%(hu)d户；新增成员%(mn)d人、更新%(mu)d人。") % {
        "hn": merged.households_new, "hu": merged.households_updated,
        "mn": merged.members_new, "mu": merged.members_updated}, link=link)


@task()
def ledger_merge_job(job_id: int) -> str:
    return job_run(job_id, _merge)


def ledger_merge_enqueue(*, actor, ledger_import: LedgerImport) -> Job:
    """Queue the merge of a validated import. What can be told now is told now (merged already,
    not validated); the merge itself checks everything again when it runs."""
    actor.require(Perm.IMPORT_LEDGER)
    if ledger_import.status == LedgerImport.Status.MERGED:
        raise ValidationFailed(RegistryErrorCode.LEDGER_MERGED, _("该文件已导入。"))
    if ledger_import.status not in (LedgerImport.Status.VALIDATED, LedgerImport.Status.MERGING):
        raise ValidationFailed(RegistryErrorCode.LEDGER_NOT_VALIDATED, ledger_import.status_reason or _("文件尚未通过校验，不能导入。"))
    return job_enqueue(actor=actor, kind=Job.Kind.LEDGER_MERGE, area_code=ledger_import.area_code or actor.place.code,
                       params={"import": ledger_import.pk}, task=ledger_merge_job)


def _export(job: Job, progress: Progress) -> Outcome:
    params, actor = job.params, job.created_by
    place = Place.objects.unrestricted().get(pk=params["place"]) if params.get("place") else None
    suffix = params["format"]
    path = job_file_path(job, f".{suffix}")
    try:
        result = export_ledger(actor, path, place, year=params.get("year"), progress=progress)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    label = place.name if place else actor.place.name
    return Outcome(summary=_("已导出%(h)d户、%(m)d人。") % {"h": result.households, "m": result.members},
                   file_path=path, file_name=f"户成员台账-{label}-{timezone.localdate():%Y%m%d}.{suffix}",
                   data={"households": result.households, "members": result.members})


@task()
def ledger_export_job(job_id: int) -> str:
    return job_run(job_id, _export)


def ledger_export_enqueue(*, actor, place: Place | None, year: int | None, file_format: str) -> Job:
    """Queue an export of the actor's area (or of `place` in it). The permissions the export needs
    are checked now and again when it runs; the file goes to the person who asked for it."""
    actor.require(Perm.EXPORT_LEDGER)
    actor.require(Perm.UNMASK_ID_NUMBER)
    if file_format not in EXPORT_FORMATS:
        raise ValidationFailed(CoreErrorCode.FILE_TYPE, _("导出格式须为 xlsx 或 csv。"), field="format")
    return job_enqueue(actor=actor, kind=Job.Kind.LEDGER_EXPORT, area_code=place.code if place else actor.place.code,
                       params={"place": place.pk if place else None, "year": year, "format": file_format},
                       task=ledger_export_job, exclusive=False)
