"""The Telegram channel: updates become neutral inputs, replies go out through the Bot API."""
