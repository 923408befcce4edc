"""Command-line tools: ``flask --app server seed-demo | create-user | jobs … | backup … |
roster …``."""

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from .common.choices import ROLES
from .errors import ValidationFailed
from .extensions import db


def register_cli(app):
    from .jobs.cli import backup_group, jobs_group

    app.cli.add_command(seed_demo)
    app.cli.add_command(create_user)
    app.cli.add_command(jobs_group)
    app.cli.add_command(backup_group)
    app.cli.add_command(sync_group)
    app.cli.add_command(regions_group)
    app.cli.add_command(roster_group)


@click.command("seed-demo")
@click.option("--scale", type=click.Choice(["demo", "county"]), default="demo", show_default=True)
@click.option("--seed", "seed_value", type=int, default=2026, show_default=True,
              help="the same seed gives the same county")
@click.option("--if-empty", is_flag=True, help="do nothing when the database already has regions")
@click.option("--counties", type=click.IntRange(1, 4), default=1, show_default=True,
              help="a prefecture's counties side by side, each of --scale (bench/growth_bench.py)")
def seed_demo(scale, seed_value, if_empty, counties):
    """Load a believable demo county (demo: 6 villages; county: 528 villages, 118,000 people)."""
    from .regions.models import Region
    from .seed.demo import print_logins, seed_county

    if db.session.scalar(select(Region.id).limit(1)) is not None:
        if if_empty:
            click.echo("数据库已有数据，跳过演示数据。")
            print_logins(current_app.config["LIANXIN_DEMO_PASSWORD"])
            return
        raise click.ClickException("数据库不是空的：演示数据只能装入空数据库。")
    summary = seed_county(scale=scale, seed=seed_value, counties=counties)
    click.echo(summary)
    print_logins(current_app.config["LIANXIN_DEMO_PASSWORD"])


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(list(ROLES)), required=True)
@click.option("--region", "region_code", required=True,
              help="region code, e.g. 510822101201 (a county: 510822 or 510822000000)")
@click.option("--name", "display_name", default=None)
def create_user(username, role, region_code, display_name):
    """Create a user; the password is read from stdin or prompted for."""
    from .regions.importing import find_region
    from .users.operations import create_user as create

    region = find_region(region_code)
    if region is None:
        raise click.ClickException(f"地区代码不存在：{region_code}")
    if sys.stdin.isatty():
        password = click.prompt("密码", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        user = create(username=username, password=password, role=role,
                      region_id=region.id, display_name=display_name)
    except ValidationFailed as exc:
        raise click.ClickException("；".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())) from exc
    db.session.commit()
    click.echo(f"已创建用户 {user.username}（{ROLES[role]}，{region.name}）")


@click.group("sync")
def sync_group():
    """离线同步维护 / sync maintenance."""


@sync_group.command("rebuild-wire")
def rebuild_wire():
    """补全同步日志中预存的记录（升级后运行一次）/ fill the change log's stored wire text."""
    from .sync.rebuild import rebuild_wire as rebuild

    written = rebuild()
    if written and db.engine.dialect.name == "postgresql":
        # the rewritten rows leave dead versions behind: clean up and refresh statistics
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE sync_change")
    click.echo(f"已补全 {written:,} 条同步记录 / {written:,} change rows written")


regions_group = AppGroup("regions", help="区划 / the county's townships and villages.")


@regions_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="只检查，不改动 / check only")
def import_regions(path, dry_run):
    """导入统计用区划代码表（.xlsx/.csv）/ import townships and villages.

    Exit status 0 when every row was good, 1 when some rows were refused (the others
    applied unless --dry-run), 2 when the file cannot be read."""
    from pathlib import Path

    from .regions.importing import import_regions as run

    try:
        outcome = run(Path(path).read_bytes(), Path(path).name, None, dry_run=dry_run)
    except ValidationFailed as exc:
        click.echo("；".join(" ".join(v) for v in exc.errors.values()), err=True)
        sys.exit(2)
    if not dry_run:
        db.session.commit()
    for error in outcome.errors:
        click.echo(f"第 {error['row']} 行 {error['column']}：{error['message']}", err=True)
    verb = "试导入（未改动）" if dry_run else "已导入"
    click.echo(f"{verb}：新建 {outcome.created}，更名 {outcome.renamed}，"
               f"未变 {outcome.unchanged}，有错 {len({e['row'] for e in outcome.errors})} 行")
    sys.exit(1 if outcome.errors else 0)
@click.group("roster")
def roster_group():
    """优抚对象花名册：导入与模板 / the roster of entitled persons."""


@roster_group.command("template")
@click.argument("out", type=click.Path(dir_okay=False))
def roster_template(out):
    """Write the roster template (.xlsx) to OUT."""
    from .roster.template import write_template

    write_template(out)
    click.echo(f"已写出花名册模板：{out}")


EXIT_OK, EXIT_REFUSED, EXIT_UNREADABLE = 0, 1, 2


def _roster_summary(created=0, updated=0, unchanged=0, errors=()):
    return {"created": created, "updated": updated, "unchanged": unchanged,
            "errors": list(errors)}


def _roster_end(summary, as_json, status):
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
    sys.exit(status)


@roster_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="check only: change nothing")
@click.option("--json", "as_json", is_flag=True,
              help='the last line printed: {"created", "updated", "unchanged", "errors"}')
def roster_import(file, dry_run, as_json):
    """Import the roster in FILE (.xlsx/.xls/.csv) as the system: exit 0 when no row had
    an error, 1 when some rows were refused (the others imported unless --dry-run),
    2 when the file cannot be read."""
    from .roster import operations, runner

    path = Path(file)
    try:
        with path.open("rb") as stream:
            job = operations.start_import(stream, path.name, dry_run, None)
    except (OSError, ValidationFailed) as error:
        message = ("；".join(error.errors.get("file", [])) if isinstance(error, ValidationFailed)
                   else f"无法打开文件：{path}")
        db.session.rollback()
        click.echo(f"无法读取：{message}", err=True)
        _roster_end(_roster_summary(errors=[{"row": None, "column": None, "message": message}]),
                    as_json, EXIT_UNREADABLE)
    db.session.commit()
    result = runner.run_committing(current_app._get_current_object(), job.id)
    db.session.refresh(job)
    if result is None or job.status != "done":
        message = job.error or operations.FAILED
        click.echo(f"无法读取：{message}", err=True)
        _roster_end(_roster_summary(errors=[{"row": None, "column": None, "message": message}]),
                    as_json, EXIT_UNREADABLE)
    summary = result.summary()
    verb = "检查（未改动数据）" if dry_run else "导入"
    click.echo(f"{verb}完成：共 {job.rows_total:,} 行；新增 {job.created:,}，更新 {job.updated:,}，"
               f"未变 {job.unchanged:,}，有问题 {job.refused:,} 行")
    for error in summary["errors"][:50]:
        click.echo(f"  第{error['row']}行 {error['column']}：{error['message']}")
    if len(summary["errors"]) > 50:
        click.echo(f"  ……共 {len(summary['errors']):,} 个问题")
    if job.has_report:
        click.echo(f"错误报告：{operations.report_path(job)}")
    _roster_end(summary, as_json, EXIT_REFUSED if summary["errors"] else EXIT_OK)
