"""`fangpin import places FILE` and `fangpin import ledger FILE [--as USERNAME] [--check]`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from fangpin.core.errors import ServiceError, ValidationFailed
from fangpin.core.tabular import write_error_sheet
from fangpin.regions.services import places_import
from fangpin.registry.ledger.models import LedgerImport
from fangpin.registry.ledger.services import error_sheet_path, ledger_merge, ledger_stage

from ._common import find_actor, print_errors, progress_bar


class Command(BaseCommand):
    help = ("导入区划或户成员台账；有错误时列出全部错误、写出错误清单（<文件名>.errors.xlsx）并以状态1退出，"
            "不写入任何数据 / Import places or a household ledger; on any error list them all, write "
            "<name>.errors.xlsx, exit 1 and write nothing.")

    def add_arguments(self, parser):
        kinds = parser.add_subparsers(dest="kind", required=True, metavar="{places,ledger}")
        places = kinds.add_parser("places", help="行政区划文件 / places file (代码,名称,级别,上级代码)")
        places.add_argument("file")
        places.add_argument("--as", dest="username", help="以该用户身份导入 / act as this user")
        ledger = kinds.add_parser("ledger", help="户成员台账 / household ledger (.xlsx or .csv)")
        ledger.add_argument("file")
        ledger.add_argument("--as", dest="username",
                            help="以该用户身份导入（默认：命令行系统身份，不受辖区限制）/ act as this user "
                                 "(default: the command-line system context, all areas)")
        ledger.add_argument("--check", action="store_true", help="只校验不导入 / validate only, merge nothing")

    def handle(self, *args, kind, file, username=None, check=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在 / no such file: {file}")
        actor = find_actor(username)
        try:
            if kind == "places":
                self._places(path, actor)
            else:
                self._ledger(path, actor, check)
        except ValidationFailed as exc:
            self._refuse(path, exc.message, exc.details)
        except ServiceError as exc:
            raise CommandError(exc.message) from None

    def _places(self, path: Path, actor) -> None:
        result = places_import(path, actor=actor)
        self.stdout.write(self.style.SUCCESS(
            f"区划已导入 / places imported: 新增 {result.created}，更名 {result.updated}，未变 {result.unchanged}"))

    def _ledger(self, path: Path, actor, check: bool) -> None:
        with progress_bar() as progress:
            staged = ledger_stage(path, actor=actor, progress=progress, keep_for_merge=not check)
            self._summary(staged)
            if staged.status == LedgerImport.Status.INVALID:
                self._refuse(path, f"文件有 {staged.error_count} 处错误，未导入任何数据 / "
                                   f"{staged.error_count} errors, nothing merged", staged.errors)
            if check:
                self.stdout.write(self.style.SUCCESS("校验通过（--check：未导入）/ valid (--check: nothing merged)"))
                return
            merged = ledger_merge(staged, actor=actor, progress=progress)
        if merged.status_reason:  # nothing written: the registry already had the whole file
            self.stdout.write(self.style.SUCCESS(f"导入 #{merged.pk}：{merged.status_reason}"))
            return
        self.stdout.write(self.style.SUCCESS(
            f"已导入 / merged (导入编号 #{merged.pk})：农户新增 {merged.households_new}、更新 {merged.households_updated}、"
            f"未变 {merged.households_unchanged}；成员新增 {merged.members_new}、更新 {merged.members_updated}"))

    def _summary(self, staged: LedgerImport) -> None:
        self.stdout.write(
            f"{staged.original_name}: {staged.rows} 行 / rows；农户 新增 {staged.households_new} 更新 "
            f"{staged.households_updated} 未变 {staged.households_unchanged}；成员 新增 {staged.members_new} 更新 "
            f"{staged.members_updated} 未变 {staged.members_unchanged}；收支 新增 {staged.incomes_new} 更新 "
            f"{staged.incomes_updated}")
        if staged.warnings:
            self.stdout.write(f"提示 / warnings ({len(staged.warnings)}):")
            print_errors(self.stdout, staged.warnings)

    def _refuse(self, path: Path, message: str, errors: list[dict]) -> None:
        errors = errors or [{"row": None, "column": "", "value": "", "reason": message}]
        self.stdout.write(f"错误 / errors ({len(errors)}):")
        print_errors(self.stdout, errors)
        sheet = write_error_sheet(errors, error_sheet_path(path))
        self.stderr.write(f"错误清单 / error sheet: {sheet}")
        raise CommandError(message, returncode=1)
