"""What one screening evaluates against: the thresholds version in force and the screening month,
turned into the integers the rules compare with (fen, basis points of 1/10000, YYYYMMDD days)."""

import datetime
from dataclasses import dataclass

from fangpin.core.periods import parse_period
from fangpin.registry.conditions import quarter_end, to_bp, to_fen, ymd


@dataclass(frozen=True)
class Parameters:
    period: str
    screening_day: datetime.date  # the first day of the screening month
    income_year: int  # the latest complete calendar year before the screening day
    window_end: int  # the latest complete quarter before the screening day, as year * 4 + quarter - 1
    line_fen: int
    watch_line_fen: int
    drop_bp: int
    stable_employment_months: int
    reference_income_fen: int | None = None
    medical_amount_fen: int | None = None
    medical_income_share_bp: int | None = None
    medical_reference_share_exited_bp: int | None = None
    medical_reference_share_other_bp: int | None = None
    education_amount_fen: int | None = None
    education_income_share_bp: int | None = None
    disaster_amount_fen: int | None = None
    disaster_income_share_bp: int | None = None

    @classmethod
    def from_thresholds(cls, thresholds, period: str) -> "Parameters":
        day = parse_period(period)
        return cls(
            period=f"{day:%Y-%m}",
            screening_day=day,
            income_year=day.year - 1,
            window_end=day.year * 4 + (day.month - 1) // 3 - 1,
            line_fen=to_fen(thresholds.monitoring_line),
            watch_line_fen=to_fen(thresholds.watch_line),
            drop_bp=to_bp(thresholds.income_drop_ratio),
            stable_employment_months=thresholds.stable_employment_months,
            reference_income_fen=to_fen(thresholds.reference_income),
            medical_amount_fen=to_fen(thresholds.medical_warning_amount),
            medical_income_share_bp=to_bp(thresholds.medical_warning_income_share),
            medical_reference_share_exited_bp=to_bp(thresholds.medical_warning_reference_share_exited),
            medical_reference_share_other_bp=to_bp(thresholds.medical_warning_reference_share_other),
            education_amount_fen=to_fen(thresholds.education_warning_amount),
            education_income_share_bp=to_bp(thresholds.education_warning_income_share),
            disaster_amount_fen=to_fen(thresholds.disaster_warning_amount),
            disaster_income_share_bp=to_bp(thresholds.disaster_warning_income_share),
        )

    def warning_lines(self, kind: str) -> dict[str, int | None]:
        """The warning lines of one kind of rigid spending, as `conditions.rigid_spending_high` takes them."""
        lines = {"amount_fen": getattr(self, f"{kind}_amount_fen"),
                 "income_share_bp": getattr(self, f"{kind}_income_share_bp")}
        if kind == "medical":
            lines.update(reference_income_fen=self.reference_income_fen,
                         reference_share_exited_bp=self.medical_reference_share_exited_bp,
                         reference_share_other_bp=self.medical_reference_share_other_bp)
        return lines

    @property
    def screening_ymd(self) -> int:
        return ymd(self.screening_day)

    @property
    def year_before_ymd(self) -> int:
        return self.screening_ymd - 10000

    def window_end_ymd(self, years_back: int = 0) -> int:
        return ymd(quarter_end(self.window_end - 4 * years_back))

    def basis_label(self, quarterly: bool, years_back: int = 0) -> str:
        """The income period a figure covers: a year ("2025") or four quarters ("2025Q2-2026Q1")."""
        if not quarterly:
            return str(self.income_year - years_back)
        first, last = self.window_end - 4 * years_back - 3, self.window_end - 4 * years_back
        return f"{first // 4}Q{first % 4 + 1}-{last // 4}Q{last % 4 + 1}"
