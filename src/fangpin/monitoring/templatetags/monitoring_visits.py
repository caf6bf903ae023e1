"""The visits panel on the household page: tier, next visit due, last visits and open leads."""

from django import template

from fangpin.core.roles import Perm

from ..choices import OPEN_LEAD_STATUSES, RiskTier, RiskType
from ..models import Lead, Visit
from ..visits import card as cards, schedule

register = template.Library()
LAST_VISITS = 5


@register.inclusion_tag("monitoring/visits/household_panel.html", takes_context=True)
def visit_panel(context, household):
    user = context["request"].user
    if not user.has_perm_named(Perm.VIEW_REGISTRY):
        return {"show": False}
    visits = list(Visit.objects.restrict(user, Perm.VIEW_REGISTRY).filter(household=household)
                  .select_related("visitor").order_by("-visited_on", "-id")[:LAST_VISITS])
    for visit in visits:
        visit.change_lines = cards.describe_changes(visit.changes)
    risk_labels = dict(RiskType.choices)
    leads = list(Lead.objects.restrict(user, Perm.VIEW_LEADS).filter(household=household,
                                                                   status__in=OPEN_LEAD_STATUSES))
    for lead in leads:
        lead.risk_labels = [risk_labels.get(r, r) for r in lead.risk_types]
    row = schedule.next_visit_due(household) if household.is_active else None
    return {
        "show": True, "household": household, "visits": visits, "leads": leads, "schedule": row,
        "tier_label": RiskTier(row.risk_tier).label if row else "",
        "can_visit": household.is_active and user.has_perm_named(Perm.RECORD_VISIT),
    }
