"""The campaign-bot command: a thin layer that opens the app and calls one library function per command.

The only place that imports click. The library raises bot.errors.UserError (a Chinese message and an exit code);
the command group turns it into click's error message and exit status."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sys
from pathlib import Path

import click

from bot.clock import Clock, parse_moment
from bot.config import Settings, load_settings
from bot.errors import UserError

logger = logging.getLogger(__name__)


def with_config(func):
    """Adds --config to a command and passes the loaded Settings as `settings`."""

    @click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
                  help="配置文件（TOML）。不给则用内置默认值：数据在 ./data 下。")
    @functools.wraps(func)
    def wrapper(*args, config_path=None, **kwargs):
        return func(*args, settings=load_settings(config_path), **kwargs)

    return wrapper


def now_option(func):
    """Adds --now ISO-TIME (local time unless it carries an offset) and passes a Clock as `clock`."""

    @click.option("--now", "now_text", default=None, metavar="ISO-TIME",
                  help="让机器人的时钟从这个时刻开始走，例如 2010-05-12T09:00（北京时间）。")
    @functools.wraps(func)
    def wrapper(*args, now_text=None, settings: Settings, **kwargs):
        try:
            clock = Clock(parse_moment(now_text, settings.timezone)) if now_text else Clock()
        except ValueError:
            raise click.BadParameter(f"“{now_text}”不是 ISO 时间，例如 2010-05-12T09:00", param_hint="--now") from None
        return func(*args, settings=settings, clock=clock, **kwargs)

    return wrapper


def open_app(settings: Settings, clock: Clock | None = None):
    """Opens the bot's database and campaign, with the handler table (this is where the program is put together)."""
    from bot.app import BotApp
    from handlers import ROUTES

    return BotApp.create(settings, clock, routes=ROUTES)


class UserFailure(click.ClickException):
    """A UserError as click reports it: the Chinese message on standard error, the error's exit code."""

    def __init__(self, error: UserError):
        super().__init__(error.message)
        self.exit_code = error.exit_code


@contextlib.contextmanager
def user_errors():
    """Turns a UserError raised inside the block into click's error message and exit code."""
    try:
        yield
    except UserError as exc:
        raise UserFailure(exc) from None


class CampaignBotGroup(click.Group):
    """The command group: every command's UserError becomes a message and an exit code, never a traceback."""

    def invoke(self, ctx: click.Context):
        with user_errors():
            return super().invoke(ctx)


@click.group(cls=CampaignBotGroup)
@click.version_option(package_name="campaign-bot")
@click.option("-v", "--verbose", is_flag=True, help="在标准错误输出上打印日志。")
def cli(verbose: bool) -> None:
    """创先争优活动助手：干部问活动、查联系户、拍照上报走访，按期提醒。"""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@cli.command()
@click.option("--as", "cadre_id", default=None, metavar="干部编号", help="以这名干部的身份试用（不会留下绑定，不计入报表和提醒）；不给则是未绑定的访客。")
@with_config
@now_option
def chat(cadre_id, settings, clock):
    """在终端里和机器人对话，逐行读标准输入直到结束（可用管道）。

    \b
    例：campaign-bot chat --as G001 --now 2010-05-12T09:00
        echo 我的联系户 | campaign-bot chat --as G001
    """
    from bot.channels.console import CONSOLE_HELP, VISITOR_CHAT, act_as, run_chat

    app = open_app(settings, clock)
    chat_id = act_as(app, cadre_id) if cadre_id else VISITOR_CHAT
    interactive = sys.stdin.isatty()
    if interactive:
        click.echo(CONSOLE_HELP)
        click.echo("> ", nl=False)
    asyncio.run(run_chat(app, chat_id, sys.stdin, sys.stdout, prompt=interactive))


@cli.command()
@click.argument("text", required=False)
@click.option("--as", "cadre_id", default=None, metavar="干部编号", help="以这名干部的身份提问（不会留下绑定）。")
@click.option("--batch", "batch_file", type=click.File("r", encoding="utf-8"), default=None,
              help="逐行回答文件中的问题，每行输出一个 JSON 对象。")
