"""Domain operations in plain Python. No Telegram types here; results are plain dataclasses."""
