"""`Idempotency-Key` on POST: the same key and body from the same caller within 24 h get the
first answer again and change nothing; the same key with another body is 422.

The key is claimed in the gateway's database (a unique `_id`: caller and key) before the work,
so two replicas cannot both run it: a second request meanwhile waits a little for the first
answer, then gets 409. The answer is recorded after the work; a 5xx answer is not (its outcome
is unknown): the key is marked retryable, so a retry with the same body runs again. A retry
that runs again, after a 503 or a gateway that died before recording, reaches the service with the same key
(`shared/idempotency.py`), which finds the document the first try stored instead of making a
second. A claim left by a dead gateway is taken over once it is older than any request can be.
A key older than 24 h is new again: what the services derive from it includes its first try.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from datetime import timedelta

import eventlet
from werkzeug.wrappers import Response

from services.gateway import problems
from services.gateway.repository import IDEMPOTENCY_KEPT_SECONDS
from shared.errors import Conflict, InvalidInput

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200
KEPT_FOR = timedelta(seconds=IDEMPOTENCY_KEPT_SECONDS)
# Longer than any request may take (each RPC gives up after 4 s): an older claim was left by
# a gateway that died, and a retry may take it over.
CLAIM_STALE_AFTER = timedelta(seconds=15)
WAIT_FOR_FIRST_SECONDS = 2.0
OPENAPI_PARAMETER = {
    "name": HEADER, "in": "header", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    "description": "the same key and body within 24 h return the first answer and change "
                   "nothing; the same key with another body is 422"}


def key_of(request) -> str | None:
    """The request's Idempotency-Key, or None; 422 when it is empty, too long or not text."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    problem = None
    if not key.strip():
        problem = "不能为空"
    elif len(key) > MAX_KEY_LENGTH:
        problem = f"最多 {MAX_KEY_LENGTH} 个字符（收到 {len(key)} 个）"
    elif not key.isprintable():
        problem = "只能含可打印字符"
    if problem:
        message = f"请求头 {HEADER}：{problem}"
        raise InvalidInput(message, {"errors": [{"loc": ["header", HEADER], "msg": message}]})
    return key


def fingerprint(request) -> str:
    """What makes two requests the same: method, path with query, and the body (as JSON
    when it is JSON, so spacing and key order do not matter)."""
    request.shallow = False  # as nameko's handler sets it before reading the body
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw.decode("utf-8")), sort_keys=True, ensure_ascii=False)
        body = body.encode("utf-8")
    except (UnicodeDecodeError, ValueError):
        body = raw
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.full_path.encode("utf-8"), body):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def answered_once(records, request, run) -> Response:
    """`run()`'s answer, once per caller and key; a POST without a key just runs."""
    try:
        key = key_of(request) if request.method == "POST" and request.principal else None
        if key is None:
            return run()
        return _answered_once(records, request, key, run)
    except Exception as exc:
        return problems.response_for(exc)


def _answered_once(records, request, key: str, run) -> Response:
    repository, clock = records.accounts, records.clock
    key_id = f"{request.principal['username']}\n{key}"
    print_ = fingerprint(request)
    waited_until = time.monotonic() + WAIT_FOR_FIRST_SECONDS
    while True:
        now = clock.now()
        claim = {"_id": key_id, "fingerprint": print_, "state": "in_progress",
                 "claim": uuid.uuid4().hex, "claimed_at": now, "created_at": now,
                 "first_try": uuid.uuid4().hex}
        found = repository.claim_idempotency_key(claim)
        if found is None:
            break
        if not found:
            continue  # expired between our insert and our read: claim again
        expired = found["created_at"] <= now - KEPT_FOR
        if expired and repository.take_over_idempotency_key(found, claim):
            break
        if expired:
            continue
        if found["fingerprint"] != print_:
            message = (f"请求头 {HEADER}：这个键已用于另一个请求（请求体或路径不同）；"
                       "新的请求请换一个键")
            raise InvalidInput(message, {"errors": [{"loc": ["header", HEADER], "msg": message}]})
        if found["state"] == "answered":
            return replay(found)
        stale = found["state"] == "in_progress" and found["claimed_at"] <= now - CLAIM_STALE_AFTER
        if found["state"] == "retryable" or stale:
            # Run again, as the same try: the service finds what an earlier run stored.
            claim.update(created_at=found["created_at"], first_try=found["first_try"])
            if repository.take_over_idempotency_key(found, claim):
                break
            continue
        if time.monotonic() >= waited_until:
            # Still running: the caller may send it again later (RFC 9110 lets 409 carry it).
            raise Conflict(f"同一 {HEADER} 的请求仍在处理中，请稍后重试",
                           {"idempotency_key": key, "retry_after": 1})
        eventlet.sleep(0.1)

    # The services name what they create by the caller, the key and the key's first try.
    request.idempotency_key = f"{key}\n{claim['first_try']}"
    try:
        response = run()
    except BaseException:
        repository.release_idempotency_key(claim)
        raise
    try:
        if response.status_code >= 500:
            repository.release_idempotency_key(claim)
        else:
            repository.record_idempotent_answer(claim, {
                "status": response.status_code, "body": response.get_data(),
                "content_type": response.content_type, "answered_at": clock.now()})
    except Exception:  # the work is done: answer it; a retry after the claim is stale re-runs
        log.error("the answer to %s key %r could not be recorded", request.path, key,
                  exc_info=True)
    return response


def replay(record: dict) -> Response:
    return Response(bytes(record["body"]), status=record["status"],
                    content_type=record["content_type"], headers={REPLAYED_HEADER: "true"})
