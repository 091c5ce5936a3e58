"""What one /tugas costs the database: one read, no write lock (it is the command members
send most; bench/update_mix_bench.py measures its CPU beside a bare echo bot)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from tests.dbs import backend
from tests.members.conftest import World


async def test_task_list_is_one_read_and_takes_no_write_lock(world: World) -> None:
    user = world.user("Ani", 5001)
    await world.link("Ani", user)
    chat = world.chat(user)
    await world.do(chat.send("/tugas"))  # the first one may warm caches
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()[:2]).upper())

    engine = world.deps.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        await world.do(chat.send("/tugas"))
    finally:
        event.remove(engine, "before_cursor_execute", seen)

    assert "K3-12" in chat.last_text() and "K3-17a" in chat.last_text()
    reads = [s for s in statements if s.startswith("SELECT")]
    # Who is asking, and their tasks (with indicator and cluster). Whether the sender is
    # unreachable costs no read: the worker knows (kla_bot.comebacks).
    assert len(reads) == 1, statements
    assert not [s for s in statements if s.split()[0] in ("INSERT", "UPDATE", "DELETE")]
    if backend() == "sqlite":
        # One statement needs no transaction: no BEGIN, so nobody waits for the write lock.
        assert [s for s in statements if s.startswith("BEGIN")] == []
