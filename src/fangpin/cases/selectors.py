"""Read-side rules of the procedures that pages ask about: which cases a stage predicate picks, and
which overdue cases are escalated to a user's level (and how that list is named and explained)."""

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from fangpin.regions.models import Level

from . import daily
from .choices import StageLevel
from .models import ProcedureConfig


def stage_q(queryset, predicate) -> Q:
    """Cases of `queryset` whose current stage satisfies `predicate`. A case runs the stage list of the
    procedure version it opened under, so the question is asked once per version, not once per case."""
    condition = Q(pk__in=[])
    versions = queryset.order_by().values_list("procedure_id", flat=True).distinct()
    for config in ProcedureConfig.objects.unrestricted().filter(pk__in=list(versions)):
        indexes = [index for index, stage in enumerate(config.stages) if predicate(stage)]
        if indexes:
            condition |= Q(procedure_id=config.pk, stage_index__in=indexes)
    return condition


@dataclass(frozen=True)
class EscalationScope:
    """What the escalated list means for one user: its name on the page and a sentence saying what
    it holds."""

    label: str
    description: str


def escalation_scope(user) -> EscalationScope:
    level = user.place.level if getattr(user, "place_id", None) else None
    if level == Level.TOWNSHIP:
        return EscalationScope(_("超期上报"), _("本乡镇各村超过环节时限仍未办理的案件。"))
    if level == Level.COUNTY:
        return EscalationScope(_("超期上报"), _("乡镇级、县级环节超期的案件，以及超过总时限的案件。"))
    if level in (Level.VILLAGE, Level.GROUP):
        return EscalationScope(_("超期案件"), _("本村超过环节时限或总时限的案件，已上报上级。"))
    return EscalationScope(_("超期上报"), _("本村超过环节时限或总时限的案件，已上报上级。"))


def escalated_cases(user, cases, today):
    """Overdue cases escalated to the user's level: a township sees its villages' overdue stages, the
    county sees overdue township and county stages and every case past its total limit. A village
    sees its own overdue cases."""
    overdue = daily.overdue_cases(cases, today=today)
    level = user.place.level if getattr(user, "place_id", None) else None
    if level == Level.TOWNSHIP:
        return overdue.filter(stage_q(overdue, lambda s: s["level"] == StageLevel.VILLAGE))
    if level == Level.COUNTY:
        upper = stage_q(overdue, lambda s: s["level"] in (StageLevel.TOWNSHIP, StageLevel.COUNTY))
        return overdue.filter(upper | Q(due_on__lt=today))
    return overdue


def notice_period_over(notice, today) -> bool:
    """Whether a case's current notice has run its whole period (the daily round, or someone who may
    act on the stage, then moves the case on unless an objection came in)."""
    return notice is not None and notice.ends_on < today
