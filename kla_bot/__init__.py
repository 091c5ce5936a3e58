"""kla-bot: collect a KLA task force's missing evidence before verification day."""

__version__ = "0.1.0"
