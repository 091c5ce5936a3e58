"""Errors a user caused (bad input, bad usage): reported in one line, exit status 2."""


class UserError(Exception):
    """Bad input or usage; the message is shown to the user as is."""
