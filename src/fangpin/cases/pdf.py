"""The village public notice (公示) as a page and as a printable A4 PDF.

The PDF is rendered by WeasyPrint from the same context as the page, with the Noto CJK fonts of the
system (Debian's fonts-noto-cjk) named by family. Nothing is fetched over the network: the template
has no external resources and the URL fetcher refuses every address."""

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from fangpin.monitoring.choices import RiskType
from fangpin.regions.models import Level
from fangpin.registry.choices import Relation

from .choices import CaseKind


def notice_title(notice) -> str:
    if notice.kind == CaseKind.ELIMINATION:
        return _("%(v)s防止返贫监测对象风险消除公示") % {"v": notice.village.name}
    return _("%(v)s防止返贫监测对象识别认定公示") % {"v": notice.village.name}


def notice_rows(notice) -> list[dict]:
    """One row per household on the notice: head, group, category, risk types, reason."""
    rows = []
    cases = notice.cases.select_related("household__place").prefetch_related("household__members").order_by("pk")
    for number, case in enumerate(cases, start=1):
        household = case.household
        head = next((m for m in household.members.all() if m.relation == Relation.HEAD and m.ended_on is None), None)
        place = household.place
        rows.append({
            "number": number,
            "head": head.name if head else household.number,
            "size": sum(1 for m in household.members.all() if m.ended_on is None),
            "group": place.name if place.level == Level.GROUP else "",
            "category": case.get_category_display(),
            "risks": "、".join(str(RiskType(r).label) if r in RiskType.values else r for r in case.risk_types),
            "method": case.get_method_display() if case.method else "",
            "summary": case.summary,
        })
    return rows


def notice_context(notice) -> dict:
    village = notice.village
    township = village.parent
    if notice.kind == CaseKind.ELIMINATION:
        intro = _("根据防止返贫动态监测和帮扶工作要求，经农户申请或排查、入户核实、村民主评议，拟对以下农户进行风险消除，"
                  "现予公示。公示期间如有异议，请向村委会或拨打异议受理电话反映。")
    else:
        intro = _("根据防止返贫动态监测和帮扶工作要求，经入户核实、信息比对、村民主评议，拟将以下农户认定为防止返贫监测对象，"
                  "现予公示。公示期间如有异议，请向村委会或拨打异议受理电话反映。")
    return {
        "notice": notice,
        "title": notice_title(notice),
        "intro": intro,
        "village": village,
        "township": township,
        "issuer": f"{township.name if township else ''}{village.name}" + _("村民委员会"),
        "rows": notice_rows(notice),
        "is_elimination": notice.kind == CaseKind.ELIMINATION,
        "publisher": notice.published_by.display_name,
        "published_on": timezone.localtime(notice.published_at).date() if notice.published_at else notice.starts_on,
        "period_days": (notice.ends_on - notice.starts_on).days + 1,
    }


def _no_fetch(url, *args, **kwargs):
    raise ValueError(f"fangpin notices load nothing from outside: {url}")


def render_notice_pdf(notice) -> bytes:
    import weasyprint

    html = render_to_string("cases/notice_pdf.html", notice_context(notice))
    return weasyprint.HTML(string=html, url_fetcher=_no_fetch).write_pdf()
