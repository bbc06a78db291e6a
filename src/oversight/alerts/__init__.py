"""The alert hub: Alertmanager intake, routing to people by severity over Telegram, e-mail and
a WhatsApp proxy, acknowledgements, silences, escalation and on-call statistics."""
