"""One module per delivery channel; each sends one message or raises `DeliveryError`.

Channels take their settings and, for HTTP ones, an optional httpx transport (tests and
callers inject one; production uses the network). Errors never carry the URL (the Bot API
URL holds the bot token) or the recipient: only what went wrong.
"""

from oversight.alerts.notifiers.base import Button, DeliveryError, Message, RateLimited, Sent

__all__ = ["Button", "DeliveryError", "Message", "RateLimited", "Sent"]
