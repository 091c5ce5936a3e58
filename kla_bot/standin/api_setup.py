"""Bot API methods around the messages: identity, getUpdates, getFile, getChat, commands."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from typing import Any

import httpx
from telegram import (
    AcceptedGiftTypes,
    BotCommand,
    ChatFullInfo,
    ChatMemberAdministrator,
    ChatMemberMember,
    File,
    WebhookInfo,
)

from kla_bot.standin.core import StandinCore, update_type
from kla_bot.standin.files import FileNotKnown
from kla_bot.standin.model import JSON, ApiError, Upload, Webhook
from kla_bot.standin.outgoing import MAX_DOWNLOAD

# Telegram's rule for setWebhook's secret_token.
SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class SetupMethods(StandinCore):
    """``_api_<name>`` for the bot's identity, the update queue, files, chats and commands."""

    async def _api_getMe(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        return self.bot_user.to_dict()

    async def _api_close(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        return True

    async def _api_logOut(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        return True

    async def _api_setWebhook(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        url = str(args.get("url") or "")
        if not url:
            return await self._api_deleteWebhook(args, files)
        secret = args.get("secret_token")
        if secret is not None and not SECRET_TOKEN.match(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = Webhook(url, None if secret is None else str(secret))
        self.webhook_sets += 1
        if args.get("drop_pending_updates"):
            self._queue.clear()
        if "allowed_updates" in args:
            self.allowed_updates = list(args["allowed_updates"]) or None
        return True

    async def _api_deleteWebhook(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        self.webhook = None
        if args.get("drop_pending_updates"):
            self._queue.clear()
        return True

    async def _api_getWebhookInfo(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        return WebhookInfo(
            url=self.webhook.url if self.webhook else "", has_custom_certificate=False,
            pending_update_count=len(self._queue)
        ).to_dict()

    async def post_updates(self, client: httpx.AsyncClient) -> list[int]:
        """Telegram's side of a webhook: post every queued update to the webhook's URL (with
        its secret token) through ``client``, in order; an update answered 2xx is gone, any
        other answer leaves it queued for the next call (Telegram retries). Returns the
        status of each post."""
        if self.webhook is None:
            raise RuntimeError("no webhook is set (setWebhook)")
        headers = {} if self.webhook.secret is None else {
            "X-Telegram-Bot-Api-Secret-Token": self.webhook.secret}
        statuses: list[int] = []
        for update in list(self._queue):
            if self.allowed_updates and update_type(update) not in self.allowed_updates:
                self._queue.remove(update)
                continue
            response = await client.post(self.webhook.url, json=update.to_dict(),
                                          headers=headers)
            statuses.append(response.status_code)
            if response.is_success:
                self._queue.remove(update)
        return statuses

    async def _api_getUpdates(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is "
                           "active; use deleteWebhook to delete the webhook first")
        offset: int | None = args.get("offset")
        limit = max(1, min(100, int(args.get("limit", 100))))
        timeout = max(0.0, float(args.get("timeout", 0)))
        if "allowed_updates" in args:
            self.allowed_updates = list(args["allowed_updates"]) or None
        self._confirm_offset(offset)
        if not self._queue and timeout > 0:
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._poll_waiters.add(fut)
            try:
                async with asyncio.timeout(timeout):
                    await fut
            except TimeoutError:
                pass
            finally:
                self._poll_waiters.discard(fut)
            self._confirm_offset(offset)
        if self.allowed_updates:
            self._queue = [u for u in self._queue if update_type(u) in self.allowed_updates]
        return [u.to_dict() for u in self._queue[:limit]]

    def _confirm_offset(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            self._queue = self._queue[offset:]
        else:
            self._queue = [u for u in self._queue if u.update_id >= offset]

    async def _api_getFile(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        file_id = str(args.get("file_id", ""))
        try:
            stored = self.files.by_id(file_id)
        except FileNotKnown:
            raise ApiError(
                400, "Bad Request: wrong file_id or the file is temporarily unavailable"
            ) from None
        self.files.get_file_calls[stored.file_unique_id] += 1
        if stored.file_size > MAX_DOWNLOAD:
            raise ApiError(400, "Bad Request: file is too big")
        return File(
            file_id=stored.file_id,
            file_unique_id=stored.file_unique_id,
            file_size=stored.file_size,
            file_path=self.files.assign_path(stored),
        ).to_dict()

    async def _api_getChat(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        chat = self._known_chat(args.get("chat_id")).chat
        return ChatFullInfo(
            id=chat.id,
            type=chat.type,
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types=AcceptedGiftTypes(True, True, True, True, True),
            title=chat.title,
            username=chat.username,
            first_name=chat.first_name,
            last_name=chat.last_name,
        ).to_dict()

    async def _api_getChatMember(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        chat = self._known_chat(args.get("chat_id"))
        user_id = args.get("user_id")
        if chat.group is None or not chat.group.bot_member:
            raise self._unexpected("getChatMember outside a group the bot is in")
        if user_id == self.bot_user.id:
            if chat.group.bot_admin:
                return ChatMemberAdministrator(
                    self.bot_user, can_be_edited=False, is_anonymous=False,
                    can_manage_chat=True, can_delete_messages=True,
                    can_manage_video_chats=False, can_restrict_members=False,
                    can_promote_members=False, can_change_info=False, can_invite_users=True,
                    can_post_stories=False, can_edit_stories=False,
                    can_delete_stories=False).to_dict()
            return ChatMemberMember(self.bot_user).to_dict()
        user = self.users.get(int(str(user_id)))
        if user is None:
            raise ApiError(400, "Bad Request: user not found")
        return ChatMemberMember(user.user).to_dict()

    @staticmethod
    def _scope_key(args: JSON) -> tuple[str, str]:
        scope = args.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(args.get("language_code") or "")

    async def _api_setMyCommands(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        commands = args.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be a list of at most 100")
        parsed = BotCommand.de_list(commands, None)
        for command in parsed:
            if not (1 <= len(command.command) <= 32 and 1 <= len(command.description) <= 256):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        self.commands[self._scope_key(args)] = list(parsed)
        return True

    async def _api_getMyCommands(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        return [c.to_dict() for c in self.commands.get(self._scope_key(args), [])]

    async def _api_deleteMyCommands(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        self.commands.pop(self._scope_key(args), None)
        return True

    async def _api_setChatMenuButton(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        self.menu_buttons[args.get("chat_id")] = args.get("menu_button") or {"type": "default"}
        return True

    async def _api_getChatMenuButton(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        return self.menu_buttons.get(args.get("chat_id"), {"type": "commands"})

    def commands_for(self, scope: JSON | None = None, language_code: str = "") -> list[str]:
        """Command names set with setMyCommands for a scope (default scope by default)."""
        key = self._scope_key({"scope": scope, "language_code": language_code})
        return [c.command for c in self.commands.get(key, [])]
