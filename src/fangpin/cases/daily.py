"""The daily round (`fangpin cases_daily`): conclude the notice stages whose period has ended, and mark
newly overdue cases as escalated to the level above."""


from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fangpin.core.audit import change_entry, snapshot
from fangpin.core.models import ChangeLog

from .choices import CaseStatus
from .models import Case
from .notices import notice_conclude
from .steps import resolve_today


def notices_conclude_due(today=None, queryset=None) -> int:
    """Conclude every notice stage whose period has ended (run daily, and when a case is opened)."""
    today = resolve_today(today)
    queryset = Case.objects.unrestricted().all() if queryset is None else queryset
    waiting = queryset.filter(status=CaseStatus.OPEN, notices__ends_on__lt=today).distinct()
    return sum(notice_conclude(case=case, today=today) for case in waiting)



def overdue_cases(queryset=None, today=None):
    """Open cases past their stage limit or their total limit."""
    today = resolve_today(today)
    queryset = Case.objects.unrestricted().all() if queryset is None else queryset
    return queryset.filter(status=CaseStatus.OPEN).filter(Q(stage_due_on__lt=today) | Q(due_on__lt=today))


@transaction.atomic
def cases_escalate_overdue(today=None, batch_size: int = 2000) -> int:
    """Mark newly overdue cases as escalated (one level above the stage's level sees them), in batches:
    one update and one set of change-log entries per batch rather than per case."""
    now, count = timezone.now(), 0
    reason = _("超期上报")
    while True:
        batch = list(overdue_cases(today=today).filter(escalated_at__isnull=True)
                     .select_related("household__place").select_for_update().order_by("pk")[:batch_size])
        if not batch:
            return count
        entries = []
        for case in batch:
            before = snapshot(case)
            case.escalated_at, case.version = now, case.version + 1
            entries.append(change_entry(case, ChangeLog.Action.UPDATE, actor=None, before=before, reason=reason))
        Case.objects.unrestricted().bulk_update(batch, ["escalated_at", "version"])
        ChangeLog.objects.bulk_create(entries)
        count += len(batch)
