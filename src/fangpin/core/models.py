from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from .errors import MissingPermission
from .masking import PhoneField
from .roles import ROLE_PERMISSIONS, Role
from .scoping import AreaScoped


class User(AbstractUser):
    """A person who signs in. Bound to one place; sees that place and everything under it."""

    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    place = models.ForeignKey(
        "regions.Place", verbose_name=_("所属区划"), on_delete=models.PROTECT, null=True, related_name="users"
    )
    phone = PhoneField(_("联系电话"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    @property
    def display_name(self) -> str:
        return self.first_name or self.username

    @property
    def permissions(self) -> frozenset[str]:
        if not self.is_active or not self.role:
            return frozenset()
        return ROLE_PERMISSIONS.get(self.role, frozenset())

    def has_perm_named(self, perm: str) -> bool:
        return perm in self.permissions

    def require(self, perm: str) -> None:
        if not self.has_perm_named(perm):
            raise MissingPermission(perm)

    @property
    def area_prefix(self) -> str:
        # Place codes are digits, so a user without a place gets a prefix that matches nothing.
        return self.place.scope_prefix if self.place_id else "-"


class ChangeLog(AreaScoped):
    """One row per write: who, when, which request, and the record before and after."""

    class Action(models.TextChoices):
        CREATE = "create", _("新增")
        UPDATE = "update", _("修改")
        END = "end", _("终止")

    time = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)
    source = models.CharField(_("来源"), max_length=32, blank=True, help_text=_("web, api, cli, import"))
    action = models.CharField(_("操作"), max_length=8, choices=Action.choices)
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.BigIntegerField(_("对象编号"))
    object_repr = models.CharField(_("对象"), max_length=200)
    household_id = models.BigIntegerField(_("所属农户"), null=True, db_index=True)
    area_code = models.CharField(_("区划代码"), max_length=15, db_index=True)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    before = models.JSONField(_("修改前"), null=True)
    after = models.JSONField(_("修改后"), null=True)

    area_field = "area_code"

    class Meta:
        verbose_name = _("修改记录")
        verbose_name_plural = _("修改记录")
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def changed_fields(self) -> list[tuple[str, object, object]]:
        before, after = self.before or {}, self.after or {}
        keys = [k for k in (after or before) if before.get(k) != after.get(k)]
        return [(k, before.get(k), after.get(k)) for k in keys]


class AccessLog(AreaScoped):
    """Reads of personal data that must be accountable: unmasking and exports."""

    class Kind(models.TextChoices):
        UNMASK = "unmask", _("查看完整信息")
        EXPORT = "export", _("导出")

    time = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    request_id = models.CharField(max_length=64, blank=True)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    area_code = models.CharField(_("区划代码"), max_length=15, db_index=True)
    target = models.CharField(_("对象"), max_length=200)
    detail = models.JSONField(default=dict)

    area_field = "area_code"

    class Meta:
        verbose_name = _("敏感信息访问记录")
        verbose_name_plural = _("敏感信息访问记录")
        ordering = ["-time", "-id"]


class CountyLock(models.Model):
    """The row a SQLite transaction updates to hold one county's lock for one purpose (ledger merge,
    department feed merge): see `fangpin.core.locks`. PostgreSQL uses advisory locks instead."""

    key = models.CharField(_("锁"), max_length=80, unique=True)
    acquired_at = models.DateTimeField(_("最近加锁时间"), null=True)
    holder = models.CharField(_("持有进程"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("县级锁")
        verbose_name_plural = _("县级锁")

    def __str__(self) -> str:
        return self.key


class StoredFile(models.Model):
    """An uploaded file kept under MEDIA_ROOT (photos, signed forms, evidence): its name as uploaded,
    its size, its type as read from the content when it was checked (`fangpin.core.uploads`), who
    uploaded it and when. Subclasses redeclare `file` with their own `upload_to` and are served only
    through views that check the area, by `fangpin.core.uploads.file_response`."""

    file = models.FileField(_("文件"))
    name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小（字节）"))
    content_type = models.CharField(_("文件类型"), max_length=100, blank=True,
                                    help_text=_("上传时从文件内容识别的类型；下载时按此类型发送"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("上传人"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.name


class HouseholdScoped(AreaScoped):
    """A row that belongs to one household: read and written in the area of the household's place,
    and listed in that household's change log."""

    area_field = "household__place__code"

    class Meta:
        abstract = True

    @property
    def household_ref_id(self):
        return self.household_id


class Job(AreaScoped):
    """A piece of long work run by the background worker (screening, a ledger merge, a large export,
    the monthly list): who asked for it, for which area, how far it has got and how it ended. The
    page of a job shows this row; `fangpin.core.jobs` writes it."""

    class Kind(models.TextChoices):
        SCREENING = "screening", _("系统筛查")
        LEDGER_MERGE = "ledger_merge", _("户成员台账导入")
        LEDGER_EXPORT = "ledger_export", _("户成员台账导出")
        MONTHLY_LIST_BUILD = "monthly_list_build", _("生成月度预警名单")
        MONTHLY_LIST_SEND = "monthly_list_send", _("下发月度预警名单")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("进行中")
        DONE = "done", _("完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("任务"), max_length=32, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    area_code = models.CharField(_("区划代码"), max_length=15, db_index=True)
    params = models.JSONField(_("参数"), default=dict)
    summary = models.CharField(_("结果"), max_length=500, blank=True)
    result = models.JSONField(_("结果数据"), default=dict)
    error_code = models.CharField(_("错误代码"), max_length=64, blank=True)
    error = models.CharField(_("失败原因"), max_length=500, blank=True)
    file_path = models.CharField(_("结果文件"), max_length=500, blank=True)
    file_name = models.CharField(_("文件名"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"), on_delete=models.PROTECT,
                                   related_name="+")
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)
    task_id = models.CharField(_("队列任务编号"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("开始时间"), null=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True)
    # The worker process running the job, and when it last said it was alive: a running job whose
    # process is gone or whose heartbeat stopped was interrupted (`fangpin.core.jobs`).
    worker_host = models.CharField(_("后台进程主机"), max_length=200, blank=True)
    worker_pid = models.PositiveIntegerField(_("后台进程号"), null=True)
    heartbeat_at = models.DateTimeField(_("后台进程最近报告时间"), null=True)

    area_field = "area_code"

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
