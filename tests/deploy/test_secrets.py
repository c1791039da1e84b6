"""Secrets are the operator's, never the repository's: the gateway refuses a short or
placeholder JWT key at start, and the manifests ship no Secret values."""
from __future__ import annotations

import secrets

import pytest

from services.gateway.tokens import TokenCodec
from tests.faults.harness import eventually

PLACEHOLDER = "REPLACE_ME-long-random-string-for-the-jwt-key"


@pytest.mark.parametrize("key", ["", None])
def test_no_key_gives_a_key_of_this_process_for_a_try_out(key):
    assert len(TokenCodec.from_config({"JWT_SECRET": key}).secret) >= 32


@pytest.mark.parametrize("key, reason", [
    ("REPLACE_ME-long-random-string", "characters"),
    (PLACEHOLDER, "placeholder"),
    ("changeme-changeme-changeme-changeme", "placeholder"),
    ("ab" * 20, "too few"),
    ("123456", "characters"),
])
def test_a_short_or_placeholder_key_is_refused(key, reason):
    with pytest.raises(ValueError, match=reason):
        TokenCodec.from_config({"JWT_SECRET": key})


def test_a_generated_key_is_accepted():
    key = secrets.token_urlsafe(48)
    assert TokenCodec.from_config({"JWT_SECRET": key}).secret == key


def test_the_gateway_does_not_start_with_a_placeholder_key(run_service):
    gateway = run_service("gateway", KUAIBAN_JWT_SECRET=PLACEHOLDER,
                          KUAIBAN_ADMIN_PASSWORD=secrets.token_urlsafe(16))
    assert eventually(lambda: gateway.process.poll(), within=60,
                      what="the gateway to exit") != 0
    output = gateway.stdout_path.read_text() + gateway.stderr_path.read_text()
    assert "KUAIBAN_JWT_SECRET is refused: it is a placeholder" in output