@with_config
@now_option
def ask(text, cadre_id, batch_file, settings, clock):
    """回答一个问题后退出；或用 --batch 逐行回答一个文件里的问题。

    \b
    例：campaign-bot ask "现在是哪个阶段" --now 2010-05-12T09:00
        campaign-bot ask --batch questions.txt --as G001
    """
    from bot.ask_batch import answer_batch, answer_one

    if (text is None) == (batch_file is None):
        raise click.UsageError("请给出一个问题，或用 --batch 给出问题文件（二者选一）。")
    app = open_app(settings, clock)
    if batch_file is not None:
        answer_batch(app, batch_file, sys.stdout, cadre_id)
    else:
        click.echo(answer_one(app, text, cadre_id))


@cli.command("import")
@click.argument("path", type=click.Path(exists=True))
@click.option("--dry-run", is_flag=True, help="只检查，不写入数据库。")
@click.option("--prune-pairings", is_flag=True,
              help="纠正结对时用：本文件列出的联系方在数据库里、但“结对”表已没有的结对，一并删除。")
@with_config
@now_option
def import_(path, dry_run, prune_pairings, settings, clock):
    """导入花名册：一个 .xlsx 工作簿，或一个装有 单位/干部/农户/结对 .csv 文件的文件夹。

    有任何一行出错就报告全部错误，什么都不导入。重复导入同一文件不改变任何数据。
    先读完并检查整个文件，再分小批写入，机器人运行时也可导入；导入中途被打断的，重新导入同一文件即可补全。

    \b
    例：campaign-bot import 花名册.xlsx --dry-run
        campaign-bot import roster/ --config config.toml
        campaign-bot import 改正后的花名册.xlsx --prune-pairings
        campaign-bot import 花名册.xlsx --now 2010-05-03T09:00   （演练：新结对从这一天算起）
    """
    from bot.roster import RosterError, import_roster, unfinished_notice

    app = open_app(settings, clock)
    if not dry_run and (notice := unfinished_notice(app.db)):
        click.echo(notice, err=True)
    try:
        report = import_roster(app.db, Path(path), dry_run=dry_run, progress=_progress_printer(),
                               prune_pairings=prune_pairings, now=app.clock.now())
    except RosterError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(report.summary())


def _progress_printer():
    if not sys.stderr.isatty():
        return None
    # done/total counts each row twice (checked, then written), so a percentage is what means something
    return lambda done, total: click.echo(f"\r导入进度 {done * 100 // total}%", nl=done >= total, err=True)


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False))
@with_config
def template(path, settings):
    """写一个空白花名册工作簿（.xlsx）：四张表的表头和一张填写说明。模板与配置无关（--config 只为与其他命令一致）。

    \b
    例：campaign-bot template 花名册模板.xlsx
    """
    from bot.roster import write_template

    write_template(Path(path))
    click.echo(f"已写出模板：{path}")


@cli.command()
@click.option("--now", "now_text", default=None, metavar="ISO-TIME",
              help="演示时钟的起点，默认 2010-05-12T09:00（活动第一阶段内）。")
@click.option("--web", is_flag=True, help="不开终端对话，改为在 127.0.0.1 上打开网页管理后台，并打印演示活动办管理员的登录链接。")
@click.option("--port", default=8080, show_default=True, help="--web 时网页后台的端口。")
@with_config
def demo(now_text, web, port, settings):
    """用内置的虚构花名册建一个演示数据库，并以演示干部身份打开终端对话；或用 --web 打开网页管理后台。

    \b
    例：campaign-bot demo
        campaign-bot demo --now 2010-09-01T10:00
        campaign-bot demo --web --port 8080
    """
    from bot.demo import run_demo, run_demo_web
    from handlers import ROUTES
    from schedules.plan import plan

    try:
        if web:
            run_demo_web(now_text, settings, port, ROUTES, plan)
        else:
            run_demo(now_text, settings, ROUTES)
    except ValueError:
        raise click.BadParameter(f"“{now_text}”不是 ISO 时间，例如 2010-05-12T09:00", param_hint="--now") from None


