"""Sending: a webhook POST and an e-mail over SMTP. Each raises on failure; the caller retries."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

import requests

from services.notifier.domain import SIGNATURE_HEADER, signature, webhook_body

TIMEOUT_SECONDS = 5


class DeliveryFailed(Exception):
    pass


def post_webhook(url: str, payload: dict, secret: str | None, delivery_id: str) -> None:
    body = webhook_body(payload)
    headers = {"Content-Type": "application/json; charset=utf-8",
               "X-Kuaiban-Delivery": delivery_id, "X-Kuaiban-Event": payload["kind"]}
    if secret:
        headers[SIGNATURE_HEADER] = signature(secret, body)
    try:
        response = requests.post(url, data=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"HTTP {response.status_code} from {url}")


def send_email(config: dict, to: list[str], subject: str, text: str) -> None:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config.get("SMTP_FROM") or "kuaiban@localhost"
    message["To"] = ", ".join(to)
    message.set_content(text)
    try:
        with smtplib.SMTP(config["SMTP_HOST"], int(config.get("SMTP_PORT") or 25),
                          timeout=TIMEOUT_SECONDS) as smtp:
            if str(config.get("SMTP_STARTTLS") or "").lower() in ("1", "true", "yes"):
                smtp.starttls()
            if config.get("SMTP_USER"):
                smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None
