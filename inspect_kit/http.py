"""An HTTP client for collectors that must run unattended against public APIs.

It retries 429 (honouring ``Retry-After``) and 5xx with backoff through
urllib3's ``Retry``, times out every request, keeps to a request rate, and
caches responses on disk. The cache is what makes a killed sync resumable: the
run's database transaction is rolled back, but the responses it had fetched are
read back from disk on the next run instead of being requested again.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from . import __version__
from .api import SourceError

USER_AGENT = f"inspect-kit/{__version__} (+https://github.com/inspect-kit/inspect-kit)"


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
        cache_dir: str | Path | None = None,
        cache_ttl: float | None = None,
    ):
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self.rate = rate
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.cache_ttl = cache_ttl
        self.requests_sent = 0
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers["Accept"] = "application/json"
        self.session.headers.update(headers or {})
        self.session.auth = auth
        retry = Retry(
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
        url = urljoin(self.base_url, path.lstrip("/")) if not path.startswith("http") else path
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        return url

    def get_json(self, path: str, params: dict[str, Any] | None = None, *, allow_404: bool = True):
        """The decoded JSON body, or None for a 404 when ``allow_404``.

        Raises ``SourceError`` with the URL when the server keeps failing.
        """
        url = self.url(path, params)
        cached = self._read_cache(url)
        if cached is not None:
            status, body = cached
        else:
            if self.rate:
                self.rate.wait()
            self.requests_sent += 1
            try:
                response = self.session.get(url, timeout=self.timeout)
            except requests.RequestException as error:
                raise SourceError(f"{url}: {_reason(error)}") from None
            status = response.status_code
            if status == 404:
                body = None
            elif status >= 400:
                raise SourceError(f"{url}: HTTP {status} after retries")
            else:
                try:
                    body = response.json()
                except ValueError:
                    raise SourceError(f"{url}: the response is not JSON") from None
            self._write_cache(url, status, body)
        if status == 404:
            if allow_404:
                return None
            raise SourceError(f"{url}: not found (HTTP 404)")
        return body

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


def _reason(error: requests.RequestException) -> str:
    if isinstance(error, requests.Timeout) or "timed out" in str(error).lower():
        return "timed out"
    if isinstance(error, requests.exceptions.RetryError):
        return "gave up after repeated errors"
    if isinstance(error, requests.ConnectionError):
        return "could not connect"
    return str(error)
