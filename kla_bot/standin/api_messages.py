"""Bot API methods on messages: send, edit, delete, and answering callback queries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from telegram import Message

from kla_bot.standin.chats import ChatRecord
from kla_bot.standin.limits import check_callback_answer
from kla_bot.standin.model import JSON, ApiError, CallbackAnswer, Event, SentMessage, Upload
from kla_bot.standin.outgoing import OutgoingMessages


class MessageMethods(OutgoingMessages):
    """``_api_<name>`` for sending, editing and deleting messages and answering queries."""

    async def _api_sendMessage(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        chat = self._reachable_chat(args.get("chat_id"))
        self._validate_text("sendMessage", args)
        reply = self._reply_target(chat, args)
        self._admit(chat)
        return self._new_bot_message(chat, "sendMessage", args, reply=reply).message.to_dict()

    async def _api_sendDocument(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        chat = self._reachable_chat(args.get("chat_id"))
        self._validate_caption("sendDocument", args)
        reply = self._reply_target(chat, args)
        stored, fresh = self._bot_file(
            "sendDocument", args.get("document"), files, "document", "document"
        )
        if stored.kind != "document":
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        self._admit(chat)
        document = stored if fresh else self._document_copy(stored)
        return self._new_bot_message(
            chat, "sendDocument", args, reply=reply, document=document
        ).message.to_dict()

    async def _api_sendPhoto(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        chat = self._reachable_chat(args.get("chat_id"))
        self._validate_caption("sendPhoto", args)
        reply = self._reply_target(chat, args)
        stored, _ = self._bot_file("sendPhoto", args.get("photo"), files, "photo", "photo")
        if stored.kind != "photo":
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        self._admit(chat)
        return self._new_bot_message(
            chat, "sendPhoto", args, reply=reply, photos=self.photo_sizes(stored.blob)
        ).message.to_dict()

    async def _api_sendMediaGroup(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        chat = self._reachable_chat(args.get("chat_id"))
        media = args.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise ApiError(400, "Bad Request: wrong number of media items: must be 2-10")
        kinds = {item.get("type") for item in media}
        if not kinds <= {"photo", "document"}:
            raise self._unexpected(f"sendMediaGroup(media type {sorted(map(str, kinds))})")
        if len(kinds) > 1:
            raise ApiError(400, "Bad Request: document can't be mixed with another media types")
        for item in media:
            unknown = set(item) - {
                "type",
                "media",
                "caption",
                "parse_mode",
                "caption_entities",
                "show_caption_above_media",
                "has_spoiler",
            }
            if unknown:
                raise self._unexpected(f"sendMediaGroup(media.{','.join(sorted(unknown))})")
            self._validate_caption("sendMediaGroup", item)
        reply = self._reply_target(chat, args)
        stored = [
            self._bot_file("sendMediaGroup", item.get("media"), files, "media", item["type"])
            for item in media
        ]
        self._admit(chat)  # an album counts as one send here
        group_id = f"{chat.chat.id}{chat.last_message_id + 1}"
        results = []
        for item, (sf, fresh) in zip(media, stored, strict=True):
            if item["type"] == "photo":
                extra: JSON = {"photos": self.photo_sizes(sf.blob)}
            else:
                extra = {"document": sf if fresh else self._document_copy(sf)}
            record = self._new_bot_message(
                chat,
                "sendMediaGroup",
                args,
                reply=reply,
                media_group_id=group_id,
                caption_args=item,
                **extra,
            )
            results.append(record.message.to_dict())
        return results

    async def _api_sendChatAction(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        self._reachable_chat(args.get("chat_id"))
        return True

    def _editable(self, args: JSON, method: str) -> tuple[ChatRecord, SentMessage]:
        if "inline_message_id" in args:
            raise self._unexpected(f"{method}(inline_message_id)")
        chat = self._reachable_chat(args.get("chat_id"))
        message_id = args.get("message_id")
        if message_id not in chat.messages or (
            message_id in chat.sent and chat.sent[message_id].deleted
        ):
            raise ApiError(400, "Bad Request: message to edit not found")
        if message_id not in chat.sent:
            raise ApiError(400, "Bad Request: message can't be edited")
        return chat, chat.sent[message_id]

    def _apply_edit(
        self,
        chat: ChatRecord,
        record: SentMessage,
        method: str,
        *,
        text: str | None,
        caption: str | None,
        parse_mode: str | None,
        entities: object,
        markup: JSON | None,
    ) -> Any:
        inline = self._check_markup(markup)
        if (text, caption, markup) == (record.text, record.caption, record.reply_markup) and (
            parse_mode == record.parse_mode
        ):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        fields: JSON = {}
        if text is not None:
            fields["text"], fields["entities"] = self._render(method, text, parse_mode, entities)
            self._check_lengths(fields["text"], None)
        elif caption is not None:
            fields["caption"], fields["caption_entities"] = self._render(
                method, caption, parse_mode, entities
            )
            self._check_lengths(None, fields["caption"])
        old = record.message
        message = Message(
            message_id=old.message_id,
            date=old.date,
            chat=old.chat,
            from_user=old.from_user,
            reply_to_message=old.reply_to_message,
            reply_markup=inline,
            edit_date=self.now(),
            document=old.document,
            photo=old.photo,
            media_group_id=old.media_group_id,
            **fields,
        )
        record.history.append(
            {
                "text": record.text,
                "caption": record.caption,
                "parse_mode": record.parse_mode,
                "reply_markup": record.reply_markup,
            }
        )
        record.text, record.caption, record.parse_mode = text, caption, parse_mode
        record.reply_markup, record.message = markup, message
        chat.messages[message.message_id] = message
        self._record(Event("edited", chat.chat.id, message=record))
        return message.to_dict()

    async def _api_editMessageText(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        chat, record = self._editable(args, "editMessageText")
        if record.text is None:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        if not args.get("text"):
            raise ApiError(400, "Bad Request: message text is empty")
        return self._apply_edit(
            chat,
            record,
            "editMessageText",
            text=args["text"],
            caption=None,
            parse_mode=args.get("parse_mode"),
            entities=args.get("entities"),
            markup=args.get("reply_markup"),
        )

    async def _api_editMessageCaption(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        chat, record = self._editable(args, "editMessageCaption")
        if record.text is not None:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        caption = args.get("caption")
        return self._apply_edit(
            chat,
            record,
            "editMessageCaption",
            text=None,
            caption=caption,
            parse_mode=args.get("parse_mode") if caption is not None else None,
            entities=args.get("caption_entities"),
            markup=args.get("reply_markup"),
        )

    async def _api_editMessageReplyMarkup(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        chat, record = self._editable(args, "editMessageReplyMarkup")
        return self._apply_edit(
            chat,
            record,
            "editMessageReplyMarkup",
            text=record.text,
            caption=record.caption,
            parse_mode=record.parse_mode,
            entities=None,
            markup=args.get("reply_markup"),
        )

    async def _api_deleteMessage(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        chat = self._known_chat(args.get("chat_id"))
        message_id = args.get("message_id")
        record = chat.sent.get(message_id) if isinstance(message_id, int) else None
        if message_id not in chat.messages or (record is not None and record.deleted):
            raise ApiError(400, "Bad Request: message to delete not found")
        if record is None and chat.group is not None:
            raise ApiError(400, "Bad Request: message can't be deleted")
        if record is not None:
            record.deleted = True
        del chat.messages[message_id]
        self._record(Event("deleted", chat.chat.id, message=record))
        return True

    async def _api_answerCallbackQuery(self, args: JSON, files: Mapping[str, Upload]) -> Any:
        query_id = args.get("callback_query_id")
        query = self._queries.get(query_id) if isinstance(query_id, str) else None
        if query is None or query.answered:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        if "url" in args:
            raise self._unexpected("answerCallbackQuery(url)")
        check_callback_answer(args.get("text"))
        query.answered = True
        answer = CallbackAnswer(
            callback_query_id=str(query_id),
            chat_id=query.chat_id,
            text=args.get("text"),
            show_alert=bool(args.get("show_alert", False)),
        )
        self.callback_answers.append(answer)
        self._record(Event("answer", query.chat_id, answer=answer))
        return True