@cli.command()
@click.argument("cadre_ids", nargs=-1)
@click.option("--unit", "unit_id", default=None, metavar="单位编号",
              help="为这个单位及其全部下属单位的干部生成绑定码（与 report --unit 的范围相同）。")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None,
              help="把绑定码写入新的 .xlsx 文件（文件已存在则拒绝，不覆盖）。")
@click.option("--rebind", is_flag=True, help="已绑定的干部也生成新绑定码（换手机、换账号时用）；不加则跳过并列出他们。")
@with_config
@now_option
def invite(cadre_ids, unit_id, out_path, rebind, settings, clock):
    """生成一次性绑定码（默认 7 天有效）。干部发送“绑定 绑定码”即可绑定。

    新绑定码生成后，这名干部此前未用的绑定码作废。已绑定的干部默认跳过并列出名字。

    \b
    例：campaign-bot invite G001 G002
        campaign-bot invite --unit U01 --out 绑定码.xlsx
        campaign-bot invite G001 --rebind
    """
    invite_command(open_app(settings, clock), cadre_ids, unit_id, out_path, rebind)


def invite_command(app, cadre_ids: tuple[str, ...], unit_id: str | None, out_path: str | None,
                   rebind: bool = False) -> None:
    """Issues binding codes and prints them (or where they were written)."""
    from bot.invites import issue_invites

    with user_errors():
        for line in issue_invites(app, cadre_ids, unit_id, out_path, rebind):
            click.echo(line)


@cli.command()
@click.option("--out", "out_path", type=click.Path(dir_okay=False), required=True, help="写出的 .xlsx 文件。")
@click.option("--unit", "unit_id", default=None, metavar="单位编号", help="只含这个单位及其全部下属单位；不给则全州。")
@click.option("--from", "from_day", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="期间的第一天（北京时间）：此前的走访、通知、提醒不列入。")
@click.option("--to", "to_day", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="期间的最后一天（含这一天）。")
@with_config
@now_option
def report(out_path, unit_id, from_day, to_day, settings, clock):
    """导出上报用的工作簿（.xlsx）：汇总（按单位树，含小计和覆盖率图）、逾期农户、走访记录（照片文件、疑点、审核）、
    五类结对、单位任务、通知回执、未送达提醒、失效绑定。不含农户电话和备注。

    --now 是截止时刻：此后发生的一律不计入。

    \b
    例：campaign-bot report --out 全州进度.xlsx
        campaign-bot report --unit U01 --out 示例县进度.xlsx --from 2010-05-01 --to 2010-05-31
        campaign-bot report --out 五月底.xlsx --now 2010-05-31T23:59 --config config.toml
    """
    from bot.scope_report import office_report

    if not out_path.lower().endswith(".xlsx"):
        raise click.ClickException(f"报表是 Excel 工作簿，--out 要以 .xlsx 结尾，例如 进度.xlsx（现在是 {out_path}）。")
    app = open_app(settings, clock)
    counts = office_report(app, Path(out_path), unit_id, from_day.date() if from_day else None,
                           to_day.date() if to_day else None)
    click.echo(f"已写出 {out_path}：" + "，".join(f"{name} {n} 行" for name, n in counts.items()))


@cli.command("console-link")
@click.argument("cadre_id", metavar="干部编号")
@with_config
@now_option
def console_link(cadre_id, settings, clock):
    """打印网页管理后台的一次性登录链接（配置 console.link_ttl_minutes 分钟内有效，默认 10；只能用一次），只发给单位管理员或活动办管理员。

    \b
    例：campaign-bot console-link G004 --config config.toml
    """
    from bot.console import LinkRefused, issue_login_link

    app = open_app(settings, clock)
    try:
        link = issue_login_link(app.db, settings, cadre_id, app.clock.now())
    except LinkRefused as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(link.url)


