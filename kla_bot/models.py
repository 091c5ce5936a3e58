"""The typed ORM: what the bot remembers. ``migrations/`` owns the schema."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC everywhere (SQLite has no time zones); read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(), dict[str, Any]: JSON(), Decimal: Numeric(8, 2)}


class Regency(Base):
    """A kabupaten or kota; several may share one database."""

    __tablename__ = "regencies"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # The province it belongs to: a provincial officer sees every regency of theirs.
    province: Mapped[str | None] = mapped_column(String(120), index=True)
    # Regional days off (ISO dates) on top of the national ones (kla_bot.scheduler).
    holidays: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    # What config.toml said when last applied (the configured regency only): a start applies
    # the file again only when it changed, so settings changed in chat are not undone.
    config_applied: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]


class Cycle(Base):
    """One evaluation round of a regency, up to its verification day."""

    __tablename__ = "cycles"
    __table_args__ = (UniqueConstraint("regency_id", "verification_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    regency_id: Mapped[int] = mapped_column(ForeignKey("regencies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    verification_date: Mapped[date]
    timezone: Mapped[str] = mapped_column(String(64))
    last_score: Mapped[Decimal]
    target_predicate: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    regency: Mapped[Regency] = relationship()


class Cluster(Base):
    """``KL`` (Kelembagaan) or one of the five clusters ``K1``..``K5``."""

    __tablename__ = "clusters"
    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))


class Indicator(Base):
    """One of the KLA indicators, numbered 1..24 in the current instrument."""

    __tablename__ = "indicators"
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    cluster_code: Mapped[str] = mapped_column(ForeignKey("clusters.code"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    name_en: Mapped[str] = mapped_column(String(200))
    cluster: Mapped[Cluster] = relationship()


class Member(Base):
    """A person on the task force, matched to Telegram by phone."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("regency_id", "phone"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    regency_id: Mapped[int] = mapped_column(ForeignKey("regencies.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20))
    agency: Mapped[str] = mapped_column(String(160))
    role: Mapped[str] = mapped_column(String(16))
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    language: Mapped[str | None] = mapped_column(String(8))
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    registered_at: Mapped[datetime | None]
    unreachable_since: Mapped[datetime | None]
    # Away (leave, duty travel) up to and including this local day: no reminders meanwhile.
    away_until: Mapped[date | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    clusters: Mapped[list[MemberCluster]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="MemberCluster.cluster_code")

    @property
    def cluster_codes(self) -> list[str]:
        return [c.cluster_code for c in self.clusters]


class MemberCluster(Base):
    __tablename__ = "member_clusters"
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           primary_key=True)
    cluster_code: Mapped[str] = mapped_column(ForeignKey("clusters.code"), primary_key=True)


class MemberAddress(Base):
    """How a member is reached on a channel other than the Telegram columns above (WhatsApp
    for now): one address per channel, reachable or not, and when they last wrote (the
    WhatsApp 24-hour window runs from it)."""

    __tablename__ = "member_addresses"
    __table_args__ = (UniqueConstraint("channel", "address"),
                      UniqueConstraint("member_id", "channel"))
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    # WhatsApp: the wa_id as sent (digits only), or a business-scoped user id (no phone).
    address: Mapped[str] = mapped_column(String(128))
    has_phone: Mapped[bool] = mapped_column(Boolean)
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    unreachable_since: Mapped[datetime | None]
    last_inbound_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Invite(Base):
    """A one-time code for ``/start CODE`` when a member cannot share a contact."""

    __tablename__ = "invites"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Task(Base):
    """One missing piece of evidence, tied to an indicator and a member."""

    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("cycle_id", "code_key"),
                      Index("ix_tasks_assignee_state", "assignee_id", "state"))
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    code_key: Mapped[str] = mapped_column(String(32))  # upper-cased code, for lookups
    indicator_number: Mapped[int] = mapped_column(ForeignKey("indicators.number"), index=True)
    title: Mapped[str] = mapped_column(Text)
    points: Mapped[Decimal]
    assignee_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    due_date: Mapped[date]
    # True when the file gave no due date: due_date then follows the verification date.
    due_is_default: Mapped[bool] = mapped_column(Boolean, default=False,
                                                 server_default=false())
    notes: Mapped[str | None] = mapped_column(Text)
    # The period its evidence must cover (None: the calendar year before the verification).
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    state: Mapped[str] = mapped_column(String(16), default="open")
    last_rejection_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    indicator: Mapped[Indicator] = relationship(lazy="joined")
    assignee: Mapped[Member] = relationship(lazy="joined")


