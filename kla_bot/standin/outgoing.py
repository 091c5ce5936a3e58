"""Checking and storing what the bot sends: text, HTML entities, markup, replies and files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from telegram import InlineKeyboardMarkup, Message, MessageEntity

from kla_bot.standin.chats import ChatRecord, one_level
from kla_bot.standin.core import StandinCore
from kla_bot.standin.files import Blob, FileKind, FileNotKnown, StoredFile
from kla_bot.standin.html import EntityParseError, parse_html
from kla_bot.standin.limits import check_callback_data, check_caption, check_text
from kla_bot.standin.model import JSON, ApiError, Event, SentMessage, Upload

MAX_DOWNLOAD = 20 * 1024 * 1024
MAX_UPLOAD = 50 * 1024 * 1024
MAX_PHOTO = 10 * 1024 * 1024
PHOTO_SIZES = ((90, 67), (320, 240), (1280, 960))  # the last one is the original bytes


class OutgoingMessages(StandinCore):
    """The checks Telegram makes on a bot message, and the record of a message sent."""

    def photo_sizes(self, original: Blob) -> list[StoredFile]:
        """Telegram's photo sizes: small placeholders, then the original as the largest."""
        sizes = []
        for width, height in PHOTO_SIZES[:-1]:
            placeholder = f"standin-photo-{width}x{height}-{original.sha256}".encode()
            sizes.append(
                self.files.new_file(
                    self.files.add_bytes(placeholder), "photo", width=width, height=height
                )
            )
        width, height = PHOTO_SIZES[-1]
        sizes.append(self.files.new_file(original, "photo", width=width, height=height))
        return sizes

    # -- text, markup, replies ----------------------------------------------------------
    def _render(
        self, method: str, text: str, parse_mode: str | None, entities: object
    ) -> tuple[str, tuple[MessageEntity, ...]]:
        if not parse_mode:
            parsed = MessageEntity.de_list(entities, None) if isinstance(entities, list) else ()
            return text, tuple(parsed)
        if parse_mode.upper() != "HTML":
            raise self._unexpected(f"{method}(parse_mode={parse_mode})")
        try:
            result = parse_html(text)
        except EntityParseError as exc:
            raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        return result.plain, result.entities

    def _check_markup(self, markup: object) -> InlineKeyboardMarkup | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            for row in markup["inline_keyboard"]:
                for button in row:
                    if not button.get("text"):
                        raise ApiError(
                            400, "Bad Request: text buttons are unallowed in the inline keyboard"
                        )
                    check_callback_data(button.get("callback_data"))
            return InlineKeyboardMarkup.de_json(markup, None)
        if "keyboard" in markup:
            for row in markup["keyboard"]:
                for button in row:
                    text = button if isinstance(button, str) else button.get("text")
                    if not text:
                        raise ApiError(400, "Bad Request: keyboard button text is empty")
            return None
        if "remove_keyboard" in markup or "force_reply" in markup:
            return None
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")

    def _reply_target(self, chat: ChatRecord, args: JSON) -> Message | None:
        reply_parameters = args.get("reply_parameters") or {}
        message_id = reply_parameters.get("message_id", args.get("reply_to_message_id"))
        if message_id is None:
            return None
        if reply_parameters.get("chat_id") not in (None, chat.chat.id):
            raise self._unexpected("reply_parameters.chat_id (cross-chat reply)")
        allow = reply_parameters.get(
            "allow_sending_without_reply", args.get("allow_sending_without_reply")
        )
        message = chat.messages.get(message_id)
        if message is None:
            if allow:
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        return one_level(message)

    def _check_lengths(self, plain: str | None, caption: str | None) -> None:
        if plain is not None:
            check_text(plain)
        if caption is not None:
            check_caption(caption)

    def _new_bot_message(
        self,
        chat: ChatRecord,
        method: str,
        args: JSON,
        *,
        reply: Message | None,
        document: StoredFile | None = None,
        photos: Sequence[StoredFile] = (),
        media_group_id: str | None = None,
        caption_args: JSON | None = None,
    ) -> SentMessage:
        """Store one bot message (all checks passed) and return its record."""
        caption_args = args if caption_args is None else caption_args
        text: str | None = args.get("text") if method == "sendMessage" else None
        caption: str | None = caption_args.get("caption")
        parse_mode = (args if text is not None else caption_args).get("parse_mode")
        fields: JSON = {}
        if text is not None:
            fields["text"], fields["entities"] = self._render(
                method, text, parse_mode, args.get("entities")
            )
        if caption is not None:
            fields["caption"], fields["caption_entities"] = self._render(
                method, caption, parse_mode, caption_args.get("caption_entities")
            )
        if document is not None:
            fields["document"] = document.as_document()
        if photos:
            fields["photo"] = tuple(p.as_photo_size() for p in photos)
        markup_json = args.get("reply_markup")
        markup = self._check_markup(markup_json)
        message = Message(
            message_id=chat.next_message_id(),
            date=self.now(),
            chat=chat.chat,
            from_user=self.bot_user,
            reply_to_message=reply,
            reply_markup=markup,
            media_group_id=media_group_id,
            **fields,
        )
        record = SentMessage(
            chat_id=chat.chat.id,
            message_id=message.message_id,
            method=method,
            message=message,
            text=text,
            caption=caption,
            parse_mode=parse_mode,
            reply_markup=markup_json,
            reply_to_message_id=reply.message_id if reply else None,
            params=dict(args) | dict(caption_args),
            document=document,
            photo=photos[-1] if photos else None,
            media_group_id=media_group_id,
        )
        chat.messages[message.message_id] = message
        chat.sent[message.message_id] = record
        self.sent.append(record)
        self.stats.delivered[method] += 1
        file = document or (photos[-1] if photos else None)
        key = record.plain or (f"[{method} {file.file_unique_id}]" if file else "")
        self.stats.deliveries[(chat.chat.id, key)] += 1
        self._record(Event("sent", chat.chat.id, message=record))
        return record

    def _validate_text(self, method: str, args: JSON) -> None:
        text = args.get("text")
        if text is None:
            raise ApiError(400, "Bad Request: message text is empty")
        plain, _ = self._render(method, text, args.get("parse_mode"), args.get("entities"))
        self._check_lengths(plain, None)
        self._check_markup(args.get("reply_markup"))

    def _validate_caption(self, method: str, args: JSON) -> None:
        caption = args.get("caption")
        if caption is not None:
            plain, _ = self._render(
                method, caption, args.get("parse_mode"), args.get("caption_entities")
            )
            self._check_lengths(None, plain)
        self._check_markup(args.get("reply_markup"))

    # -- files from the bot -------------------------------------------------------------
    def _bot_file(
        self, method: str, value: object, files: Mapping[str, Upload], name: str, kind: FileKind
    ) -> tuple[StoredFile, bool]:
        """The StoredFile for a sent ``document``/``photo`` value; bool = freshly uploaded."""
        upload: Upload | None = None
        if value is None:
            upload = files.get(name)
        elif isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            raise self._unexpected(f"{method}({name}=URL)")
        elif isinstance(value, str):
            try:
                return self.files.by_id(value), False
            except FileNotKnown:
                raise ApiError(
                    400, "Bad Request: wrong file identifier/HTTP URL specified"
                ) from None
        if upload is None:
            raise ApiError(400, f"Bad Request: there is no {name} in the request")
        size = len(upload.content)
        if size > MAX_UPLOAD:
            raise ApiError(413, "Request Entity Too Large")
        if kind == "photo" and size > MAX_PHOTO:
            raise ApiError(400, "Bad Request: PHOTO_TOO_BIG: photo must be at most 10 MB")
        if size == 0:
            raise ApiError(400, "Bad Request: file must be non-empty")
        blob = self.files.add_bytes(upload.content)
        if kind == "photo":
            width, height = PHOTO_SIZES[-1]
            return self.files.new_file(blob, "photo", width=width, height=height), True
        return self.files.new_file(
            blob, "document", file_name=upload.filename, mime_type=upload.mime_type
        ), True

    def _document_copy(self, stored: StoredFile) -> StoredFile:
        return self.files.new_file(
            stored.blob,
            "document",
            file_name=stored.file_name,
            mime_type=stored.mime_type,
            claimed_size=stored.claimed_size,
        )