@cli.command()
@click.option("--unit", "unit_id", default=None, metavar="单位编号", help="发给这个单位及下属单位的干部；不给则全州。")
@click.option("--text", default=None, help="通知内容（最多 1000 字）。")
@click.option("--file", "text_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="从 UTF-8 文本文件读取通知内容（代替 --text）。")
@click.option("--from", "sender_id", default=None, metavar="干部编号", help="以这名管理员的名义发送；不给则用活动办管理员。")
@click.option("--urgent", is_flag=True, help="紧急通知：夜间免打扰时段也发送。")
@click.option("--yes", is_flag=True, help="不再询问，直接发送。")
@with_config
@now_option
def notify(unit_id, text, text_file, sender_id, urgent, yes, settings, clock):
    """给一个单位及下属单位的干部发通知（发件人本人不在收件人中）；运行中的机器人按提醒的规则发出，干部回复“收到”确认。

    \b
    例：campaign-bot notify --unit U01 --text "周五前上报走访情况"
        campaign-bot notify --file 通知.txt --urgent --yes --config config.toml
    """
    if (text is None) == (text_file is None):
        raise click.UsageError("请给出 --text 或 --file 其中之一。")
    body = text if text is not None else Path(text_file).read_text(encoding="utf-8-sig")
    notify_command(open_app(settings, clock), unit_id, body, sender_id, urgent, yes)


def notify_command(app, unit_id: str | None, text: str, sender_id: str | None, urgent: bool, yes: bool) -> None:
    """Drafts the notice, says whom it reaches, and confirms it (planned at once) or cancels it."""
    from bot.notices import draft_notice, sender_scope
    from bot.store.supervision import cancel_notice, confirm_notice
    from schedules.plan import plan

    now = app.clock.now()
    draft = draft_notice(app.db, sender_scope(app.db, unit_id, sender_id), text, urgent, now)
    click.echo(f"这条通知将发给 {draft.recipients} 名干部，其中 {draft.bound} 人已绑定、可以收到。")
    if not yes and not click.confirm("确认发送吗？", default=False):
        cancel_notice(app.db, draft.notice_id)
        click.echo("已取消，通知没有发送。")
        return
    recipients = confirm_notice(app.db, draft.notice_id, now)
    plan(app, now, kinds=("notice",)).log()
    click.echo(f"通知 #{draft.notice_id} 已确认，{recipients} 名干部；运行中的机器人（campaign-bot run）会按规则发出。")


@cli.command()
@with_config
@now_option
def run(settings, clock):
    """启动机器人：Telegram、微信、HTTP 服务和提醒调度。

    \b
    例：campaign-bot run --config config.toml
        campaign-bot run --config config.toml --now 2010-05-01T08:00
    """
    from bot.logging_setup import configure_logging
    from bot.runner import run_bot

    configure_logging(settings)  # [logging]: level and plain or JSON lines, for the service's journal
    run_bot(open_app(settings, clock))


@cli.group()
def reminders():
    """提醒：预览、发送、统计。"""


@reminders.command("preview")
@with_config
@now_option
def reminders_preview(settings, clock):
    """列出在这个时刻会发出的提醒（不发送）。

    \b
    例：campaign-bot reminders preview --now 2010-05-08T09:00
    """
    from bot.cli.reminders import preview

    preview(open_app(settings, clock))


@reminders.command("send")
@with_config
@now_option
def reminders_send(settings, clock):
    """发送这个时刻到期的提醒（与调度器运行同一段代码，重复运行不会重发）。

    \b
    例：campaign-bot reminders send --now 2010-05-08T09:00
    """
    from bot.cli.reminders import send

    send(open_app(settings, clock))


@reminders.command("status")
@with_config
def reminders_status(settings):
    """统计已发送、待发送、失败和过期的提醒。

    \b
    例：campaign-bot reminders status --config config.toml
    """
    from bot.cli.reminders import status

    status(open_app(settings))


@cli.command("wechat-menu")
@with_config
def wechat_menu(settings):
    """创建微信自定义菜单：活动阶段 / 截止日期 / 我的联系户 / 上报走访 / 帮助。

    \b
    例：campaign-bot wechat-menu --config config.toml
    """
    create_menu_command(open_app(settings))


def create_menu_command(app) -> None:
    """Creates the WeChat custom menu and prints the result in Chinese."""
    from bot.channels.wechat.adapter import set_up_menu

    with user_errors():
        click.echo(set_up_menu(app))


@cli.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, metavar="DIR",
              help="备份文件夹：新的或以前的备份文件夹（每次增加一个带日期的快照）。")
