import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

from fangpin.core.auth import DEMO_PASSWORD
from fangpin.core.models import ChangeLog
from fangpin.demo.assistance import seed_registers
from fangpin.demo.cases import simulate_cases
from fangpin.demo.generator import generate_county
from fangpin.demo.monitoring import adopt_default_thresholds, draft_monthly_list, simulate_months
from fangpin.demo.users import create_demo_users


class Command(BaseCommand):
    help = "生成（或重建）演示县并启动服务 / Build (or rebuild) the demo county and serve it."

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=3000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--no-serve", action="store_true", help="exit after building")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, households, seed, no_serve, port, **options):
        if households < 1:
            self.stderr.write("--households 必须大于0 / must be at least 1")
            raise SystemExit(2)
        self._reset_database()
        started = time.monotonic()
        county = generate_county(households=households, seed=seed, progress=True)
        logins = create_demo_users(county)
        built = ChangeLog.objects.filter(source="demo", object_type="regions.place", object_id=county.pk).latest("id").after
        self.stdout.write(self.style.SUCCESS(
            f"演示县“{county.name}”已生成：{built['townships']}个乡镇、{built['villages']}个村、"
            f"{built['households']:,}户{built['members']:,}人、{built['income_rows']:,}条年度收支"
            f"（{built['income_years'][0]}-{built['income_years'][-1]}年），用时 {time.monotonic() - started:.1f} 秒"
            f" / demo county built in {settings.DATA_DIR}"))
        planted = "，".join(f"{o['label']} {o['count']}户" for o in built["oddities"].values() if o["count"])
        if planted:
            self.stdout.write(f"故意埋设的数据问题（供数据质量核查）：{planted}")
        self.stdout.write(
            f"演示账号共用一个公开的密码 {DEMO_PASSWORD}，仅供试用；这个密码只能登录演示库，正式账号不能使用它"
            f" / all demo logins share one published password, {DEMO_PASSWORD}: for trying the system only;"
            f" it signs in to a demo database only and no real account may use it:")
        for login in logins:
            self.stdout.write(f"  {login.username:<22} {login.role_label:<10} {login.place_name}")
        standard = adopt_default_thresholds(county)
        self.stdout.write(f"监测标准：第{standard.version}版，监测线{standard.monitoring_line}元，"
                          f"{standard.effective_from:%Y-%m-%d}起生效")
        for month in simulate_months(county, seed):
            shocks = month["shocks"]
            disaster = shocks["disaster"]
            self.stdout.write(
                f"{month['period']} 冲击：大病{shocks['illness']['households']}户、失业{shocks['job_loss']['households']}户、"
                f"受灾{disaster['households']}户{'（' + disaster['township'] + '）' if disaster['township'] else ''}、"
                f"辍学{shocks['dropout']['households']}人；"
                f"系统筛查新增线索{month['leads']['new']}条、并入已有线索{month['leads']['merged']}条")
        lists = draft_monthly_list(county)
        self.stdout.write(f"本月预警名单已生成（待县里下发）：{len(lists.lists)}个乡镇，共{lists.lines}户")
        demo_cases = simulate_cases(county)
        self.stdout.write(f"识别认定演示案件{len(demo_cases.cases)}件（cadre 所在村）："
                          + "，".join(f"{label} {n}" for label, n in demo_cases.by_outcome.items())
                          + f"；帮扶措施{demo_cases.measures}项"
                          + ("；其中1户已满足风险消除条件" if demo_cases.ready_to_eliminate else ""))
        registers = seed_registers(county)
        if registers.workshop_employees:
            self.stdout.write(f"帮扶资源台账（cadre 所在村）：扶贫车间务工{registers.workshop_employees}人、"
                              f"公益岗位{registers.welfare_posts}个、培训学员{registers.trainees}人、"
                              f"小额信贷{registers.loans}笔、项目超市选择{registers.project_choices}户、"
                              f"企业结对{registers.pairings}户")
        else:
            self.stdout.write("帮扶资源台账：演示村劳动力太少（县太小），未生成演示台账")
        if not no_serve:
            call_command("serve", port=port)

    def _reset_database(self):
        if connection.vendor == "sqlite":
            connection.close()
            db_file = settings.DATABASES["default"]["NAME"]
            from pathlib import Path

            for suffix in ("", "-wal", "-shm"):
                Path(f"{db_file}{suffix}").unlink(missing_ok=True)
            call_command("migrate", interactive=False, verbosity=0)
        else:
            call_command("migrate", interactive=False, verbosity=0)
            call_command("flush", interactive=False, verbosity=0)
