"""The visits panel on the household page. The tag renders the panel's frame and "走访" button
without a query; the panel's figures (tier, next visit due, last visits, open leads) load just after
the page, so the household page stays as fast as it was."""

from django import template

from fangpin.core.roles import Perm

register = template.Library()


@register.inclusion_tag("monitoring/visits/household_panel.html", takes_context=True)
def visit_panel(context, household):
    user = context["request"].user
    return {"show": user.has_perm_named(Perm.VIEW_REGISTRY), "household": household,
            "can_visit": household.is_active and user.has_perm_named(Perm.RECORD_VISIT)}
