"""An HTTP client for collectors that must run unattended against public APIs.

It retries 429 (honouring ``Retry-After``) and 5xx with backoff through
urllib3's ``Retry``, times out every request, keeps to a request rate, and
caches responses on disk. The cache is what makes a killed sync resumable: the
run's database transaction is rolled back, but the responses it had fetched are
read back from disk on the next run instead of being requested again.

Every run ends: a server cannot hold it for longer than the client allows.
- ``deadline``: seconds for the whole run; no request starts, and no retry
  waits, past it.
- ``max_retry_after``: a ``Retry-After`` (in seconds or as an HTTP date) asking
  for a longer wait is not obeyed: the request fails at once, saying so.
- ``timeout``: seconds for each wait for bytes, and for the whole body once
  the headers are in, so a server that drips a byte every few seconds is cut off.
- The API key goes to the configured host only: a link to another host is
  refused, and a redirect to one loses the key headers and the auth.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InvalidHeader
from urllib3.util.retry import Retry

from . import __version__
from .api import SourceError

USER_AGENT = f"inspect-kit/{__version__} (+https://github.com/inspect-kit/inspect-kit)"
READ_SIZE = 64 * 1024  # at most this much per read of a response body


class _GiveUp(Exception):
    """Raised from inside a retry to stop at once; its message is the reason."""


class _BoundedRetry(Retry):
    """urllib3's Retry that refuses a long Retry-After and never sleeps past the run's deadline.

    urllib3 copies a Retry with ``new()`` on every attempt, so the limits are
    class attributes of a subclass made per client (see ``HttpClient``).
    """

    max_retry_after: float = 300.0
    deadline: float | None = None
    deadline_at: float | None = None

    def sleep(self, response=None) -> None:
        wait, asked = None, False
        if response is not None and self.respect_retry_after_header:
            value = response.headers.get("Retry-After")
            try:
                wait = self.parse_retry_after(value) if value is not None else None
                asked = wait is not None
            except InvalidHeader:
                wait = None  # nonsense: back off as usual
        if asked and wait > self.max_retry_after:
            raise _GiveUp(f"the server asks to wait {wait:,.0f} s (Retry-After), more than the "
                          f"{self.max_retry_after:,.0f} s allowed; try again later")
        if not wait:
            wait = self.get_backoff_time()
        if self.deadline_at is not None and time.monotonic() + wait > self.deadline_at:
            raise _GiveUp(f"stopped, the run's deadline of {self.deadline:g} s would pass while waiting to retry")
        if wait > 0:
            time.sleep(wait)


class _Session(requests.Session):
    """A session whose key headers, like its auth, are not sent on after a redirect to another host."""

    secret_headers: tuple[str, ...] = ()

    def rebuild_auth(self, prepared_request, response):
        super().rebuild_auth(prepared_request, response)
        if self.should_strip_auth(response.request.url, prepared_request.url):
            for name in self.secret_headers:
                prepared_request.headers.pop(name, None)


class RateLimiter:
    """At most ``calls`` requests in any ``period`` seconds (a sliding window)."""

    def __init__(self, calls: int, period: float):
        self.calls = calls
        self.period = period
        self.sent: list[float] = []
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            self.sent = [t for t in self.sent if now - t < self.period]
            if len(self.sent) >= self.calls:
                time.sleep(self.period - (now - self.sent[0]))
                self.sent.pop(0)
            self.sent.append(time.monotonic())


class HttpClient:
    """GET JSON from one API, politely and resumably."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: dict[str, str] | None = None,
        auth: Any = None,
        rate: RateLimiter | None = None,
        timeout: float = 30.0,
        retries: int = 5,
        backoff: float = 1.0,
        max_retry_after: float = 300.0,
        deadline: float | None = None,
        cache_dir: str | Path | None = None,
        cache_ttl: float | None = None,
    ):
        self.base_url = base_url.rstrip("/") + "/"
        self.origin = _origin(self.base_url)
        self.timeout = timeout
        self.deadline = deadline
        self.deadline_at = time.monotonic() + deadline if deadline else None
        self.rate = rate
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.cache_ttl = cache_ttl
        self.requests_sent = 0
        self.session = _Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers["Accept"] = "application/json"
        self.session.headers.update(headers or {})
        self.session.secret_headers = tuple(headers or ())
        self.session.auth = auth
        retry_class = type("BoundedRetry", (_BoundedRetry,),
                           {"max_retry_after": max_retry_after, "deadline": deadline,
                            "deadline_at": self.deadline_at})
        retry = retry_class(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            backoff_factor=backoff,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=("GET", "HEAD"),
            respect_retry_after_header=True,
            raise_on_status=False,
            backoff_max=max_retry_after,
        )
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def url(self, path: str, params: dict[str, Any] | None = None) -> str:
        """The absolute URL of ``path`` (relative to the base URL, or absolute on the same host).

        Raises ``SourceError`` for a URL on another host: the client's key must
        never go there (an API's ``nextPageUri`` could name any host).
        """
        if urlsplit(path).scheme or path.startswith("//"):
            url = urljoin(self.base_url, path)
            if _origin(url) != self.origin:
                raise SourceError(f"{url}: refused, a link to another host than {self.origin} "
                                  "(the key is sent only to the configured one)")
        else:
            url = urljoin(self.base_url, path.lstrip("/"))
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        return url

    def get_json(self, path: str, params: dict[str, Any] | None = None, *, allow_404: bool = True):
        """The decoded JSON body, or None for a 404 when ``allow_404``.

        Raises ``SourceError`` with the URL when the server keeps failing, is
        too slow, or the run's deadline has passed.
        """
        url = self.url(path, params)
        cached = self._read_cache(url)
        if cached is not None:
            status, body = cached
        else:
            status, body = self._fetch_json(url)
            self._write_cache(url, status, body)
        if status == 404:
            if allow_404:
                return None
            raise SourceError(f"{url}: not found (HTTP 404)")
        return body

    def _fetch_json(self, url: str) -> tuple[int, Any]:
        self.check_deadline(url)
        if self.rate:
            self.rate.wait()
        self.requests_sent += 1
        try:
            response = self.session.get(url, timeout=self._socket_timeout(), stream=True)
        except _GiveUp as error:
            raise SourceError(f"{url}: {error}") from None
        except requests.RequestException as error:
            raise SourceError(f"{url}: {_reason(error)}") from None
        with response:
            status = response.status_code
            if status == 404:
                return status, None
            if status >= 400:
                raise SourceError(f"{url}: HTTP {status} after retries")
            content = self._read_body(url, response, time.monotonic())
        try:
            return status, json.loads(content)
        except (ValueError, RecursionError):
            raise SourceError(f"{url}: the response is not JSON") from None

    def _read_body(self, url: str, response, started: float) -> bytes:
        """The whole body, read a piece at a time so that it arrives within ``timeout`` of the headers.

        The socket timeout bounds only the wait for the next bytes; a server
        dripping a byte a second never trips it, this does.
        """
        limit = started + self.timeout
        if self.deadline_at is not None:
            limit = min(limit, self.deadline_at)
        parts = []
        while time.monotonic() <= limit:
            try:
                piece = response.raw.read1(READ_SIZE)
            except (OSError, urllib3.exceptions.HTTPError) as error:  # broken off, or silent too long
                raise SourceError(f"{url}: {_reason(error)}") from None
            if not piece:
                return b"".join(parts)
            parts.append(piece)
        raise SourceError(f"{url}: timed out (the response took more than {self.timeout:g} s)")

    def _socket_timeout(self) -> float:
        if self.deadline_at is None:
            return self.timeout
        return max(0.001, min(self.timeout, self.deadline_at - time.monotonic()))

    def check_deadline(self, what: str) -> None:
        """Raise ``SourceError`` once the run's deadline has passed."""
        if self.deadline_at is not None and time.monotonic() > self.deadline_at:
            raise SourceError(f"{what}: stopped, the run's deadline of {self.deadline:g} s has passed")

    # -- disk cache --------------------------------------------------------

    def _cache_path(self, url: str) -> Path | None:
        if self.cache_dir is None:
            return None
        digest = hashlib.sha256(url.encode()).hexdigest()
        return self.cache_dir / digest[:2] / f"{digest}.json"

    def _read_cache(self, url: str):
        path = self._cache_path(url)
        if path is None or not path.exists():
            return None
        if self.cache_ttl is not None and time.time() - path.stat().st_mtime > self.cache_ttl:
            return None
        try:
            entry = json.loads(path.read_text())
        except ValueError:
            return None
        return entry["status"], entry["body"]

    def _write_cache(self, url: str, status: int, body) -> None:
        path = self._cache_path(url)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps({"url": url, "status": status, "body": body}))
        partial.replace(path)  # atomic: a kill never leaves half an entry


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def _reason(error: Exception) -> str:
    if isinstance(error, requests.Timeout) or "timed out" in str(error).lower():
        return "timed out"
    if isinstance(error, requests.exceptions.RetryError):
        return "gave up after repeated errors"
    if isinstance(error, requests.ConnectionError):
        return "could not connect"
    return str(error)
