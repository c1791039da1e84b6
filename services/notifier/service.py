"""The notifier service: delivers alerts to the in-app inbox, webhooks and e-mail.

Each handled event becomes one notification (the inbox) and its deliveries (one per
configured webhook, one e-mail when SMTP is configured), stored together once. Deliveries go
out at once and, when a try fails, again with backoff from a timer (DELIVERY_SECONDS).
"""
from __future__ import annotations

import logging
from typing import Annotated, Optional

from nameko.dependency_providers import Config
from nameko.rpc import rpc
from pydantic import Field

from services.notifier import domain, usecases
from services.notifier.channels import DeliveryFailed, post_webhook, send_email
from services.notifier.repository import NotifierRepository
from shared.clock import Clock
from shared.handlers import on_event
from shared.jsonable import jsonable
from shared.schemas import PageQuery, Strict, page_of, validated
from shared.storage import Storage
from shared.timers import timer_from_config

log = logging.getLogger(__name__)

Address = Annotated[str, Field(max_length=200)]
Addresses = Annotated[list[Address], Field(min_length=1, max_length=10)]


class InboxQuery(PageQuery):
    """The caller's addresses (see domain.addresses_of), set by the gateway, never by the caller."""

    addresses: Addresses
    username: Annotated[str, Field(min_length=1, max_length=100)]
    unread: Optional[bool] = Field(default=None, description="true: only the unread ones")


class Reader(Strict):
    addresses: Addresses
    username: Annotated[str, Field(min_length=1, max_length=100)]


def notification_view(doc: dict, username: str) -> dict:
    return jsonable({
        "id": doc["_id"], "kind": doc["kind"], "title": doc["title"], "body": doc["body"],
        "recipients": doc["recipients"], "created_at": doc["created_at"], "data": doc["data"],
        "items": sorted(doc.get("items") or []),  # the policy items a gathered alert covers
        "read": username in doc.get("read_by", []),
    })


