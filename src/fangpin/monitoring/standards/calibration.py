"""Warning-line calibration: how much households spend on medical care, schooling and disasters.

Counties set their rigid-spending warning lines from about three years of spending data, by segment
(DOMAIN.md §3, seed 004). This module reads the yearly income blocks (年度收支, quarter empty) of the
last three income years with yearly data, one value per household and year, and gives per segment

- the number of household-years and how many of them had any spending;
- percentiles of the spending per household (元/户/年) or per person (元/人/年, divided by the members
  at the end of that year).

Percentiles use linear interpolation between order statistics (PostgreSQL's `percentile_cont`,
NumPy's default): with n sorted values v[0..n-1] and p in (0, 1], h = (n − 1)·p and the percentile is
v[⌊h⌋] + (h − ⌊h⌋)·(v[⌊h⌋+1] − v[⌊h⌋]). SQLite has no percentile function, so the database only
ranks (ROW_NUMBER and COUNT over each segment) and hands back the two neighbours of each wanted
position, found with integer arithmetic that both engines evaluate alike; the interpolation is done
here in Decimal. Only a few rows per segment and percentile leave the database whatever the county's
size, and SQLite and PostgreSQL give the same figures to the fen.

A candidate warning line is a percentile rounded to whole hundreds of yuan. Its what-if counts the
households whose spending in the latest income year is above it (strictly, as in "out-of-pocket above
10,000 yuan"), and how many of them are already in monitoring (`selectors.in_monitoring`).
"""

import dataclasses
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case, CharField, Count, F, Q, Value, When
from django.db.models.functions import Substr
from django.utils.translation import gettext, gettext_lazy as _

from fangpin.core.errors import ValidationFailed
from fangpin.monitoring.errors import MonitoringErrorCode
from fangpin.regions.models import Level, Place
from fangpin.registry.choices import HouseholdStatus, HouseholdType
from fangpin.registry.models import Income

from .selectors import in_monitoring

YEARS = 3
DEFAULT_PERCENTILES = (Decimal("50"), Decimal("75"), Decimal("90"), Decimal("95"), Decimal("99"))
LINE_ROUNDING = Decimal("100")  # candidate lines in whole hundreds of yuan
CENT = Decimal("0.01")

# measure → (Income field, label, Thresholds field the household-basis line can be adopted as)
MEASURES = {
    "medical": ("medical_spending", _("医疗自付支出"), "medical_warning_amount"),
    "education": ("education_spending", _("教育支出"), "education_warning_amount"),
    "disaster": ("disaster_loss", _("灾害损失"), "disaster_warning_amount"),
}
BASES = {"household": _("户均（元/户/年）"), "per_capita": _("人均（元/人/年）")}
DIMENSIONS = {"all": _("全县"), "household_type": _("户类型"), "size": _("家庭人口"), "township": _("乡镇")}
ALL = "all"
SIZE_BANDS = (("1", _("1人户")), ("2", _("2人户")), ("3-4", _("3-4人户")), ("5+", _("5人及以上户")))


@dataclasses.dataclass(frozen=True)
class Question:
    """What the admin asks: a measure, a basis, a segmentation and the percentiles wanted."""

    measure: str = "medical"
    basis: str = "household"
    dimension: str = ALL
    percentiles: tuple[Decimal, ...] = DEFAULT_PERCENTILES
    nonzero: bool = False  # only household-years with some spending

    def __post_init__(self):
        for name, allowed, code in (("measure", MEASURES, MonitoringErrorCode.MEASURE_UNKNOWN),
                                    ("basis", BASES, MonitoringErrorCode.BASIS_UNKNOWN),
                                    ("dimension", DIMENSIONS, MonitoringErrorCode.DIMENSION_UNKNOWN)):
            if getattr(self, name) not in allowed:
                raise ValidationFailed(code, gettext("未知的选项：%(v)s") % {"v": getattr(self, name)},
                                       field=name)
        if not self.percentiles:
            raise ValidationFailed(MonitoringErrorCode.PERCENTILES_MISSING, gettext("请至少选择一个分位数。"), field="percentiles")
        for p in self.percentiles:
            if not (Decimal("0.1") <= p <= Decimal("99.9")) or p * 10 != int(p * 10):
                raise ValidationFailed(MonitoringErrorCode.PERCENTILE_RANGE, gettext("分位数须在0.1到99.9之间，最多一位小数：%(p)s") % {
                    "p": p}, field="percentiles")

    @property
    def per_mille(self) -> list[int]:
        return sorted({int(p * 10) for p in self.percentiles})


