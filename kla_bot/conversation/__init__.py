"""The conversation, channel-neutral: what a person sent (``inputs``), what the bot answers
(``replies``), and one ``Turn`` tying them to the dependencies and the channel's ``Port``.

The handlers in ``handlers/`` are written once against these types; each channel adapter
(``kla_bot.channels.telegram``, ``kla_bot.channels.whatsapp``) turns its updates into an
``Inbound`` and renders ``Reply`` values with what the channel has.
"""
