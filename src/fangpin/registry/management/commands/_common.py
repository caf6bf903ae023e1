"""Shared by the import and export commands: who acts, progress bars, error listing."""

from contextlib import contextmanager

from django.core.management.base import CommandError

from fangpin.core.context import source_var
from fangpin.core.models import User

STAGE_LABELS = {"read": "读取文件 / reading", "merge": "写入登记系统 / merging", "export": "导出 / exporting"}


def find_actor(username: str | None):
    """The user named by --as, or None: the command-line system context (full access, documented
    in docs/ledger-format.md)."""
    if not username:
        return None
    user = User.objects.filter(username=username).select_related("place").first()
    if user is None:
        raise CommandError(f"用户 {username} 不存在 / no user named {username}")
    if not user.is_active:
        raise CommandError(f"用户 {username} 已停用 / user {username} is inactive")
    return user


@contextmanager
def progress_bar():
    """A rich progress bar on stderr; yields the callback the services call (stage, done, total)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    tasks = {}
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True, disable=not console.is_terminal) as progress:
        def report(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(STAGE_LABELS.get(stage, stage), total=total)
            progress.update(tasks[stage], completed=done, total=total)

        token = source_var.set("cli")
        try:
            yield report
        finally:
            source_var.reset(token)


def print_errors(stdout, errors: list[dict]) -> None:
    for error in errors:
        row = f"第{error['row']}行" if error.get("row") else "文件"
        value = f"“{error['value']}”" if error.get("value") not in (None, "") else ""
        stdout.write(f"  {row} {error.get('column') or ''} {value}：{error['reason']}")
