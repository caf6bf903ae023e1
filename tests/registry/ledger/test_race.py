"""Two merges of one county at once, and merges that die: one merge writes, the other ends in a clear
state (merged with nothing written and a note naming the first, or failed with the reason), and a
merge whose process is gone does not stay "merging". The concurrent tests need a server database
(PostgreSQL); the sequential ones run on both."""

import datetime
import shutil
import socket
import subprocess
import sys
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from fangpin.core.errors import Conflict, ValidationFailed
from fangpin.core.locks import county_lock, lock_holder
from fangpin.core.models import ChangeLog, Job
from fangpin.core.roles import Role
from fangpin.registry.ledger import services as ledger_services
from fangpin.registry.ledger.models import LedgerImport
from fangpin.registry.ledger.services import (MERGE_LOCK, ledger_imports_list, ledger_merge, ledger_recover,
                                              ledger_stage)
from fangpin.registry.models import Household, Income, Member

from ...factories import make_household, make_user
from .ledgerfiles import household, write_ledger

needs_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent merges need PostgreSQL")
REGISTRY_TYPES = ["registry.household", "registry.member", "registry.income"]


def registry_log():
    return ChangeLog.objects.filter(object_type__in=REGISTRY_TYPES)


def stage_copies(tmp_path, rows, actor, count=2, name="ledger") -> list[LedgerImport]:
    """The same file uploaded `count` times (each upload keeps its own copy, as the web does)."""
    source = write_ledger(tmp_path / f"{name}.csv", rows)
    staged = []
    for n in range(count):
        copy = tmp_path / f"{name}-upload{n}" / "ledger.csv"
        copy.parent.mkdir()
        shutil.copy(source, copy)
        item = ledger_stage(copy, actor=actor)
        assert item.status == LedgerImport.Status.VALIDATED, item.errors
        staged.append(item)
    return staged


def new_rows():
    return household("1001") + household("1002", members=4) + household("1003")


def changed_rows():
    rows = new_rows()
    for row in rows:
        if row["户编号"] in ("1001", "1003"):
            row["工资性收入"] = "30000"
            row["联系电话"] = "13900000000"
    return rows


def run_together(*targets):
    """Start every target at the same moment (a barrier) in its own thread and connection."""
    barrier = threading.Barrier(len(targets))
    outcomes = [None] * len(targets)

    def runner(index, target):
        try:
            barrier.wait(10)
            outcomes[index] = target()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def merge_later(pk, actor):
    return lambda: ledger_merge(LedgerImport.objects.get(pk=pk), actor=actor)


def assert_one_merge_and_a_noop(first, second, *, households_new, households_updated):
    first.refresh_from_db()
    second.refresh_from_db()
    assert {first.status, second.status} == {LedgerImport.Status.MERGED}
    winner, loser = sorted([first, second], key=lambda i: i.merged_at)
    assert (winner.households_new, winner.households_updated) == (households_new, households_updated)
    assert winner.status_reason == ""
    assert (loser.households_new, loser.households_updated, loser.members_new, loser.members_updated) == (0, 0, 0, 0)
    assert loser.households_unchanged == 3
    assert f"#{winner.pk}" in loser.status_reason and "未作任何修改" in loser.status_reason
    # One set of change-log rows, all from the winner's merge.
    assert registry_log().filter(reason__contains=f"#{loser.pk} ").count() == 0
    assert registry_log().filter(reason__contains=f"#{winner.pk} ").values("request_id").distinct().count() == 1
    return winner, loser


# ---------------------------------------------------------------- concurrent (PostgreSQL)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(4))
def test_same_new_households_file_merged_twice_at_once(tmp_path, county_admin, places, attempt):
    first, second = stage_copies(tmp_path, new_rows(), county_admin)
    outcomes = run_together(merge_later(first.pk, county_admin), merge_later(second.pk, county_admin))
    assert all(isinstance(o, LedgerImport) for o in outcomes), outcomes
    assert_one_merge_and_a_noop(first, second, households_new=3, households_updated=0)
    assert (Household.objects.count(), Member.objects.count(), Income.objects.count()) == (3, 8, 3)
    assert registry_log().filter(action=ChangeLog.Action.CREATE).count() == 3 + 8 + 3
    assert registry_log().filter(action=ChangeLog.Action.UPDATE).count() == 0


