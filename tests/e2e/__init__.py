"""End-to-end tests: the real ``python bot.py`` process against the stand-in over HTTP."""
