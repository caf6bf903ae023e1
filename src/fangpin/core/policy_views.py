"""The county policy page: every county policy in one place, with the version in force, its history
and the way to adopt a new version. Everyone with a place reads their county's policies; adopting a
version takes the permission the policy names (the county admin holds them all)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from fangpin.regions.models import Level

from .areas import user_county
from .errors import ServiceError
from .forms import ParsingModelForm
from .policy import policy_adopt, policy_models
from .roles import Perm


def series_keys(model) -> list[dict]:
    """The series a county keeps of a policy: one, or one per choice of its series field."""
    keys = [{}]
    for name in model.series_fields:
        choices = model._meta.get_field(name).choices
        keys = [{**key, name: value} for key in keys for value, _label in choices]
    return keys


def series_title(model, key: dict) -> str:
    labels = [str(dict(model._meta.get_field(name).flatchoices)[value]) for name, value in key.items()]
    return "·".join([str(model.policy_title), *labels])


def policy_label(model) -> str:
    return model._meta.label_lower


class CountyPolicyMixin(LoginRequiredMixin):
    @cached_property
    def county(self):
        county = user_county(self.request.user)
        if county is None:
            raise Http404
        return county

    def may_adopt(self, model) -> bool:
        user = self.request.user
        return user.place.level == Level.COUNTY and user.has_perm_named(model.adopt_perm)


class CountyPolicyView(CountyPolicyMixin, TemplateView):
    template_name = "core/county_policy.html"

    def section(self, model, key: dict) -> dict:
        today = timezone.localdate()
        versions = list(model.objects.restrict(self.request.user).series(self.county, **key)
                        .select_related("created_by").order_by("-version"))
        in_force = next((v for v in sorted(versions, key=lambda v: (v.effective_from, v.version), reverse=True)
                         if v.effective_from <= today), None)
        adopt_url = ""
        if self.may_adopt(model):
            adopt_url = (reverse(model.adopt_url_name) if model.adopt_url_name
                         else reverse("policy-adopt", args=[policy_label(model)]))
        return {"title": series_title(model, key), "anchor": "-".join([policy_label(model), *key.values()]),
                "in_force": in_force, "defaults": None if versions else model(county=self.county, **key),
                "versions": versions, "adopt_url": adopt_url}

    def get_context_data(self, **kwargs):
        sections = [self.section(model, key) for model in policy_models() for key in series_keys(model)]
        return {**super().get_context_data(**kwargs), "county": self.county, "sections": sections}


def list_field(choices, label, help_text=""):
    return forms.MultipleChoiceField(label=label, choices=choices, widget=forms.CheckboxSelectMultiple,
                                     help_text=help_text)


class PolicyAdoptView(CountyPolicyMixin, FormView):
    """The form that adopts a new version of a policy without a page of its own; it starts from the
    version in force (or the defaults)."""

    template_name = "core/county_policy_form.html"

    @cached_property
    def model(self):
        found = {policy_label(model): model for model in policy_models() if not model.adopt_url_name}
        model = found.get(self.kwargs["label"])
        if model is None:
            raise Http404
        return model

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not self.may_adopt(self.model):
            raise DjangoPermissionDenied(Perm(self.model.adopt_perm).label)
        return super().dispatch(request, *args, **kwargs)

    def get_form_class(self):
        model = self.model

        def formfield(field, **kwargs):
            if field.name in model.policy_list_choices:
                return list_field(model.policy_list_choices[field.name], field.verbose_name, field.help_text)
            return field.formfield(**kwargs)

        return forms.modelform_factory(model, form=ParsingModelForm, fields=["effective_from", *model.policy_fields,
                                                                              "note"], formfield_callback=formfield)

    @cached_property
    def in_force(self):
        return self.model.objects.in_force(self.county, timezone.localdate())

    def get_initial(self):
        start = self.in_force or self.model(county=self.county)
        return {**{name: getattr(start, name) for name in self.model.policy_fields},
                "effective_from": timezone.localdate()}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "county": self.county, "title": self.model.policy_title,
                "in_force": self.in_force}

    def form_valid(self, form):
        try:
            policy = policy_adopt(self.model, actor=self.request.user, county=self.county, **form.cleaned_data)
        except ServiceError as error:
            form.add_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, _("已制定%(p)s第%(v)d版，自%(d)s起生效。") % {
            "p": policy.policy_title, "v": policy.version, "d": policy.effective_from.isoformat()})
        return redirect(reverse("county-policy") + f"#{policy_label(self.model)}")