@click.option("--keep", type=click.IntRange(min=1), default=None, metavar="N",
              help="只保留最新的 N 个快照，更早的删除（照片库共用，不删）。不给则全部保留。")
@with_config
def backup(out_dir, keep, settings):
    """在机器人运行时备份数据库和照片：每次在 DIR 里增加一个带日期的快照，照片只复制新增的。

    可以每晚由 cron 备份到同一个文件夹。出任何问题都以非零状态退出。

    \b
    例：campaign-bot backup --out /var/backups/campaign-bot --config config.toml
        campaign-bot backup --out /var/backups/campaign-bot --keep 60 --config config.toml
    """
    from bot.backup import take_backup

    result = take_backup(settings.database.path, settings.photos.dir, Path(out_dir), keep=keep)
    click.echo(result.summary())
    if result.problems:
        raise UserError(f"备份完成，但有 {len(result.problems)} 个问题（见上）。")


@cli.command()
@click.argument("backup_dir", type=click.Path(file_okay=False), metavar="DIR")
@click.option("--snapshot", default=None, metavar="NAME",
              help="恢复这个快照（备份文件夹 snapshots 下的名字，不是路径）；不给则恢复最新的快照。")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), required=True,
              help="配置文件（TOML）：恢复到它指定的数据库和照片文件夹。")
@click.option("--force", is_flag=True, help="数据库已存在时也替换它（原文件改名保留）。")
@click.option("--allow-missing-photos", is_flag=True,
              help="备份里有照片缺失或损坏时，仍恢复数据库和其余照片，并列出缺的照片。")
def restore(backup_dir, snapshot, config_path, force, allow_missing_photos):
    """从备份恢复：先核对清单和校验和，再把快照放到配置文件指定的数据库和照片文件夹。

    机器人运行时不能恢复；数据库已存在时要加 --force。请以机器人的用户运行（sudo -u campaign-bot …），
    或以 root 运行（恢复出的文件交给目标文件夹的属主）。

    \b
    例：campaign-bot restore /var/backups/campaign-bot --config config.toml
        campaign-bot restore /var/backups/campaign-bot --snapshot 20260129T021500Z --config config.toml --force
    """
    from bot.backup import restore_backup

    settings = load_settings(config_path)
    result = restore_backup(Path(backup_dir), settings.database.path, settings.photos.dir, snapshot, force,
                            allow_missing_photos)
    click.echo(result.summary())


@cli.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="配置文件（TOML）。不给则用内置默认值：数据在 ./data 下。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（给监控程序用）。")
@click.option("--full", is_flag=True, help="完整检查数据库的每一页（integrity_check，大数据库要几分钟）；默认只做快速检查。")
def check(config_path, as_json, full):
    """检查部署是否正常：配置、数据库、照片文件夹和磁盘、各渠道的凭据、时钟、提醒。全部正常时退出码为 0。

    \b
    例：campaign-bot check --config config.toml
        campaign-bot check --config config.toml --json
        campaign-bot check --config config.toml --full
    """
    import json

    from bot.health_check import report_json, report_lines, run_checks

    findings = run_checks(config_path, full=full)
    if as_json:
        click.echo(json.dumps(report_json(findings), ensure_ascii=False, indent=1))
    else:
        click.echo(report_lines(findings))
    sys.exit(0 if all(f.ok for f in findings) else 1)


def main() -> None:
    """Entry point of the campaign-bot command."""
    cli(prog_name="campaign-bot")
