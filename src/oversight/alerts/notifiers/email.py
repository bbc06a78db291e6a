"""E-mail over SMTP (smtplib): STARTTLS and login when configured."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from oversight.alerts.notifiers.base import DeliveryError, Message, Sent
from oversight.config.alerts import SmtpChannel


class EmailNotifier:
    def __init__(self, settings: SmtpChannel) -> None:
        self._settings = settings

    @property
    def configured(self) -> bool:
        return self._settings.host is not None

    def send(self, to: str, message: Message) -> Sent:
        settings = self._settings
        if settings.host is None:
            raise DeliveryError("no SMTP host configured")
        mail = EmailMessage()
        mail["From"] = settings.sender
        mail["To"] = to
        mail["Subject"] = message.subject
        mail.set_content(message.text)
        try:
            with smtplib.SMTP(
                settings.host, settings.port, timeout=settings.timeout_seconds
            ) as smtp:
                if settings.starttls:
                    smtp.starttls()
                if settings.username and settings.password is not None:
                    smtp.login(settings.username, settings.password.get_secret_value())
                smtp.send_message(mail)
        except smtplib.SMTPResponseException as error:
            raise DeliveryError(f"SMTP {error.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(type(error).__name__) from None
        return Sent()
