"""The monthly suggested list asked for on its page, as background jobs: building a month's lists of
a county, and sending the lists of a month not sent yet."""

from urllib.parse import urlencode

from django.utils.translation import gettext as _
from django_tasks import task

from fangpin.core.jobs import Outcome, Progress, job_enqueue, job_run
from fangpin.core.models import Job
from fangpin.core.periods import parse_period
from fangpin.core.roles import Perm
from fangpin.core.scoping import ensure_in_area
from fangpin.monitoring.models import MonthlyList
from fangpin.regions.models import Place

from . import services


def _link(period: str) -> tuple[str, list, str]:
    return ("monthly-lists", [], urlencode({"period": period}))


def _build(job: Job, progress: Progress) -> Outcome:
    county, period = Place.objects.unrestricted().get(pk=job.params["county"]), job.params["period"]
    result = services.monthly_list_build(actor=job.created_by, county=county, period=period)
    return Outcome(summary=_("已生成%(p)s月度预警名单：新建%(c)d份，更新%(r)d份，已下发未改动%(u)d份，共%(l)d户。") % {
        "p": period, "c": result.created, "r": result.refreshed, "u": result.unchanged, "l": result.lines},
        link=_link(period))


def _send(job: Job, progress: Progress) -> Outcome:
    county, period = Place.objects.unrestricted().get(pk=job.params["county"]), job.params["period"]
    lists = list(MonthlyList.objects.restrict(job.created_by, Perm.SEND_MONTHLY_LIST).filter(
        period=period, sent_at__isnull=True, county=county).order_by("township__code"))
    for done, monthly_list in enumerate(lists, start=1):
        services.monthly_list_send(actor=job.created_by, monthly_list=monthly_list)
        progress("send", done, len(lists))
    return Outcome(summary=_("已向%(n)d个乡镇下发%(p)s月度预警名单。") % {"n": len(lists), "p": period},
                   link=_link(period))


@task()
def monthly_list_build_job(job_id: int) -> str:
    return job_run(job_id, _build)


@task()
def monthly_list_send_job(job_id: int) -> str:
    return job_run(job_id, _send)


def monthly_list_enqueue(*, actor, county: Place, period: str, send: bool) -> Job:
    """Queue the build (or, with `send`, the sending) of the county's lists for the month `period`."""
    parse_period(period)
    ensure_in_area(actor, county, Perm.SEND_MONTHLY_LIST)
    kind = Job.Kind.MONTHLY_LIST_SEND if send else Job.Kind.MONTHLY_LIST_BUILD
    return job_enqueue(actor=actor, kind=kind, area_code=county.code, params={"county": county.pk, "period": period},
                       task=monthly_list_send_job if send else monthly_list_build_job)