@needs_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(4))
def test_same_update_file_merged_twice_at_once(tmp_path, county_admin, places, attempt):
    base = ledger_stage(write_ledger(tmp_path / "base.csv", new_rows()), actor=county_admin)
    ledger_merge(base, actor=county_admin)
    logged_before = registry_log().count()
    first, second = stage_copies(tmp_path, changed_rows(), county_admin)
    assert first.households_updated == 2 and first.incomes_updated == 2
    outcomes = run_together(merge_later(first.pk, county_admin), merge_later(second.pk, county_admin))
    assert all(isinstance(o, LedgerImport) for o in outcomes), outcomes
    assert_one_merge_and_a_noop(first, second, households_new=0, households_updated=2)
    # Two households and their two incomes changed once each: four rows, not eight.
    updates = registry_log().filter(action=ChangeLog.Action.UPDATE)
    assert registry_log().count() - logged_before == 4 == updates.count()
    assert sorted(updates.values_list("object_type", flat=True)) == ["registry.household"] * 2 + ["registry.income"] * 2
    assert set(Household.objects.filter(number__in=["1001", "1003"]).values_list("phone", flat=True)) == {
        "13900000000"}
    assert all(h.version == 2 for h in Household.objects.filter(number__in=["1001", "1003"]))


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_people_merge_the_same_file_on_the_web_at_once(tmp_path, county_admin, places):
    from django.test import Client

    officer = make_user(Role.COUNTY_OFFICER, places["county"], "officer_race")
    first, second = stage_copies(tmp_path, new_rows(), county_admin)

    def post(user, pk):
        def target():
            client = Client(raise_request_exception=False)
            client.force_login(user)
            response = client.post(reverse("ledger-merge", args=[pk]), follow=True)
            return response.status_code, response.text
        return target

    outcomes = run_together(post(county_admin, first.pk), post(officer, second.pk))
    assert [status for status, _text in outcomes] == [200, 200], outcomes
    # Both merges were queued; the worker runs them one after the other.
    assert Job.objects.filter(status=Job.Status.QUEUED).count() == 2 and Household.objects.count() == 0
    call_command("worker", "--batch", "--no-startup-delay", verbosity=0)
    texts = " ".join(Job.objects.values_list("summary", flat=True))
    assert "已导入：新增农户3户" in texts and "未作任何修改" in texts
    assert set(Job.objects.values_list("status", flat=True)) == {Job.Status.DONE}
    assert Household.objects.count() == 3


