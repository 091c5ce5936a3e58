"""/bantuan by role, kept in step with the registration table."""

from __future__ import annotations

import re

from sqlalchemy import update

from handlers import FEATURES
from handlers.help import commands_for
from kla_bot.models import Member
from tests.members.conftest import World


def test_help_lists_only_commands_that_exist() -> None:
    names = {c.name for f in FEATURES for c in f.commands}
    for role in (None, "member", "coordinator", "secretariat", "province"):
        assert {c.name for c in commands_for(role)} <= names
    member = {c.name for c in commands_for("member")}
    assert {"tugas", "bantuan", "batal", "start"} <= member
    assert not member & {"status", "tinjau", "laporan", "tugaskan"}


async def test_help_by_role(world: World) -> None:
    stranger = world.chat(world.user("X", 5100))
    await world.do(stranger.send("/bantuan"))
    assert "belum terdaftar" in stranger.last_text() and "/tugas" not in stranger.last_text()
    assert "Di grup" in stranger.last_text()

    ani_user = world.user("Ani", 5001)
    await world.link("Ani", ani_user)
    ani = world.chat(ani_user)
    await world.do(ani.send("/bantuan"))
    text = ani.last_text()
    assert "/tugas (/tasks)" in text and "/batal (/cancel)" in text and "20 MB" in text
    assert "/tinjau" not in text

    citra_user = world.user("Citra", 5003, language="en")
    await world.link("Citra", citra_user)
    citra = world.chat(citra_user)
    await world.do(citra.send("/help"))
    text = citra.last_text()
    if any(c.name == "tinjau" for f in FEATURES for c in f.commands):
        assert "/review (/tinjau)" in text
    assert "/report" not in text and "(cluster coordinator)" in text

    async with world.deps.db.transaction() as s:
        await s.execute(update(Member).where(Member.id == world.members["Citra"])
                        .values(role="secretariat"))
    await world.do(citra.send("/help"))
    if any(c.name == "laporan" for f in FEATURES for c in f.commands):
        assert "/report (/laporan)" in citra.last_text()


# What /bantuan offers each role, in this order. The secretariat may do everything a coordinator
# does, for every cluster (the services allow it), plus the export.
OFFERED = {
    None: ["start", "bantuan", "bahasa"],
    "member": ["start", "bantuan", "bahasa", "tugas", "alih", "kenapa", "batal"],
    "coordinator": ["start", "bantuan", "bahasa", "tugas", "status", "tinjau", "tugaskan",
                    "alih", "anggota", "undang", "ingatkan", "kenapa", "ubah", "batalkan",
                    "tambah", "pindah", "cuti", "harih", "cari", "batal"],
    "secretariat": ["start", "bantuan", "bahasa", "tugas", "status", "tinjau", "tugaskan",
                    "alih", "anggota", "undang", "laporan", "ingatkan", "kenapa", "templat",
                    "kabupaten", "hubungkan", "putuskan", "ubah", "batalkan", "tambah",
                    "pindah", "cuti", "harih", "cari", "butuh", "batal"],
    # A province's officer reads (/status of their province's regencies) and acts nowhere.
    "province": ["start", "bantuan", "bahasa", "tugas", "status", "alih", "kenapa", "batal"],
}


def _listed(text: str) -> list[str]:
    return re.findall(r"^/(\w+)", text, flags=re.MULTILINE)


async def test_help_lists_exactly_each_roles_commands(world: World) -> None:
    for role, expected in OFFERED.items():
        assert [c.name for c in commands_for(role)] == expected

    stranger = world.chat(world.user("X", 5100))
    await world.do(stranger.send("/bantuan"))
    assert _listed(stranger.last_text()) == OFFERED[None]

    async with world.deps.db.transaction() as s:
        await s.execute(update(Member).where(Member.id == world.members["Dewi"])
                        .values(role="secretariat"))
    for name, user_id, role in [("Ani", 5001, "member"), ("Citra", 5003, "coordinator"),
                                ("Dewi", 5004, "secretariat")]:
        user = world.user(name, user_id)
        await world.link(name, user)
        chat = world.chat(user)
        await world.do(chat.send("/bantuan"))
        assert _listed(chat.last_text()) == OFFERED[role], role