class NotifierService:
    name = "notifier"

    storage = Storage(NotifierRepository)
    clock = Clock()
    config = Config()

    @rpc
    def health(self):
        return {"service": self.name, "database": self.storage.ping()}

    # -- the inbox ---------------------------------------------------------------------------
    @rpc
    def inbox(self, query: dict) -> dict:
        q = validated(InboxQuery, query, ("query",))
        docs, total = self.storage.inbox(q.addresses, q.page, q.page_size,
                                         unread_by=q.username if q.unread else None)
        result = page_of([notification_view(d, q.username) for d in docs], total, q)
        result["unread"] = self.storage.unread(q.addresses, q.username)
        return result

    @rpc
    def unread_count(self, reader: dict) -> dict:
        who = validated(Reader, reader, ("query",))
        return {"unread": self.storage.unread(who.addresses, who.username)}

    @rpc
    def mark_read(self, notification_id: str, reader: dict) -> dict:
        who = validated(Reader, reader, ("query",))
        doc = self.storage.mark_read(notification_id, who.addresses, who.username,
                                     self.clock.now())
        return notification_view(doc, who.username)

    @rpc
    def deliveries(self, notification_id: str) -> list[dict]:
        return jsonable(self.storage.deliveries_of(notification_id))

    # -- what becomes an alert -----------------------------------------------------------------
    @on_event("sla", "sla_warning")
    def sla_warning(self, envelope, warning):
        self.notify_all(envelope, domain.sla_messages("sla_warning",
                                                      warning.model_dump(mode="json")))

    @on_event("sla", "sla_breached")
    def sla_breached(self, envelope, breached):
        self.notify_all(envelope, domain.sla_messages("sla_breached",
                                                      breached.model_dump(mode="json")))

    @on_event("leads", "lead_updated")
    def lead_became_major(self, envelope, updated):
        if updated.became_major:  # the green channel, whenever a lead becomes major
            self.notify(envelope, domain.became_major_message(updated.model_dump(mode="json")))
        else:
            self.storage.apply_once(envelope, lambda session: None)

    @on_event("leads", "four_ones_recorded")
    def project_lead_appointed(self, envelope, recorded):
        if recorded.project_lead_appointed and recorded.project_lead_username:
            self.notify(envelope, domain.project_lead_message(recorded.model_dump(mode="json")))
        else:
            self.storage.apply_once(envelope, lambda session: None)

    @on_event("teams", "lead_assigned")
    def major_lead_assigned(self, envelope, assigned):
        if assigned.major:  # the green channel (绿色服务通道): major projects only
            self.notify(envelope, domain.green_channel_message(assigned.model_dump(mode="json")))

    @on_event("teams", "lead_unrouted")
    def lead_in_triage(self, envelope, unrouted):
        self.notify(envelope, domain.triage_message(unrouted.model_dump(mode="json")))

    @on_event("branches", "trip_day_unreported")
    def trip_day_unreported(self, envelope, unreported):
        self.notify(envelope, domain.unreported_day_message(unreported.model_dump(mode="json")))

    @on_event("supervision", "problem_raised")
    def problem_raised(self, envelope, raised):
        self.notify(envelope, domain.problem_raised_message(raised.model_dump(mode="json")))

    @on_event("supervision", "problem_deadline_missed")
    def problem_deadline_missed(self, envelope, overdue):
        self.notify(envelope, domain.deadline_missed_message(overdue.model_dump(mode="json")))

    @on_event("supervision", "yellow_card_issued")
    def yellow_card_issued(self, envelope, card):
        self.notify(envelope, domain.yellow_card_message(card.model_dump(mode="json")))

    def notify(self, envelope, message: domain.Message) -> None:
        self.notify_all(envelope, [message])

    def notify_all(self, envelope, messages: list[domain.Message]) -> None:
        if usecases.notify_all(self.storage, envelope, messages, self.targets_for,
                               self.clock.now()):
            self.deliver_due()

    def targets_for(self, recipients: list[str]) -> list[tuple[str, object]]:
        """Where a notification to `recipients` goes besides the inbox: each webhook, and one
        e-mail to their mailboxes when SMTP is configured."""
        targets: list[tuple[str, object]] = [("webhook", url) for url in self.webhook_urls()]
        if self.config.get("SMTP_HOST"):
            mailboxes = domain.email_recipients(
                recipients, domain.parse_email_routes(self.config.get("EMAIL_ROUTES")),
                [e.strip() for e in str(self.config.get("SMTP_TO") or "").split(",") if e.strip()])
            if mailboxes:
                targets.append(("email", mailboxes))
        return targets

    def webhook_urls(self) -> list[str]:
        return [u.strip() for u in str(self.config.get("WEBHOOK_URLS") or "").split(",")
                if u.strip()]

    # -- delivery with retries -----------------------------------------------------------------
    @timer_from_config("DELIVERY_SECONDS", 10.0, eager=True)
    def retry_deliveries(self):
        return self.deliver_due()

    def deliver_due(self, limit: int = 100) -> int:
        sent = 0
        for _ in range(limit):
            now = self.clock.now()
            delivery = self.storage.claim_delivery(now)
            if delivery is None:
                break
            notification = self.storage.notification(delivery["notification_id"])
            try:
                self.send(delivery, notification)
            except Exception as exc:  # any failure is this delivery's: retried, then kept
                if not isinstance(exc, DeliveryFailed):  # a bug, not the receiver: say where
                    log.error("%s delivery %s could not be sent", delivery["channel"],
                              delivery["_id"], exc_info=True)
                attempts = delivery["attempts"] + 1
                max_attempts = int(self.config.get("DELIVERY_MAX_ATTEMPTS") or 6)
                retry_at = (None if attempts >= max_attempts else now + domain.backoff(
                    attempts, float(self.config.get("DELIVERY_RETRY_BASE_SECONDS") or 30)))
                log.warning("%s delivery %s failed (try %d): %s", delivery["channel"],
                            delivery["_id"], attempts, exc)
                self.storage.failed(delivery, str(exc), now, retry_at)
            else:
                self.storage.delivered(delivery["_id"], self.clock.now())
                sent += 1
        return sent

    def send(self, delivery: dict, notification: dict) -> None:
        if delivery["channel"] == "webhook":
            payload = {**notification_view(notification, ""), "delivery_id": delivery["_id"]}
            payload.pop("read")
            post_webhook(delivery["target"], payload, self.config.get("WEBHOOK_SECRET"),
                         delivery["_id"])
        else:
            send_email(self.config, delivery["target"], notification["title"],
                       notification["body"])