def parse_percentiles(text: str) -> tuple[Decimal, ...]:
    """"75, 90，95" → (75, 90, 95); Chinese commas and spaces are accepted."""
    parts = [part for part in str(text or "").replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if part]
    try:
        values = tuple(sorted({Decimal(part.removeprefix("P").removeprefix("p")) for part in parts}))
    except InvalidOperation:
        raise ValidationFailed(MonitoringErrorCode.PERCENTILE_FORMAT, gettext("分位数请填数字，用逗号分隔，例如 75,90,95。"),
                               field="percentiles") from None
    return values


def percentile_label(per_mille: int) -> str:
    return f"P{per_mille // 10}" if per_mille % 10 == 0 else f"P{per_mille / 10:g}"


@dataclasses.dataclass
class SegmentStats:
    key: str
    label: str
    count: int = 0  # household-years
    nonzero: int = 0  # household-years with some spending
    percentiles: dict = dataclasses.field(default_factory=dict)  # per mille → Decimal
    maximum: Decimal | None = None

    @property
    def nonzero_share(self) -> Decimal | None:
        return (Decimal(self.nonzero) * 100 / self.count).quantize(Decimal("0.1")) if self.count else None


@dataclasses.dataclass
class Candidate:
    per_mille: int
    percentile_value: Decimal
    line: Decimal
    flagged: int = 0  # households above the line in the latest year, whole county
    flagged_in_segment: int = 0
    in_monitoring: int = 0  # of the flagged, already in monitoring

    @property
    def label(self) -> str:
        return percentile_label(self.per_mille)

    @property
    def percentile(self) -> str:
        return self.label[1:]

    @property
    def new(self) -> int:
        return self.flagged - self.in_monitoring


@dataclasses.dataclass
class Calibration:
    question: Question
    years: list[int]
    segments: list[SegmentStats]

    @property
    def latest_year(self) -> int | None:
        return self.years[-1] if self.years else None

    def segment(self, key: str) -> SegmentStats | None:
        return next((s for s in self.segments if s.key == key), None)


def income_years(county: Place, count: int = YEARS) -> list[int]:
    """The last `count` years for which the county has yearly income blocks, oldest first."""
    years = (Income.objects.unrestricted().filter(household__county=county, quarter__isnull=True).order_by("-year")
             .values_list("year", flat=True).distinct()[:count])
    return sorted(years)


def _segment_expression(dimension: str):
    if dimension == "household_type":
        return F("household__household_type")
    if dimension == "size":
        return Case(When(members__lte=1, then=Value("1")), When(members=2, then=Value("2")),
                    When(members__lte=4, then=Value("3-4")), default=Value("5+"), output_field=CharField())
    if dimension == "township":
        return Substr("household__place__code", 1, 9)
    return Value(ALL, output_field=CharField())


def _rows(county: Place, years: list[int], question: Question):
    """One row per household and year: household, year, segment, amount, members."""
    field = MEASURES[question.measure][0]
    rows = (Income.objects.unrestricted().filter(household__county=county, quarter__isnull=True, year__in=years)
            .with_member_count()
            .annotate(hh=F("household_id"), yr=F("year"), members=F("member_count"), amount=F(field))
            .order_by())
    rows = rows.annotate(seg=_segment_expression(question.dimension))
    if question.basis == "per_capita":
        rows = rows.filter(members__gt=0)
    if question.nonzero:
        rows = rows.filter(**{f"{field}__gt": 0})
    return rows


def _order_statistics(rows, question: Question) -> list[tuple]:
    """(segment, per mille, n, position, amount, members) for the two neighbours of each wanted
    position, per segment. Positions are 0-based; per mille 1000 gives the maximum."""
    try:
        sql, params = rows.values("hh", "yr", "seg", "amount", "members").query.sql_with_params()
    except EmptyResultSet:  # the filters admit no row at all (e.g. an area without income data)
        return []
    value = "b.amount * 1.0 / b.members" if question.basis == "per_capita" else "b.amount"
    wanted = ", ".join(f"({k})" for k in [*question.per_mille, 1000])
    query = f"""
        WITH pct(k) AS (VALUES {wanted}),
        base AS ({sql}),
        ranked AS (
            SELECT b.seg AS seg, b.amount AS amount, b.members AS members,
                   ROW_NUMBER() OVER (PARTITION BY b.seg ORDER BY {value}, b.hh, b.yr) - 1 AS pos,
                   COUNT(*) OVER (PARTITION BY b.seg) AS n
            FROM base b
        )
        SELECT r.seg, pct.k, r.n, r.pos, r.amount, r.members
        FROM ranked r JOIN pct ON r.pos = ((r.n - 1) * pct.k) / 1000 OR r.pos = ((r.n - 1) * pct.k) / 1000 + 1
    """
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def _interpolate(neighbours: dict[int, Decimal], n: int, per_mille: int) -> Decimal:
    exact = Decimal((n - 1) * per_mille) / 1000
    low = (n - 1) * per_mille // 1000
    below = neighbours[low]
    above = neighbours.get(low + 1, below)
    return (below + (exact - low) * (above - below)).quantize(CENT, rounding=ROUND_HALF_UP)


