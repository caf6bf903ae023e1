"""The screening run asked for on the screening page, as a background job."""

from django.utils.translation import gettext as _
from django_tasks import task

from fangpin.core.jobs import Outcome, job_enqueue, job_run
from fangpin.core.models import Job
from fangpin.core.roles import Perm
from fangpin.core.scoping import ensure_in_area
from fangpin.regions.models import Place

from .engines import check_engine
from .services import screening_run


def _screen(job: Job, progress) -> Outcome:
    params = job.params
    county = Place.objects.unrestricted().get(pk=params["county"])
    run = screening_run(actor=job.created_by, county=county, period=params["period"], engine=params["engine"])
    return Outcome(
        summary=_("%(p)s系统筛查完成：新增线索%(n)d条，并入已有线索%(m)d条。") % {
            "p": run.period, "n": sum(c["new"] for c in run.counts.values()),
            "m": sum(c["merged"] for c in run.counts.values())},
        link=("screening-run-detail", [run.pk]), data={"run": run.pk})


@task()
def screening_job(job_id: int) -> str:
    return job_run(job_id, _screen)


def screening_enqueue(*, actor, county: Place, period: str, engine: str) -> Job:
    """Queue the screening of `county` for the month `period`; the checks that need no data (the
    engine's name) are made now, so that a wrong choice is refused on the page."""
    check_engine(engine)
    ensure_in_area(actor, county, Perm.RUN_SCREENING)
    return job_enqueue(actor=actor, kind=Job.Kind.SCREENING, area_code=county.code,
                       params={"county": county.pk, "period": period, "engine": engine}, task=screening_job)
