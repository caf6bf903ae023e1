"""The household page's monitoring box and history: `{% load cases_timeline %}{% household_timeline household user %}`."""

from django import template

from fangpin.core.roles import Perm
from fangpin.monitoring.choices import risk_labels
from fangpin.registry.choices import HouseholdStatus

from .. import timeline
from ..choices import CaseKind, CaseStatus
from ..procedure import stage_label
from ..services import current_monitoring

register = template.Library()


@register.inclusion_tag("cases/_timeline.html")
def household_timeline(household, user):
    can_view = user.has_perm_named(Perm.VIEW_CASES)
    context = {"household": household, "can_view_cases": can_view,
               "entries": timeline.household_timeline(household, user)}
    if not can_view:
        return context
    monitoring = current_monitoring(household)
    open_cases = list(household.cases.filter(status=CaseStatus.OPEN).order_by("pk"))
    for case in open_cases:
        case.stage_name = stage_label(case.stage)
    may_open = user.has_perm_named(Perm.OPEN_CASE)
    context.update({
        "monitoring": monitoring,
        "risk_labels": risk_labels(monitoring.risk_types) if monitoring else [],
        "open_cases": open_cases,
        "can_open_identification": (may_open and monitoring is None
                                    and household.status in (HouseholdStatus.ACTIVE, HouseholdStatus.PROVISIONAL)
                                    and not any(c.kind == CaseKind.IDENTIFICATION for c in open_cases)),
        "can_check_elimination": monitoring is not None,
        "last_monitoring": None if monitoring else household.monitorings.order_by("-identified_on", "-pk").first(),
    })
    return context
