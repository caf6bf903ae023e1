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
    VIEW_ACCESS_LOG = "core.view_access_log", _("查看敏感信息访问记录")
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
    VIEW_CASES = "cases.view", _("查看识别认定和风险消除案件")
    OPEN_CASE = "cases.open", _("发起识别认定或风险消除")
    VERIFY_HOUSEHOLD = "cases.verify", _("入户核实")
    COMPARE_DATA = "cases.compare_data", _("信息比对")
    VILLAGE_REVIEW = "cases.village_review", _("村民主评议")
    PUBLISH_NOTICE = "cases.publish_notice", _("发布公示、登记异议")
    TOWNSHIP_REVIEW = "cases.township_review", _("乡镇审核")
    COUNTY_CONFIRM = "cases.county_confirm", _("县级审定")
    ANNOUNCE = "cases.announce", _("发布公告")
    MANAGE_PROCEDURE = "cases.manage_procedure", _("配置办理流程、时限和节假日")
    VIEW_ASSISTANCE = "assistance.view", _("查看帮扶措施和帮扶资源")
    MANAGE_MEASURES = "assistance.manage_measures", _("制定和更新帮扶措施")
    MANAGE_CATALOGUE = "assistance.manage_catalogue", _("维护帮扶措施目录")
    MANAGE_REGISTERS = "assistance.manage_registers", _("维护帮扶资源台账")
    MANAGE_POLICY = "core.manage_policy", _("制定消除标准、线索受理时限和台账限额")


_READ = {Perm.VIEW_REGISTRY, Perm.VIEW_CHANGE_LOG, Perm.VIEW_DATA_QUALITY, Perm.VIEW_LEADS, Perm.VIEW_CASES,
         Perm.VIEW_ASSISTANCE}
_FIELD = _READ | {Perm.EDIT_REGISTRY, Perm.UNMASK_PHONE, Perm.RAISE_LEAD, Perm.RECORD_VISIT, Perm.VERIFY_HOUSEHOLD}
_CADRES = {Perm.OPEN_CASE, Perm.PUBLISH_NOTICE, Perm.MANAGE_MEASURES, Perm.MANAGE_REGISTERS}
_COUNTY = {Perm.HANDLE_LEADS, Perm.RUN_SCREENING, Perm.SEND_MONTHLY_LIST, Perm.COMPARE_DATA, Perm.COUNTY_CONFIRM,
           Perm.ANNOUNCE}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.COUNTY_ADMIN: frozenset(Perm.values),
    Role.COUNTY_OFFICER: frozenset(
        _FIELD | _CADRES | _COUNTY | {Perm.IMPORT_LEDGER, Perm.EXPORT_LEDGER, Perm.UNMASK_ID_NUMBER}
    ),
    Role.TOWNSHIP_OFFICER: frozenset(_FIELD | _CADRES | {Perm.EXPORT_LEDGER, Perm.UNMASK_ID_NUMBER, Perm.HANDLE_LEADS,
                                                         Perm.COMPARE_DATA, Perm.TOWNSHIP_REVIEW}),
    Role.VILLAGE_CADRE: frozenset(_FIELD | _CADRES | {Perm.UNMASK_ID_NUMBER, Perm.VILLAGE_REVIEW}),
    Role.HELPER: frozenset(_FIELD | {Perm.MANAGE_MEASURES}),
    Role.GRID_WORKER: frozenset(_FIELD),
    Role.DEPARTMENT_CLERK: frozenset({Perm.VIEW_REGISTRY, Perm.RAISE_LEAD}),
    Role.INSURER: frozenset({Perm.VIEW_REGISTRY}),
    Role.AUDITOR: frozenset(_READ | {Perm.VIEW_ACCESS_LOG}),
}
