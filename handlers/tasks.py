"""``/tugas`` (``/tasks``): my open tasks by cluster, paged, each with a "send evidence" button."""

from __future__ import annotations

from handlers.buttons import id_after
from handlers.evidence import receive_files
from handlers.registry import Command, Feature, Press
from kla_bot.clock import local_today
from kla_bot.conversation.turn import Turn
from kla_bot.i18n import Translator
from kla_bot.services import intake, member_tasks
from kla_bot.services.access import AccessDenied
from kla_bot.services.member_tasks import TaskView
from kla_bot.text_fit import LINE_FIELD_WIDTH, TEXT_LIMIT, shorten, visible_len

PAGE_PREFIX = "tk:page:"
SEND_PREFIX = "tk:send:"
MAX_TASKS_PER_PAGE = 8


def send_data(task_id: int) -> str:
    """The callback data of a task's "send evidence" button, wherever the button is shown
    (/tugas, reminders, a rejection, a reassignment): ``send_pressed`` answers them all."""
    return f"{SEND_PREFIX}{task_id}"


def due_label(t: Translator, task: TaskView) -> str:
    """``3 hari lagi``, ``hari ini`` or ``lewat 2 hari`` with an overdue mark."""
    left = t.due(task.days_left)
    return f"{t('tasks.overdue')} {left}" if task.overdue else left


def task_block(t: Translator, task: TaskView) -> str:
    english = t.lang == "en"
    text = t("tasks.item", code=task.code, indicator=task.indicator_number,
             indicator_name=task.indicator_name_en if english else task.indicator_name,
             title=shorten(task.title, 400), points=task.points, due=task.due_date,
             left=due_label(t, task), state=t(f"tasks.state_{task.state}"))
    if task.last_rejection_reason:
        text += "\n" + t("tasks.rejected", reason=shorten(task.last_rejection_reason, 300))
    return text


def _cluster_heading(t: Translator, task: TaskView) -> str:
    name = task.cluster_name_en if t.lang == "en" else task.cluster_name
    return t("tasks.cluster", code=task.cluster_code, name=name)


def paginate(t: Translator, tasks: list[TaskView], blocks: list[str]) -> list[list[int]]:
    """Split the list (``blocks``: each task's text) so each page's text (header, page line,
    headings, tasks) fits; each page as the positions of its tasks."""
    room = TEXT_LIMIT - visible_len(t("tasks.header", count=len(tasks))) - visible_len(
        t("tasks.page", page=len(tasks), pages=len(tasks))) - 4
    pages: list[list[int]] = [[]]
    used = 0
    headings: dict[str, int] = {}  # a cluster's heading size
    for n, task in enumerate(tasks):
        block = visible_len(blocks[n]) + 2
        if task.cluster_code not in headings:
            headings[task.cluster_code] = visible_len(_cluster_heading(t, task)) + 2
        heading = headings[task.cluster_code]
        new_cluster = not pages[-1] or tasks[pages[-1][-1]].cluster_code != task.cluster_code
        size = block + (heading if new_cluster else 0)
        if pages[-1] and (used + size > room or len(pages[-1]) >= MAX_TASKS_PER_PAGE):
            pages.append([])
            used = 0
            size = block + heading
        pages[-1].append(n)
        used += size
    return pages


def render_page(t: Translator, tasks: list[TaskView], page: int,
                ) -> tuple[str, list[list[tuple[str, str]]], list[TaskView]]:
    """The text, buttons and tasks of one page of the list."""
    if not tasks:
        return t("tasks.none"), [], []
    blocks = [task_block(t, task) for task in tasks]  # once each: sizing and text share them
    pages = paginate(t, tasks, blocks)
    page = max(0, min(page, len(pages) - 1))
    shown = [tasks[n] for n in pages[page]]
    lines = [t("tasks.header", count=len(tasks))]
    if len(pages) > 1:
        lines.append(t("tasks.page", page=page + 1, pages=len(pages)))
    cluster = None
    for n in pages[page]:
        task = tasks[n]
        if task.cluster_code != cluster:
            cluster = task.cluster_code
            lines.append(_cluster_heading(t, task))
        lines.append(blocks[n])
    rows = [[(t("tasks.send_button", code=task.code), send_data(task.id))]
            for task in shown]
    paging = []
    if page > 0:
        paging.append((t("tasks.prev"), f"{PAGE_PREFIX}{page - 1}"))
    if page < len(pages) - 1:
        paging.append((t("tasks.next"), f"{PAGE_PREFIX}{page + 1}"))
    if paging:
        rows.append(paging)
    return "\n\n".join(lines), rows, shown


async def send_task_list(turn: Turn, page: int = 0) -> None:
    """Send (or, for a page button, show in place of the list) one page of my task list."""
    deps = turn.deps
    try:
        async with deps.db.lone_read() as session:  # my_tasks is one SELECT
            mine = await member_tasks.my_tasks(session, deps.workspace, turn.who,
                                               local_today(deps.clock, deps.settings.tz))
    except AccessDenied as refusal:
        t = await turn.translator()
        await turn.reply(t(refusal.key, **refusal.params))
        return
    t = turn.translator_for(mine.language)
    text, buttons, shown = render_page(t, mine.tasks, page)
    sent = await turn.show(text, buttons)
    if not turn.pressed:
        await turn.remember_one_task(sent, [task.id for task in shown])


async def tasks_command(turn: Turn) -> None:
    """Show my open tasks, first page."""
    await send_task_list(turn, page=0)


async def page_pressed(turn: Turn) -> None:
    """Show another page of the list."""
    await turn.ack()
    await send_task_list(turn, page=id_after(turn, PAGE_PREFIX) or 0)


async def send_pressed(turn: Turn) -> None:
    """"Send evidence" pressed: the next files go to that task (checked: mine, not approved)."""
    deps = turn.deps
    task_id = id_after(turn, SEND_PREFIX)
    t = await turn.translator()
    if task_id is None:
        await turn.tell(t("evidence.unknown_task"))
        return
    try:
        async with deps.db.transaction() as session:
            placement, task = await intake.choose_task(
                session, deps.workspace, who=turn.who, task_id=task_id,
                now=deps.clock.now(), today=local_today(deps.clock, deps.settings.tz))
    except AccessDenied as refusal:
        await turn.tell(t(refusal.key, **refusal.params))
        return
    await turn.ack()
    t = turn.translator_for(placement.asker.language)
    sent = await turn.reply(t("tasks.send_prompt", code=task.code,
                              title=shorten(task.title, LINE_FIELD_WIDTH)))
    await turn.remember_one_task(sent, [task.id])
    if placement.files:
        await receive_files(turn, placement, t)


FEATURE = Feature(
    name="tasks",
    commands=(Command("tugas", "tasks", tasks_command, "menu.tugas", members_only=True,
                      private=True),),
    presses=(Press(PAGE_PREFIX, page_pressed), Press(SEND_PREFIX, send_pressed)),
)
