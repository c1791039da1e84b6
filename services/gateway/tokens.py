"""Passwords (argon2) and bearer tokens (JWT, HS256) for the gateway."""
from __future__ import annotations

import logging
import secrets
import time

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.gateway.problems import AuthError

log = logging.getLogger(__name__)
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# HS256 wants a key of at least its 256-bit output; 32 characters is the floor we accept.
MIN_SECRET_CHARS = 32
PLACEHOLDERS = ("replace_me", "replace-me", "changeme", "change-me", "change_me", "example",
                "placeholder", "your-secret", "secret-key", "${")


def weak_secret_reason(secret: str) -> str | None:
    """Why `secret` must not sign tokens (too short, a template's placeholder), or None."""
    if len(secret) < MIN_SECRET_CHARS:
        return f"it has {len(secret)} characters; at least {MIN_SECRET_CHARS} are needed"
    if any(p in secret.lower() for p in PLACEHOLDERS):
        return "it is a placeholder from a template"
    if len(set(secret)) < 10:
        return "it repeats too few characters to be random"
    return None


class TokenCodec:
    algorithm = "HS256"

    def __init__(self, secret: str, ttl_seconds: int):
        self.secret = secret
        self.ttl_seconds = ttl_seconds

    @classmethod
    def from_config(cls, config: dict) -> "TokenCodec":
        secret = config.get("JWT_SECRET")
        if not secret:
            # Tokens then die with this process and differ between replicas: fine for a try-out only.
            log.warning("KUAIBAN_JWT_SECRET is not set; using a secret for this process only")
            secret = secrets.token_urlsafe(32)
        elif (reason := weak_secret_reason(str(secret))) is not None:
            # Refuse to start: anyone who knows or guesses the key can sign any role's token.
            raise ValueError(f"KUAIBAN_JWT_SECRET is refused: {reason} "
                             "(generate one with `openssl rand -base64 48`)")
        return cls(secret, int(config.get("TOKEN_TTL_SECONDS") or 28800))

    def encode(self, user: dict) -> str:
        now = int(time.time())
        claims = {
            "sub": user["_id"], "role": user["role"], "iat": now, "exp": now + self.ttl_seconds,
            "team_id": user.get("team_id"), "branch_id": user.get("branch_id"),
            "department": user.get("department"),
            # Bumped on a password change or an admin's edit: older tokens stop working.
            "ver": user.get("token_version", 0),
        }
        return jwt.encode(claims, self.secret, algorithm=self.algorithm)

    def decode(self, token: str) -> dict:
        try:
            claims = jwt.decode(token, self.secret, algorithms=[self.algorithm],
                                options={"require": ["exp", "sub"]})
        except jwt.ExpiredSignatureError:
            raise AuthError("令牌已过期，请重新登录") from None
        except jwt.InvalidTokenError:
            raise AuthError("令牌无效") from None
        return {
            "username": claims["sub"], "role": claims.get("role"),
            "team_id": claims.get("team_id"), "branch_id": claims.get("branch_id"),
            "department": claims.get("department"), "token_version": claims.get("ver", 0),
        }