class Evidence(Base):
    """A file a member sent for a task, stored content-addressed under its sha256."""

    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("task_id", "sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    mime: Mapped[str] = mapped_column(String(120))
    original_name: Mapped[str] = mapped_column(String(255))
    storage_key: Mapped[str] = mapped_column(String(255))
    telegram_file_unique_id: Mapped[str | None] = mapped_column(String(128))
    # What Telegram gave for the upload: notices and /tinjau re-send it by id (no re-upload).
    telegram_file_id: Mapped[str | None] = mapped_column(String(255))
    telegram_file_kind: Mapped[str | None] = mapped_column(String(16))  # document or photo
    # What the content check found that a reviewer should know (validation.NOTE_*), comma-separated.
    content_notes: Mapped[str | None] = mapped_column(String(200))
    # What the file itself says (services.file_facts), read once at intake; None: nothing.
    facts: Mapped[dict[str, Any] | None]
    state: Mapped[str] = mapped_column(String(16), default="submitted")
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    review_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None]
    uploaded_at: Mapped[datetime]
    task: Mapped[Task] = relationship()


class OutboxMessage(Base):
    """A notification or reminder waiting to be sent; the dedupe key makes it at most once."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_due", "state", "not_before"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    # A Telegram chat, for a message that is for no member; a member's message goes by the
    # route chosen when it is sent (kla_bot.services.routes), recorded below.
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime]
    # Past this, the message is no longer worth sending (None: worth it however late).
    expires_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # The route the message took: the channel, the chat or address on it, the channel's
    # message id(s) (space-separated text), and the WhatsApp template it went as (billed).
    channel: Mapped[str | None] = mapped_column(String(16))
    chat: Mapped[str | None] = mapped_column(String(128))
    message_ids: Mapped[str | None] = mapped_column(Text)
    template: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class MessageTask(Base):
    """Which tasks a message the bot sent is about, so a reply to it finds its task. Chat and
    message ids are the channel's own, as text (WhatsApp's are not numbers)."""

    __tablename__ = "message_tasks"
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    chat: Mapped[str] = mapped_column(String(128), primary_key=True)
    message: Mapped[str] = mapped_column(String(160), primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"),
                                         primary_key=True)
    created_at: Mapped[datetime]


class PendingChoice(Base):
    """What a member is in the middle of (a chosen task, a file waiting for its task)."""

    __tablename__ = "pending_choices"
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class PendingReason(Base):
    """A rejection reason a coordinator owes after pressing Tolak: the next text they type in
    ``chat`` (on ``channel``) soon after is it. Apart from ``PendingChoice`` so their own
    intake survives."""

    __tablename__ = "pending_reasons"
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    chat: Mapped[str] = mapped_column(String(128))
    card_message: Mapped[str | None] = mapped_column(String(160))
    prompt_message: Mapped[str | None] = mapped_column(String(160))
    created_at: Mapped[datetime]


class PendingImport(Base):
    """A spreadsheet the secretariat sent, previewed and waiting for Terapkan / Batal. The
    file is kept content-addressed in the store (``storage_key``); ``fingerprint`` is the hash
    of what the preview showed, so apply writes exactly that or previews again. ``missing``:
    ids of tasks no longer in the file, cancelled only on a second confirmation."""

    __tablename__ = "pending_imports"
    id: Mapped[int] = mapped_column(primary_key=True)
    regency_id: Mapped[int] = mapped_column(ForeignKey("regencies.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    file_name: Mapped[str] = mapped_column(String(255))
    storage_key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    missing: Mapped[list[int]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))  # previewed, applied, cancelled, dropped
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class PendingCorrection(Base):
    """A small correction in chat (``/ubah``, ``/batalkan``, ``/tambah``, ``/pindah``,
    ``/cuti``) shown as before → after and waiting for its Ya / Batal press. ``data`` holds
    what it changes and what the record was when shown: a confirmation applies it only if
    the record is still so (:mod:`kla_bot.services.corrections`)."""

    __tablename__ = "pending_corrections"
    id: Mapped[int] = mapped_column(primary_key=True)
    regency_id: Mapped[int] = mapped_column(ForeignKey("regencies.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # due, points, title, cancel, add, move, away
    data: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16))  # proposed, applied, discarded
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class AuditEvent(Base):
    """Who did what to which record, and when."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    regency_id: Mapped[int | None] = mapped_column(ForeignKey("regencies.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    actor_label: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]]


