"""The WhatsApp Cloud API channel: webhook, rendering, templates, the conversation port."""