def _labels(dimension: str, keys) -> dict[str, str]:
    if dimension == "household_type":
        return {k: str(HouseholdType(k).label) if k in HouseholdType.values else k for k in keys}
    if dimension == "size":
        return {k: str(label) for k, label in SIZE_BANDS}
    if dimension == "township":
        names = dict(Place.objects.unrestricted().filter(level=Level.TOWNSHIP, code__in=[f"{k}000" for k in keys])
                     .values_list("code", "name"))
        return {k: names.get(f"{k}000", k) for k in keys}
    return {ALL: str(DIMENSIONS[ALL])}


def _segment_order(dimension: str, keys) -> list[str]:
    if dimension == "size":
        return [k for k, _ in SIZE_BANDS if k in keys]
    if dimension == "household_type":
        return [k for k in HouseholdType.values if k in keys] + sorted(set(keys) - set(HouseholdType.values))
    return sorted(keys)


def calibrate(county: Place, question: Question) -> Calibration:
    """Spending distribution per segment over the county's last three income years."""
    years = income_years(county)
    rows = _rows(county, years, question)
    field = MEASURES[question.measure][0]
    counts = {row["seg"]: row for row in rows.order_by().values("seg").annotate(
        count=Count("pk"), nonzero=Count("pk", filter=Q(**{f"{field}__gt": 0})))}
    neighbours: dict[tuple, dict[int, Decimal]] = {}
    sizes: dict[str, int] = {}
    for seg, k, n, pos, amount, members in _order_statistics(rows, question):
        value = Decimal(str(amount))
        if question.basis == "per_capita":
            value = value / members
        neighbours.setdefault((seg, k), {})[pos] = value
        sizes[seg] = n
    labels = _labels(question.dimension, counts)
    segments = []
    for key in _segment_order(question.dimension, counts):
        stats = SegmentStats(key=key, label=labels.get(key, key), count=counts[key]["count"],
                             nonzero=counts[key]["nonzero"])
        for k in question.per_mille:
            stats.percentiles[k] = _interpolate(neighbours[(key, k)], sizes[key], k)
        stats.maximum = _interpolate(neighbours[(key, 1000)], sizes[key], 1000)
        segments.append(stats)
    return Calibration(question=question, years=years, segments=segments)


def round_line(value: Decimal) -> Decimal:
    """A percentile as a line a county would publish: whole hundreds of yuan (half up)."""
    return ((value / LINE_ROUNDING).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * LINE_ROUNDING).quantize(CENT)


def candidates(county: Place, calibration: Calibration, segment_key: str) -> list[Candidate]:
    """Candidate lines at the asked percentiles of one segment, each with its what-if on the latest
    income year: households above the line in the whole county, in the segment, and already in
    monitoring. Percentiles that round to zero give no candidate (a zero line flags every spender)."""
    segment = calibration.segment(segment_key)
    if segment is None or calibration.latest_year is None:
        return []
    found = [Candidate(per_mille=k, percentile_value=v, line=round_line(v)) for k, v in segment.percentiles.items()]
    found = [c for c in found if c.line > 0]
    if not found:
        return found
    question = calibration.question
    field = MEASURES[question.measure][0]
    latest = (_rows(county, [calibration.latest_year], dataclasses.replace(question, nonzero=False))
              .filter(household__status=HouseholdStatus.ACTIVE)
              .annotate(followed=in_monitoring("household_id")))
    in_segment = Q(seg=segment_key) if question.dimension != ALL else Q()
    aggregates = {}
    for i, candidate in enumerate(found):
        if question.basis == "per_capita":
            above = Q(**{f"{field}__gt": F("members") * Value(candidate.line)})
        else:
            above = Q(**{f"{field}__gt": candidate.line})
        aggregates[f"flagged{i}"] = Count("pk", filter=above)
        aggregates[f"segment{i}"] = Count("pk", filter=above & in_segment)
        aggregates[f"followed{i}"] = Count("pk", filter=above & Q(followed=True))
    totals = latest.aggregate(**aggregates)
    for i, candidate in enumerate(found):
        candidate.flagged = totals[f"flagged{i}"]
        candidate.flagged_in_segment = totals[f"segment{i}"]
        candidate.in_monitoring = totals[f"followed{i}"]
    return found


def describe_segment(question: Question, calibration: Calibration, segment_key: str) -> str:
    """"脱贫户（户类型）" — how a note names the segment a line came from."""
    segment = calibration.segment(segment_key)
    label = segment.label if segment else segment_key
    if question.dimension == ALL:
        return label
    return f"{label}（{DIMENSIONS[question.dimension]}）"