class InboundMessage(Base):
    """A message or update a webhook took in (WhatsApp's, Telegram's), kept and committed
    before the webhook answers 200 so a crash loses nothing (:mod:`kla_bot.inbox`): ``raw`` is
    what the channel posted; ``holder`` the worker handling it; ``handled_at`` set once the
    conversation dealt with it. The unique (channel, id) makes a redelivery a no-op, on any
    worker, also after a restart."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(160))
    raw: Mapped[dict[str, Any]]
    received_at: Mapped[datetime]
    holder: Mapped[int | None] = mapped_column(BigInteger)
    handled_at: Mapped[datetime | None] = mapped_column(index=True)


class TaskForceGroup(Base):
    """The task force's group chat (Telegram), linked by the secretariat: one per regency.
    The morning progress post and approval news go there."""

    __tablename__ = "task_force_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    regency_id: Mapped[int] = mapped_column(ForeignKey("regencies.id"), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    linked_at: Mapped[datetime]


class GroupNotice(Base):
    """Someone in a group was told once how to register (privately, or in the group when the
    bot cannot write to them): they are not told again."""

    __tablename__ = "group_notices"
    __table_args__ = (UniqueConstraint("channel", "chat", "address"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    told_at: Mapped[datetime]


class HariHSwitch(Base):
    """Hari H mode switched by hand (``/harih mulai``, ``/harih selesai``): ``mode`` on or
    off for the regency until ``until`` (None: until switched again); past it the calendar
    decides again (services.hari_h)."""

    __tablename__ = "hari_h_switches"
    regency_id: Mapped[int] = mapped_column(ForeignKey("regencies.id"), primary_key=True,
                                            autoincrement=False)
    mode: Mapped[str] = mapped_column(String(8))  # on | off
    until: Mapped[datetime | None]
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    set_at: Mapped[datetime]


class UrgentRequest(Base):
    """``/butuh KODE``: the secretariat calls for a missing item on hari H. The owner is asked
    again every few minutes until evidence for the task arrives (from them or anyone else);
    who answered and when is kept for the post-day report."""

    __tablename__ = "urgent_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    regency_id: Mapped[int] = mapped_column(ForeignKey("regencies.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    state: Mapped[str] = mapped_column(String(16))  # open | answered
    requested_at: Mapped[datetime]
    last_sent_at: Mapped[datetime]
    sends: Mapped[int] = mapped_column(Integer)
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))


class RateBudget(Base):
    """A token bucket every worker draws from (PostgreSQL; :mod:`kla_bot.rate_budget`): one
    row per budget (``telegram:<bot id>``), ``tokens`` left as of ``refilled_at`` (seconds
    since the epoch by the workers' clocks). A send takes a token in one atomic UPDATE."""

    __tablename__ = "rate_budgets"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    refilled_at: Mapped[float] = mapped_column(Float)