@needs_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_one_import_merged_twice_at_once(tmp_path, county_admin, places, attempt):
    (staged,) = stage_copies(tmp_path, new_rows(), county_admin, count=1)
    outcomes = run_together(merge_later(staged.pk, county_admin), merge_later(staged.pk, county_admin))
    merged = [o for o in outcomes if isinstance(o, LedgerImport)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(merged) == 1 and len(refused) == 1, outcomes
    assert refused[0].code in ("ledger_merging", "ledger_merged")
    staged.refresh_from_db()
    assert staged.status == LedgerImport.Status.MERGED and staged.households_new == 3
    assert registry_log().filter(action=ChangeLog.Action.CREATE).count() == 3 + 8 + 3


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_later_merge_waits_for_the_county_lock_then_plans_again(tmp_path, county_admin, places):
    """A file validated before another merge changed the registry is planned again: here the other
    merge registers the file's people in another household, so the file now fails with the reason."""
    (staged,) = stage_copies(tmp_path, household("1001"), county_admin, count=1)
    (other,) = stage_copies(tmp_path, household("2001", seq=10010), county_admin, count=1, name="other")
    merged_other = threading.Event()

    def merge_other_and_hold_the_lock():
        with transaction.atomic():
            county_lock("510101", MERGE_LOCK)
            ledger_merge(LedgerImport.objects.get(pk=other.pk), actor=county_admin)
            merged_other.set()
            threading.Event().wait(0.5)  # the second merge waits for the lock meanwhile
        return "merged"

    def merge_staged():
        merged_other.wait(10)
        return ledger_merge(LedgerImport.objects.get(pk=staged.pk), actor=county_admin)

    outcomes = run_together(merge_other_and_hold_the_lock, merge_staged)
    assert outcomes[0] == "merged"
    assert isinstance(outcomes[1], ValidationFailed) and outcomes[1].code == "ledger_invalid"
    staged.refresh_from_db()
    assert staged.status == LedgerImport.Status.FAILED and "发生了变化" in staged.status_reason
    assert {e["code"] for e in staged.errors} == {"person_in_other_household"}
    assert list(Household.objects.values_list("number", flat=True)) == ["2001"]


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_interrupted_merge_is_not_ended_while_the_county_lock_is_held(tmp_path, county_admin, places):
    (staged,) = stage_copies(tmp_path, new_rows(), county_admin, count=1)
    LedgerImport.objects.filter(pk=staged.pk).update(
        status=LedgerImport.Status.MERGING, merge_started_at=timezone.now() - datetime.timedelta(hours=1),
        merge_holder="another-host:4242")
    holding, looked = threading.Event(), threading.Event()

    def hold_lock():
        with transaction.atomic():
            county_lock("510101", MERGE_LOCK)
            holding.set()
            looked.wait(10)
        return "held"

    def look():
        holding.wait(10)
        try:
            return ledger_recover(LedgerImport.objects.get(pk=staged.pk), actor=county_admin).status
        finally:
            looked.set()

    outcomes = run_together(hold_lock, look)
    assert outcomes == ["held", LedgerImport.Status.MERGING]
    # Once nobody holds the lock, the next look ends it.
    assert ledger_recover(LedgerImport.objects.get(pk=staged.pk), actor=county_admin).status == "failed"


# ---------------------------------------------------------------- one after the other (both databases)


@pytest.mark.django_db
def test_same_new_households_file_merged_after_the_first(tmp_path, county_admin, places):
    first, second = stage_copies(tmp_path, new_rows(), county_admin)
    ledger_merge(first, actor=county_admin)
    merged = ledger_merge(second, actor=county_admin)
    assert merged.status == LedgerImport.Status.MERGED
    assert_one_merge_and_a_noop(first, second, households_new=3, households_updated=0)
    assert (Household.objects.count(), Member.objects.count()) == (3, 8)
    assert registry_log().count() == 3 + 8 + 3


@pytest.mark.django_db
def test_same_update_file_merged_after_the_first(tmp_path, county_admin, places):
    ledger_merge(ledger_stage(write_ledger(tmp_path / "base.csv", new_rows()), actor=county_admin),
                 actor=county_admin)
    logged_before = registry_log().count()
    first, second = stage_copies(tmp_path, changed_rows(), county_admin)
    ledger_merge(first, actor=county_admin)
    ledger_merge(second, actor=county_admin)
    assert_one_merge_and_a_noop(first, second, households_new=0, households_updated=2)
    assert registry_log().count() - logged_before == 4


@pytest.mark.django_db
def test_noop_merge_says_so_on_the_page_and_in_the_command_line(tmp_path, client, county_admin, places,
                                                                run_jobs):
    first, second = stage_copies(tmp_path, new_rows(), county_admin)
    ledger_merge(first, actor=county_admin)
    client.force_login(county_admin)
    with run_jobs():
        response = client.post(reverse("ledger-merge", args=[second.pk]), follow=True)
    assert response.status_code == 200
    job = Job.objects.get()
    assert f"相同的文件已由导入 #{first.pk}" in job.summary
    assert f"相同的文件已由导入 #{first.pk}" in client.get(reverse("job-detail", args=[job.pk])).text
    assert "未作任何修改" in client.get(reverse("ledger-preview", args=[second.pk])).text


@pytest.mark.django_db
def test_unique_violation_while_writing_ends_the_import_failed(tmp_path, county_admin, places, monkeypatch):
    """Someone outside the ledger merge registers household 1002 between the plan and the write:
    the bulk insert hits the unique key (COPY on PostgreSQL) and the import ends failed, not with a
    crash, and nothing of the file or of the interloper's transaction part is left."""
    (staged,) = stage_copies(tmp_path, new_rows(), county_admin, count=1)
    real_write_plan = ledger_services.write_plan

    def write_after_someone_else(plan, **kwargs):
        make_household(county_admin, places["t1v2"], number="1002", members=1)
        return real_write_plan(plan, **kwargs)

    monkeypatch.setattr(ledger_services, "write_plan", write_after_someone_else)
    with pytest.raises(ValidationFailed) as caught:
        ledger_merge(staged, actor=county_admin)
    assert caught.value.code == "ledger_invalid"
    staged.refresh_from_db()
    assert staged.status == LedgerImport.Status.FAILED and "冲突" in staged.status_reason
    assert [e["code"] for e in staged.errors] == ["merge_conflict"]
    # The database's own words (which can quote the clashing key) stay in the server log.
    assert "UNIQUE" not in staged.errors[0]["reason"] and "duplicate key" not in staged.errors[0]["reason"]
    assert Household.objects.count() == 0 and registry_log().count() == 0



@pytest.mark.django_db
def test_unexpected_error_ends_the_import_failed_without_its_text(tmp_path, county_admin, places, monkeypatch):
    """An error nobody planned for can carry a row in its text (a database message quoting an ID
    number): the import ends failed and names the error's kind only; the text goes to the server log."""
    (staged,) = stage_copies(tmp_path, new_rows(), county_admin, count=1)
    quoted = new_rows()[0]["证件号码"]

    def broken_write(plan, **kwargs):
        raise RuntimeError(f"Key (id_number)=({quoted}) could not be written")

    monkeypatch.setattr(ledger_services, "write_plan", broken_write)
    with pytest.raises(RuntimeError):
        ledger_merge(staged, actor=county_admin)
    staged.refresh_from_db()
    assert staged.status == LedgerImport.Status.FAILED
    assert "RuntimeError" in staged.status_reason and quoted not in staged.status_reason
    assert Household.objects.count() == 0 and registry_log().count() == 0


def dead_pid() -> int:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    return int(finished.stdout)


def killed_mid_merge(staged: LedgerImport, *, holder: str, started_ago=datetime.timedelta(seconds=30)):
    """The state a merge leaves when its process is killed: the start was committed, the merge's
    own transaction rolled back."""
    LedgerImport.objects.filter(pk=staged.pk).update(
        status=LedgerImport.Status.MERGING, merge_started_at=timezone.now() - started_ago, merge_holder=holder)
    staged.refresh_from_db()
    return staged


@pytest.mark.django_db
def test_killed_merge_is_ended_when_asked_not_by_reading_its_page(tmp_path, client, county_admin, places):
    (staged,) = stage_copies(tmp_path, new_rows(), county_admin, count=1)
    killed_mid_merge(staged, holder=f"{socket.gethostname()}:{dead_pid()}")
    client.force_login(county_admin)
    # Reading the page writes nothing: it shows the merge as running and offers the check.
    page = client.get(reverse("ledger-preview", args=[staged.pk]))
    assert page.status_code == 200 and "正在进行" in page.text and reverse("ledger-recover", args=[staged.pk]) in page.text
    assert LedgerImport.objects.get(pk=staged.pk).status == LedgerImport.Status.MERGING
    assert not ChangeLog.objects.exists()
    page = client.post(reverse("ledger-recover", args=[staged.pk]), follow=True)
    assert page.status_code == 200
    assert "导入失败" in page.text and "中断" in page.text
    staged.refresh_from_db()
    assert staged.status == LedgerImport.Status.FAILED and "中断" in staged.status_reason
    entry = ChangeLog.objects.get(object_type="registry.ledgerimport", object_id=staged.pk)
    assert entry.actor == county_admin and entry.reason == "导入中断"
    assert (entry.before["status"], entry.after["status"]) == ("merging", "failed")
    with pytest.raises(ValidationFailed) as caught:
        ledger_merge(staged, actor=county_admin)
    assert caught.value.code == "ledger_not_validated" and "中断" in caught.value.message
    assert Household.objects.count() == 0


@pytest.mark.django_db
def test_killed_merge_is_ended_by_another_merge_or_the_import_list(tmp_path, client, county_admin, places):
    first, second = stage_copies(tmp_path, new_rows(), county_admin)
    killed_mid_merge(first, holder=f"{socket.gethostname()}:{dead_pid()}")
    client.force_login(county_admin)
    assert "导入失败" not in client.get(reverse("ledger-upload")).text  # reading the page writes nothing
    assert LedgerImport.objects.get(pk=first.pk).status == LedgerImport.Status.MERGING
    ledger_imports_list(actor=county_admin)  # the import list (`fangpin imports`) ends it
    assert LedgerImport.objects.get(pk=first.pk).status == LedgerImport.Status.FAILED
    killed_mid_merge(first, holder=f"{socket.gethostname()}:{dead_pid()}")
    with pytest.raises(ValidationFailed):
        ledger_merge(first, actor=county_admin)
    assert LedgerImport.objects.get(pk=first.pk).status == LedgerImport.Status.FAILED
    # The county is free again: the other upload of the file merges.
    assert ledger_merge(second, actor=county_admin).households_new == 3


@pytest.mark.django_db
def test_running_merge_is_left_alone(tmp_path, client, county_admin, places):
    (staged,) = stage_copies(tmp_path, new_rows(), county_admin, count=1)
    killed_mid_merge(staged, holder=lock_holder())  # this process: alive
    client.force_login(county_admin)
    assert "正在进行" in client.get(reverse("ledger-preview", args=[staged.pk])).text
    with pytest.raises(Conflict) as caught:
        ledger_merge(staged, actor=county_admin)
    assert caught.value.code == "ledger_merging"
    # A holder on another host that cannot be checked counts as running for a while after its start...
    killed_mid_merge(staged, holder="another-host:4242", started_ago=datetime.timedelta(minutes=1))
    assert ledger_recover(staged, actor=None).status == LedgerImport.Status.MERGING
    # ...and, with nobody holding the county's lock, as interrupted after that.
    killed_mid_merge(staged, holder="another-host:4242", started_ago=datetime.timedelta(minutes=11))
    assert ledger_recover(staged, actor=None).status == LedgerImport.Status.FAILED
    assert Household.objects.count() == 0


@pytest.mark.django_db
def test_other_areas_user_cannot_look_at_or_end_an_import(tmp_path, client, county_admin, places):
    (staged,) = stage_copies(tmp_path, new_rows(), county_admin, count=1)
    killed_mid_merge(staged, holder=f"{socket.gethostname()}:{dead_pid()}")
    outsider = make_user(Role.COUNTY_OFFICER, places["t2"], "t2_officer")
    client.force_login(outsider)
    assert client.get(reverse("ledger-preview", args=[staged.pk])).status_code == 404
    assert client.post(reverse("ledger-recover", args=[staged.pk])).status_code == 404
    assert LedgerImport.objects.get(pk=staged.pk).status == LedgerImport.Status.MERGING


@pytest.mark.django_db
def test_command_line_says_when_the_file_was_already_merged(tmp_path, places):
    import io

    from django.core.management import call_command

    path = write_ledger(tmp_path / "ledger.csv", new_rows())
    out = io.StringIO()
    call_command("import", "ledger", str(path), stdout=out, stderr=io.StringIO())
    first = LedgerImport.objects.get()
    out = io.StringIO()
    call_command("import", "ledger", str(path), stdout=out, stderr=io.StringIO())
    assert f"相同的文件已由导入 #{first.pk}" in out.getvalue() and "未作任何修改" in out.getvalue()
    assert registry_log().count() == 3 + 8 + 3
