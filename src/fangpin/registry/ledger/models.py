from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fangpin.core.scoping import AreaScoped

__all__ = ["LedgerImport"]


class LedgerImport(AreaScoped):
    """One uploaded ledger file on its way through upload → validation → merge.

    The file itself is the staged data: validation reads it, records every error and what a merge
    would change; the merge reads it again inside its transaction and checks it against the registry
    as it is then, so that nothing half-checked is ever written."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("已上传")
        VALIDATED = "validated", _("校验通过")
        INVALID = "invalid", _("有错误")
        MERGING = "merging", _("正在导入")
        MERGED = "merged", _("已导入")
        FAILED = "failed", _("导入失败")

    file_path = models.CharField(_("文件"), max_length=500)
    original_name = models.CharField(_("文件名"), max_length=200)
    file_sha256 = models.CharField(_("文件校验值"), max_length=64, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("导入人"), on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    area_code = models.CharField(_("区划代码"), max_length=15, blank=True, db_index=True,
                                 help_text=_("上传人所属区划；命令行导入为文件所在县"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.UPLOADED)
    rows = models.PositiveIntegerField(_("数据行数"), default=0)
    households_new = models.PositiveIntegerField(_("新增农户"), default=0)
    households_updated = models.PositiveIntegerField(_("更新农户"), default=0)
    households_unchanged = models.PositiveIntegerField(_("未变农户"), default=0)
    members_new = models.PositiveIntegerField(_("新增成员"), default=0)
    members_updated = models.PositiveIntegerField(_("更新成员"), default=0)
    members_unchanged = models.PositiveIntegerField(_("未变成员"), default=0)
    members_missing = models.PositiveIntegerField(_("系统中有、文件中无的成员"), default=0)
    incomes_new = models.PositiveIntegerField(_("新增收支"), default=0)
    incomes_updated = models.PositiveIntegerField(_("更新收支"), default=0)
    incomes_unchanged = models.PositiveIntegerField(_("未变收支"), default=0)
    county_codes = models.JSONField(_("涉及的县"), default=list, blank=True,
                                    help_text=_("校验时文件中农户所在县的6位代码；导入时按县加锁"))
    status_reason = models.CharField(_("状态说明"), max_length=500, blank=True,
                                     help_text=_("导入失败的原因，或导入未作修改的说明"))
    merge_started_at = models.DateTimeField(_("开始导入时间"), null=True, blank=True)
    merge_holder = models.CharField(_("导入进程"), max_length=200, blank=True, help_text=_("主机名:进程号"))
    errors = models.JSONField(_("错误"), default=list, blank=True)
    warnings = models.JSONField(_("提示"), default=list, blank=True)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    validated_at = models.DateTimeField(_("校验时间"), null=True, blank=True)
    merged_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    area_field = "area_code"

    class Meta:
        verbose_name = _("台账导入")
        verbose_name_plural = _("台账导入")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.original_name} #{self.pk}"

    @property
    def can_merge(self) -> bool:
        return self.status == self.Status.VALIDATED

    @property
    def error_count(self) -> int:
        return len(self.errors or [])
