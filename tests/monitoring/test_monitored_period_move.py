"""The monitored period moved from `cases` to `monitoring` without moving data: the table, its rows and the
foreign keys to it stay; the change log and the content type follow the model's new label."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from fangpin.cases.models import Case, ProcedureConfig
from fangpin.core.models import ChangeLog
from fangpin.core.roles import Role
from fangpin.monitoring.models import Monitoring

from ..factories import make_household, make_user

BEFORE_THE_MOVE = [("monitoring", "0002_alter_lead_status"), ("cases", "0003_attachment_content_type"),
                   ("assistance", "0002_measureevidence_content_type")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def test_the_model_keeps_the_table_it_had_in_cases():
    assert Monitoring._meta.db_table == "cases_monitoring"
    assert Monitoring._meta.label_lower == "monitoring.monitoring"
    assert Case._meta.get_field("monitoring").related_model is Monitoring


@pytest.mark.django_db(transaction=True)
def test_rows_change_log_and_content_type_survive_the_move_both_ways(places):
    admin = make_user(Role.COUNTY_ADMIN, places["county"], "county_admin")
    household = make_household(admin, places["t1v1"], members=1)
    procedure = ProcedureConfig.objects.create(
        county=places["county"], kind="identification", version=1, effective_from=datetime.date(2020, 1, 1),
        stages=[], total_limit_days=15, notice_days=5, objection_phone="0000-1234567", created_by=admin)
    today = datetime.date(2026, 3, 2)
    case = Case.objects.create(household=household, kind="identification", number="SB00000001",
                               status="confirmed", procedure=procedure, stages=[], stage_started_on=today,
                               stage_due_on=today, due_on=today, opened_by=admin, category="marginal")
    period = Monitoring.objects.create(household=household, category="marginal", risk_types=["illness"],
                                       identified_on=today, identification_case=case)
    entry = ChangeLog.objects.create(action="create", object_type="monitoring.monitoring", object_id=period.pk,
                                     object_repr=str(period), area_code=household.place.code)
    ContentType.objects.get_for_model(Monitoring)
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()

    old = migrate(BEFORE_THE_MOVE)
    old_period = old.get_model("cases", "Monitoring").objects.get(pk=period.pk)
    assert old_period.identification_case_id == case.pk and old_period.risk_types == ["illness"]
    assert ChangeLog.objects.get(pk=entry.pk).object_type == "cases.monitoring"
    assert ContentType.objects.filter(app_label="cases", model="monitoring").exists()

    migrate(leaves)
    ContentType.objects.clear_cache()
    assert Monitoring.objects.get(pk=period.pk).identification_case == case
    assert Case.objects.get(pk=case.pk).monitoring_opened == period
    assert ChangeLog.objects.get(pk=entry.pk).object_type == "monitoring.monitoring"
    assert not ContentType.objects.filter(app_label="cases", model="monitoring").exists()
    assert ContentType.objects.get_for_model(Monitoring).app_label == "monitoring"
