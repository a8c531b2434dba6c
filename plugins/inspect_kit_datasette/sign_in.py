"""Who is a regulator: the token, the sign-in cookie and the brake on guessing.

A regulator proves it with the token in ``INSPECT_KIT_REGULATOR_TOKEN``, either
once at ``/-/regulator-sign-in`` (which sets Datasette's ``ds_actor`` cookie) or
on every request as ``Authorization: Bearer TOKEN``. The actor carries a key
derived from the token, so rotating the token signs everyone out even when the
signing secret stays the same. The cookie is HttpOnly (a script cannot read it),
SameSite=Strict (a link from another site does not carry it), Secure under
HTTPS, and expires. A blank token never matches, and a client that guesses
wrong too often is refused for a while, the right token included.
"""

from __future__ import annotations

import collections
import hashlib
import os
import secrets
import time

from datasette.utils import baseconv

TOKEN_ENV = "INSPECT_KIT_REGULATOR_TOKEN"
SESSION_SECONDS = 8 * 60 * 60
GUESSES = 5  # wrong tokens a client may try per window...
ALL_GUESSES = 50  # ...and all clients together
GUESS_WINDOW = 60.0


def regulator_token() -> str | None:
    """The configured token; a blank or whitespace-only one means sign-in is off."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    return token or None


def token_key(token: str) -> str:
    """A short digest of the token that the actor carries (never the token itself)."""
    return hashlib.sha256(b"inspect-kit regulator\0" + token.encode()).hexdigest()[:24]


def regulator_actor() -> dict:
    return {"id": "regulator", "role": "regulator", "key": token_key(regulator_token() or "")}


def is_regulator(actor) -> bool:
    """A regulator signed in with the token that is configured now."""
    token = regulator_token()
    if not (token and isinstance(actor, dict) and actor.get("role") == "regulator"):
        return False
    return secrets.compare_digest(str(actor.get("key", "")), token_key(token))


def token_matches(given) -> bool:
    token = regulator_token()
    given = (given or "").strip()
    return bool(token and given) and secrets.compare_digest(given.encode(), token.encode())


class Guesses:
    """Counts wrong tokens per client and overall, in a sliding window."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.failures: dict[str, collections.deque] = collections.defaultdict(collections.deque)
        self.everyone: collections.deque = collections.deque()

    def _recent(self, times: collections.deque) -> collections.deque:
        while times and self.clock() - times[0] > GUESS_WINDOW:
            times.popleft()
        return times

    def blocked(self, client: str) -> bool:
        return len(self._recent(self.failures[client])) >= GUESSES or len(self._recent(self.everyone)) >= ALL_GUESSES

    def failed(self, client: str) -> None:
        now = self.clock()
        self.failures[client].append(now)
        self.everyone.append(now)


GUESSED = Guesses()


def client_of(request) -> str:
    client = request.scope.get("client")
    return client[0] if client else "unknown"


def check_token(request, given) -> bool | None:
    """True for the right token, False for a wrong one, None while this client is refused."""
    client = client_of(request)
    if GUESSED.blocked(client):
        return None
    if token_matches(given):
        return True
    GUESSED.failed(client)
    return False


def actor_from_bearer(request) -> dict | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer " and regulator_token() and check_token(request, header[7:]):
        return regulator_actor()
    return None


def set_sign_in_cookie(datasette, request, response) -> None:
    expires = baseconv.base62.encode(int(time.time()) + SESSION_SECONDS)
    response.set_cookie(
        "ds_actor",
        datasette.sign({"a": regulator_actor(), "e": expires}, "actor"),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.scheme == "https" or bool(datasette.setting("force_https_urls")),
    )
