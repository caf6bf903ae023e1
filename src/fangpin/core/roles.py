"""Roles and the named permissions each one holds.

A role is what a person does in the county; a permission is one thing the system lets them do.
Views, API actions and services check permissions by name, never roles.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COUNTY_ADMIN = "county_admin", _("县级管理员")
    COUNTY_OFFICER = "county_officer", _("县级工作人员")
    TOWNSHIP_OFFICER = "township_officer", _("乡镇工作人员")
    VILLAGE_CADRE = "village_cadre", _("村干部")
    HELPER = "helper", _("帮扶责任人")
    GRID_WORKER = "grid_worker", _("网格员")
    DEPARTMENT_CLERK = "department_clerk", _("部门数据专员")
    INSURER = "insurer", _("保险机构")
    AUDITOR = "auditor", _("审计（只读）")


class Perm(models.TextChoices):
    VIEW_REGISTRY = "registry.view", _("查看农户档案")
    EDIT_REGISTRY = "registry.edit", _("编辑农户档案")
    IMPORT_LEDGER = "registry.import", _("导入户成员台账")
    EXPORT_LEDGER = "registry.export", _("导出户成员台账")
    UNMASK_ID_NUMBER = "personal.unmask_id", _("查看完整身份证号")
    UNMASK_PHONE = "personal.unmask_phone", _("查看完整电话号码")
    VIEW_CHANGE_LOG = "core.view_change_log", _("查看修改记录")
    MANAGE_PLACES = "regions.manage", _("管理行政区划")
    MANAGE_USERS = "core.manage_users", _("管理用户")
    VIEW_DATA_QUALITY = "registry.data_quality", _("查看数据质量清单")
    VIEW_LEADS = "monitoring.view_leads", _("查看风险线索")
    RAISE_LEAD = "monitoring.raise_lead", _("登记风险线索")
    HANDLE_LEADS = "monitoring.handle_leads", _("受理、合并或排除风险线索")
    RECORD_VISIT = "monitoring.record_visit", _("填报走访监测卡")
    RUN_SCREENING = "monitoring.run_screening", _("执行系统筛查")
    MANAGE_THRESHOLDS = "monitoring.manage_thresholds", _("制定监测标准和预警线")
    SEND_MONTHLY_LIST = "monitoring.send_monthly_list", _("下发月度预警名单")


_READ = {Perm.VIEW_REGISTRY, Perm.VIEW_CHANGE_LOG, Perm.VIEW_DATA_QUALITY, Perm.VIEW_LEADS}
_FIELD = _READ | {Perm.EDIT_REGISTRY, Perm.UNMASK_PHONE, Perm.RAISE_LEAD, Perm.RECORD_VISIT}
_COUNTY = {Perm.HANDLE_LEADS, Perm.RUN_SCREENING, Perm.SEND_MONTHLY_LIST}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.COUNTY_ADMIN: frozenset(Perm.values),
    Role.COUNTY_OFFICER: frozenset(
        _FIELD | _COUNTY | {Perm.IMPORT_LEDGER, Perm.EXPORT_LEDGER, Perm.UNMASK_ID_NUMBER}
    ),
    Role.TOWNSHIP_OFFICER: frozenset(_FIELD | {Perm.EXPORT_LEDGER, Perm.UNMASK_ID_NUMBER, Perm.HANDLE_LEADS}),
    Role.VILLAGE_CADRE: frozenset(_FIELD | {Perm.UNMASK_ID_NUMBER}),
    Role.HELPER: frozenset(_FIELD),
    Role.GRID_WORKER: frozenset(_FIELD),
    Role.DEPARTMENT_CLERK: frozenset({Perm.VIEW_REGISTRY, Perm.RAISE_LEAD}),
    Role.INSURER: frozenset({Perm.VIEW_REGISTRY}),
    Role.AUDITOR: frozenset(_READ),
}
