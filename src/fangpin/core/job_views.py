"""Pages of background jobs: the list of the area's jobs, one job's page and its status box (which
the page polls with htmx until the job has ended), and the file an export job wrote."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.views import View
from django.views.generic import TemplateView

from .errors import ServiceError
from .jobs import interrupted_reason, job_file_open, job_interrupted, job_link, jobs_visible
from .models import Job

JOBS_PER_PAGE = 30


def shown(job):
    """The job as its page shows it: a running job whose worker is gone reads as interrupted at once
    (the worker records it on its next round; a page never writes)."""
    job.link = job_link(job)
    job.interrupted = job_interrupted(job)
    job.interrupted_reason = interrupted_reason() if job.interrupted else ""
    return job


def job_context(job) -> dict:
    shown(job)
    return {"job": job, "link": job.link, "has_file": bool(job.file_path) and job.status == job.Status.DONE}


class JobListView(LoginRequiredMixin, TemplateView):
    template_name = "core/job_list.html"

    def get_context_data(self, **kwargs):
        page = Paginator(jobs_visible(self.request.user), JOBS_PER_PAGE).get_page(self.request.GET.get("page"))
        for job in page.object_list:
            shown(job)
        return {**super().get_context_data(**kwargs), "page_obj": page}


class JobDetailView(LoginRequiredMixin, View):
    """The job's page; an htmx request gets only the status box (polled every two seconds while the
    job is queued or running)."""

    model = Job

    def get(self, request, pk):
        job = get_object_or_404(jobs_visible(request.user), pk=pk)
        template = "core/_job_status.html" if request.htmx else "core/job_detail.html"
        return render(request, template, job_context(job))


class JobFileView(LoginRequiredMixin, View):
    model = Job

    def get(self, request, pk):
        job = get_object_or_404(jobs_visible(request.user), pk=pk)
        try:
            handle = job_file_open(job, actor=request.user)
        except ServiceError:
            raise Http404 from None
        return FileResponse(handle, as_attachment=True, filename=job.file_name or handle.name.rsplit("/", 1)[-1])
