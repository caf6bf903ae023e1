"""A household's history in one chronological view: leads, cases and their stages, notices and
objections, measures and visits. Each source turns its own records into entries; a later module
(insurance claims) adds its source to TIMELINE_SOURCES."""

import dataclasses
import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fangpin.assistance.models import Measure
from fangpin.core.roles import Perm
from fangpin.monitoring.choices import LeadStatus


@dataclasses.dataclass
class Entry:
    when: datetime.datetime
    kind: str           # lead | case | stage | notice | objection | measure | visit | monitoring
    title: str
    detail: str = ""
    actor: str = ""
    url: str = ""
    tone: str = "secondary"  # Bootstrap colour of the marker


def _at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def _who(user) -> str:
    if user is None:
        return _("系统")
    return user.get_full_name() or user.username


def lead_entries(household, user):
    if not user.has_perm_named(Perm.VIEW_LEADS):
        return
    for lead in household.leads.select_related("raised_by", "closed_by"):
        title = _("风险线索（%(c)s）") % {"c": lead.get_channel_display()}
        if lead.status == LeadStatus.MERGED:
            title += _("，已并入线索#%(n)s") % {"n": lead.merged_into_id}
        yield Entry(lead.raised_at, "lead", title, lead.summary,
                    _who(lead.raised_by) if lead.raised_by_id else "", tone="warning")
        if lead.closed_at and lead.status == LeadStatus.DISMISSED:
            yield Entry(lead.closed_at, "lead", _("线索%(s)s") % {"s": lead.get_status_display()},
                        lead.close_reason, _who(lead.closed_by))


def case_entries(household, user):
    if not user.has_perm_named(Perm.VIEW_CASES):
        return
    for case in household.cases.select_related("opened_by").prefetch_related("records__actor", "notices",
                                                                               "objections__recorded_by"):
        url = reverse("cases:case-detail", args=[case.pk])
        yield Entry(case.opened_at, "case", _("发起%(k)s %(n)s") % {"k": case.get_kind_display(), "n": case.number},
                    case.summary, _who(case.opened_by), url, "primary")
        for record in case.records.all():
            tone = {"approve": "success", "notice_ended": "success", "published": "success",
                    "reject": "danger", "return": "warning", "objection": "warning"}.get(record.decision, "info")
            yield Entry(record.decided_at, "stage", f"{record.stage_name}：{record.get_decision_display()}",
                        record.reason, _who(record.actor), url, tone)
        for notice in case.notices.all():
            yield Entry(notice.published_at, "notice",
                        _("公示%(n)s（%(a)s至%(b)s）") % {"n": notice.number, "a": notice.starts_on, "b": notice.ends_on},
                        "", "", reverse("cases:notice-detail", args=[notice.pk]), "info")
        for objection in case.objections.all():
            yield Entry(objection.recorded_at, "objection", _("公示期间收到异议"), objection.content,
                        _who(objection.recorded_by), url, "warning")
        if case.closed_at:
            yield Entry(case.closed_at, "case", _("%(k)s办结：%(s)s") % {"k": case.get_kind_display(),
                                                                          "s": case.get_status_display()},
                        case.outcome_reason, "", url, "danger" if case.status == "rejected" else "success")


def measure_entries(household, user):
    if not user.has_perm_named(Perm.VIEW_ASSISTANCE):
        return
    for measure in Measure.objects.unrestricted().filter(household=household).select_related("created_by"):
        yield Entry(measure.created_at, "measure",
                    _("帮扶措施：%(n)s（%(s)s）") % {"n": measure.name, "s": measure.get_status_display()},
                    measure.get_category_display(), _who(measure.created_by), tone="success")


def visit_entries(household, user):
    if not user.has_perm_named(Perm.VIEW_REGISTRY):
        return
    for visit in household.visits.select_related("visitor"):
        yield Entry(_at(visit.visited_on), "visit", visit.get_kind_display(),
                    visit.note or (_("发现风险") if visit.risk_found else _("无变化") if not visit.changes else _("有变化")),
                    _who(visit.visitor), tone="warning" if visit.risk_found else "secondary")


TIMELINE_SOURCES = [lead_entries, case_entries, measure_entries, visit_entries]


def household_timeline(household, user, newest_first: bool = True) -> list[Entry]:
    entries = [entry for source in TIMELINE_SOURCES for entry in source(household, user)]
    entries.sort(key=lambda e: e.when, reverse=newest_first)
    return entries
