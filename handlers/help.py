"""Handlers of the help area (filled in by its issue)."""

from __future__ import annotations

from handlers.registry import Feature

FEATURE = Feature(name="help")
