"""A public notice as a page and as the printable PDF posted in the village."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views import View

from fangpin.core.audit import log_access
from fangpin.core.models import AccessLog
from fangpin.core.roles import Perm
from fangpin.core.views import AreaScopedMixin

from ..models import Case, PublicNotice
from ..pdf import notice_context, render_notice_pdf


class NoticeMixin(AreaScopedMixin):
    model = PublicNotice
    required_perm = Perm.VIEW_CASES

    def get_notice(self, pk) -> PublicNotice:
        return get_object_or_404(self.get_queryset().select_related("village__parent", "published_by"), pk=pk)


class NoticeDetailView(NoticeMixin, View):
    def get(self, request, pk):
        notice = self.get_notice(pk)
        context = notice_context(notice)
        context["case_links"] = Case.objects.restrict(request.user, Perm.VIEW_CASES).filter(notices=notice)
        return render(request, "cases/notice_detail.html", context)


class NoticePdfView(NoticeMixin, View):
    def get(self, request, pk):
        notice = self.get_notice(pk)
        pdf = render_notice_pdf(notice)
        log_access(actor=request.user, kind=AccessLog.Kind.EXPORT, area_code=notice.village.code,
                   target=f"cases.publicnotice:{notice.pk} {notice.number}", detail={"format": "pdf"})
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{notice.number}.pdf"'
        return response
