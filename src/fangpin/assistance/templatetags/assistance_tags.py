"""The assistance panel on the household page: `{% load assistance_tags %}{% household_measures household user %}`."""

from django import template
from django.utils import timezone

from fangpin.core.roles import Perm

from ..models import Measure
from ..recommend import plan_warnings
from ..selectors import current_monitoring, green_channel_case

register = template.Library()


@register.inclusion_tag("assistance/_household_measures.html")
def household_measures(household, user):
    if not user.has_perm_named(Perm.VIEW_ASSISTANCE):
        return {"show": False}
    measures = list(Measure.objects.restrict(user, Perm.VIEW_ASSISTANCE).filter(household=household)
                    .order_by("-starts_on", "-pk")[:10])
    planning = current_monitoring(household) is not None or green_channel_case(household) is not None
    return {"show": True, "household": household, "measures": measures, "planning": planning,
            "warnings": plan_warnings(household, on=timezone.localdate()) if planning else []}
