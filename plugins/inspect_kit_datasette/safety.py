"""The site safe from its own SQL: no script from query results, no side channels.

Anyone may run SQL, and a query's columns can shape a page: a ``popup`` column
becomes a link on the cluster map. Three layers keep that from running script
in a signed-in regulator's browser or reading what others do:

- ``SAFE_LINKS_SCRIPT`` strips any link whose URL is not http(s), mailto or
  relative (``javascript:``, ``data:``, ...) the moment it enters the page;
- ``content_security_policy`` sends a policy that allows only the site's own
  scripts and the exact inline scripts of each page (by hash), so a
  ``javascript:`` URL or an ``on...=`` attribute never runs even if one slipped
  through;
- ``authorizer``, set on every Datasette connection, refuses SQL that reads
  ``sqlite_stmt`` (the statements other requests prepared on a shared
  connection), ``dbstat`` and ``sqlite_dbpage`` (sizes and raw pages of every
  table, private ones too), and calls ``fts3_tokenizer`` (a native pointer) or
  ``load_extension``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import sqlite3

SIDE_CHANNEL_TABLES = frozenset({"sqlite_stmt", "dbstat", "sqlite_dbpage"})
SIDE_CHANNEL_FUNCTIONS = frozenset({"fts3_tokenizer", "load_extension"})


def authorizer(action, arg1, arg2, db_name, source):
    if action == sqlite3.SQLITE_READ and (arg1 or "").lower() in SIDE_CHANNEL_TABLES:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in SIDE_CHANNEL_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


SAFE_LINKS_SCRIPT = """
(function () {
  var SAFE = ["http:", "https:", "mailto:"];
  function clean(link) {
    var href = link.getAttribute("href");
    if (href === null) return;
    var url;
    try { url = new URL(href, document.baseURI); } catch (e) { url = null; }
    if (!url || SAFE.indexOf(url.protocol) < 0) link.removeAttribute("href");
  }
  function sweep(node) {
    if (node.nodeType !== 1) return;
    if (node.hasAttribute("href")) clean(node);
    node.querySelectorAll("[href]").forEach(clean);
  }
  sweep(document.documentElement);
  new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      if (change.type === "attributes") clean(change.target);
      else change.addedNodes.forEach(sweep);
    });
  }).observe(document.documentElement,
             {subtree: true, childList: true, attributes: true, attributeFilter: ["href"]});
})();
"""

POLICY = (
    "script-src 'self'{hashes}; object-src 'none'; base-uri 'none'; frame-src 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
_INLINE_SCRIPT = re.compile(rb"<script\b(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.S | re.I)


def policy_for(body: bytes) -> str:
    """The policy for one page: its own inline scripts are allowed by their SHA-256."""
    hashes = sorted({
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(body)
    })
    return POLICY.format(hashes="".join(" " + h for h in hashes))


def content_security_policy(app):
    """ASGI middleware: a Content-Security-Policy on every response, hashed per HTML page."""

    async def with_policy(scope, receive, send):
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        start = None
        chunks: list[bytes] = []

        async def send_with_policy(message):
            nonlocal start
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                if any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers):
                    start = message  # held back until the page is whole
                    return
                headers.append((b"content-security-policy", POLICY.format(hashes="").encode()))
                await send({**message, "headers": headers})
                return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            headers = [(k, v) for k, v in start.get("headers") or [] if k.lower() != b"content-length"]
            headers += [(b"content-length", str(len(body)).encode()),
                        (b"content-security-policy", policy_for(body).encode())]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await app(scope, receive, send_with_policy)

    return with_policy
