"""Telegram by webhook: only posts carrying the secret token are read; several workers behind a
load balancer handle each update once."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send
from telegram import Update
from telegram.ext import TypeHandler

from kla_bot.channels.telegram.application import (
    build_application,
    start_application,
    stop_application,
)
from kla_bot.channels.telegram.context import KlaApplication
from kla_bot.channels.telegram.webhook import (
    SECRET_HEADER,
    TelegramInbox,
    set_webhook,
    telegram_route,
)
from kla_bot.clock import ManualClock
from kla_bot.deps import Deps, create_deps
from kla_bot.inbox import DurableInbox
from kla_bot.models import InboundMessage, Member
from kla_bot.standin import StandinFileSource, StandinRequest
from tests.dbs import postgres_only
from tests.members.conftest import World, members_world

SECRET = "s3cret_token-for-tests"
URL = "http://127.0.0.1:8443/telegram"


def webhook_client(*apps: KlaApplication) -> httpx.AsyncClient:
    """An HTTP client whose posts reach the apps' webhook routes in turn (a round-robin load
    balancer in front of one worker per app)."""
    workers = itertools.cycle([Starlette(routes=[telegram_route(app, secret=SECRET,
                                                                path="/telegram")])
                               for app in apps])

    async def balancer(scope: Scope, receive: Receive, send: Send) -> None:
        await next(workers)(scope, receive, send)

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=balancer),
                             base_url="http://127.0.0.1:8443")


@pytest.fixture
async def world(deps: Deps, clock: ManualClock, tmp_path: Path) -> AsyncIterator[World]:
    async with members_world(deps, clock, tmp_path) as built:
        await set_webhook(built.app, url=URL, secret=SECRET)
        yield built


async def language_of(world: World, name: str) -> str | None:
    return await world.scalar(select(Member.language).where(Member.id == world.members[name]))


async def test_the_webhook_is_set_with_its_secret_and_polling_is_refused(world: World) -> None:
    assert world.state.webhook is not None
    assert (world.state.webhook.url, world.state.webhook.secret) == (URL, SECRET)
    info = await world.app.bot.get_webhook_info()
    assert info.url == URL


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "wrong"},
                                     {SECRET_HEADER: SECRET + "x"}, {SECRET_HEADER: ""}])
async def test_a_post_without_the_secret_token_gets_403_and_changes_nothing(
        world: World, headers: dict[str, str]) -> None:
    ani = world.user("Ani", 5001)
    await world.link("Ani", ani)
    chat = world.chat(ani)
    update = chat.send("/bahasa en")
    async with webhook_client(world.app) as client:
        answer = await client.post("/telegram", json=update.to_dict(), headers=headers)
    await world.app.update_queue.join()
    assert answer.status_code == 403
    assert chat.messages() == []
    assert await language_of(world, "Ani") is None


async def test_a_post_with_the_secret_token_is_handled(world: World) -> None:
    ani = world.user("Ani", 5001)
    await world.link("Ani", ani)
    chat = world.chat(ani)
    chat.send("/bahasa en")
    async with webhook_client(world.app) as client:
        assert await world.state.post_updates(client) == [200]
    await world.app.update_queue.join()
    assert await language_of(world, "Ani") == "en"
    assert len(chat.messages()) == 1
    assert world.state.pending_updates == []


async def test_a_body_that_is_not_an_update_is_refused_without_handling(world: World) -> None:
    async with webhook_client(world.app) as client:
        answers = [await client.post("/telegram", content=body,
                                     headers={SECRET_HEADER: SECRET})
                   for body in (b"not json", b"[1, 2]", b"42", b'{"message": 1}')]
        wrong_method = await client.get("/telegram", headers={SECRET_HEADER: SECRET})
    assert [a.status_code for a in answers] == [400] * 4
    assert wrong_method.status_code == 405
    assert world.state.sent == []


async def second_worker(world: World) -> KlaApplication:
    """Another worker of the same bot: its own Application and database engine, on the same
    database and the same Telegram."""
    deps = await create_deps(world.deps.settings, world.clock, migrate=False,
                             file_source=StandinFileSource(world.state))
    app = build_application(deps, request=StandinRequest(world.state), rate_limit=False)
    await start_application(app, polling=False)
    return app


async def test_a_burst_spread_over_two_workers_is_handled_exactly_once_each(
        world: World) -> None:
    other = await second_worker(world)
    handled: dict[str, list[int]] = {"first": [], "second": []}

    def recorder(name: str) -> Any:
        async def record(update: Update, context: object) -> None:
            handled[name].append(update.update_id)
        return record

    world.app.add_handler(TypeHandler(Update, recorder("first")), group=-100)
    other.add_handler(TypeHandler(Update, recorder("second")), group=-100)
    chats = []
    for index, name in enumerate(("Ani", "Budi", "Citra", "Dewi")):
        user = world.user(name, 5001 + index)
        await world.link(name, user)
        chats.append(world.chat(user))
    sent = [chat.send(text) for _ in range(5) for chat in chats
            for text in ("/tugas", "/bantuan")]
    try:
        async with webhook_client(world.app, other) as client:
            statuses = await world.state.post_updates(client)
        await world.app.update_queue.join()
        await other.update_queue.join()
    finally:
        await stop_application(other)
    assert statuses == [200] * len(sent)
    every = handled["first"] + handled["second"]
    assert sorted(every) == sorted(u.update_id for u in sent)  # each once, none twice
    assert handled["first"] and handled["second"]  # both workers took part
    for chat in chats:  # one answer per message sent
        assert len(chat.messages()) == 10


async def inbox_rows(world: World) -> list[tuple[str, bool]]:
    async with world.deps.db.transaction() as s:
        rows = await s.execute(select(InboundMessage.external_id, InboundMessage.handled_at)
                               .where(InboundMessage.channel == "telegram")
                               .order_by(InboundMessage.id))
        return [(key, handled is not None) for key, handled in rows]


async def test_a_redelivered_update_is_handled_once_whichever_worker_gets_it(
        world: World) -> None:
    other = await second_worker(world)
    ani = world.user("Ani", 5001)
    await world.link("Ani", ani)
    chat = world.chat(ani)
    update = chat.send("/tugas")
    try:
        async with webhook_client(world.app, other) as client:
            answers = [await client.post("/telegram", json=update.to_dict(),
                                         headers={SECRET_HEADER: SECRET}) for _ in range(3)]
        await world.app.update_queue.join()
        await other.update_queue.join()
    finally:
        await stop_application(other)
    assert [a.status_code for a in answers] == [200] * 3  # Telegram stops resending
    assert len(chat.messages()) == 1
    assert await inbox_rows(world) == [(f"{world.app.bot.id}:{update.update_id}", True)]


async def test_an_update_a_dead_worker_took_in_is_handled_by_another(world: World) -> None:
    ani = world.user("Ani", 5001)
    await world.link("Ani", ani)
    chat = world.chat(ani)
    update = chat.send("/bahasa en")
    # A worker kept it (and answered 200), then died before handling it.
    dead = DurableInbox(world.deps.db, world.clock, "telegram")
    key = f"{world.app.bot.id}:{update.update_id}"
    assert await dead.take_in([(key, update.to_dict())]) == {key}
    assert await language_of(world, "Ani") is None
    inbox = TelegramInbox.of(world.app)
    inbox.sweeper.start()
    try:
        await inbox.sweeper.first_pass()
        await world.app.update_queue.join()
    finally:
        await inbox.sweeper.stop()
    assert await language_of(world, "Ani") == "en"
    assert len(chat.messages()) == 1
    assert await inbox_rows(world) == [(key, True)]
    assert await inbox.durable.claim_waiting() == []  # nothing left for anyone


@postgres_only("a worker is alive while its PostgreSQL connection is (SQLite runs one worker)")
async def test_an_update_a_live_worker_holds_is_left_to_it(world: World) -> None:
    engine = create_async_engine(world.deps.settings.database.url, poolclass=NullPool)
    connection = await engine.connect()
    pid = await connection.scalar(text("SELECT pg_backend_pid()"))
    await connection.commit()
    live = DurableInbox(world.deps.db, world.clock, "telegram", holder=lambda: pid)
    assert await live.take_in([("1:77", {"update_id": 77})]) == {"1:77"}
    other = DurableInbox(world.deps.db, world.clock, "telegram")
    assert await other.claim_waiting() == []  # its holder's connection is open: alive
    await connection.close()
    await engine.dispose()
    assert await other.claim_waiting() == [("1:77", {"update_id": 77})]  # gone: taken over
    assert await other.claim_waiting() == []  # and now held by ``other``
