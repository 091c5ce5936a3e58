"""The bot in a terminal: the real Application against the in-process Bot API stand-in."""
