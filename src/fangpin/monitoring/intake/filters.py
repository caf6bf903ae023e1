"""The lead inbox's filters: one definition for the page and any export built on it."""

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangpin.core.views import style_widgets
from fangpin.registry.filters import FlagCheckbox, area_place_choices, within_place

from ..choices import Channel, LeadStatus, RiskType
from ..models import Lead


class LeadFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=LeadStatus.choices, empty_label=_("全部"))
    channel = django_filters.ChoiceFilter(label=_("来源"), choices=Channel.choices, empty_label=_("全部"))
    risk_type = django_filters.ChoiceFilter(label=_("风险类型"), choices=RiskType.choices, empty_label=_("全部"),
                                            method="filter_risk_type")
    place = django_filters.CharFilter(label=_("乡镇或村"), method="filter_place")
    overdue = django_filters.BooleanFilter(label=_("只看逾期未受理"), method="filter_overdue")

    class Meta:
        model = Lead
        fields = ["status", "channel", "risk_type", "place", "overdue"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        fields = self.form.fields
        if request is not None:
            fields["place"].widget = forms.Select(choices=[("", _("全部"))] + area_place_choices(request.user))
        fields["overdue"].widget = FlagCheckbox()
        style_widgets(fields)

    def filter_risk_type(self, queryset, name, value):
        # The list is stored as JSON text on SQLite and jsonb on PostgreSQL; its quoted element
        # matches on both ("other" never matches inside another code).
        return queryset.filter(risk_types__icontains=f'"{value}"')

    def filter_place(self, queryset, name, value):
        return within_place(queryset, value)

    def filter_overdue(self, queryset, name, value):
        late = dict(status=LeadStatus.NEW, accept_due__lt=timezone.now())
        return queryset.filter(**late) if value else queryset
