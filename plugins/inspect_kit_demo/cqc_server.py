"""A local stand-in for the CQC public API, serving generated responses.

The demo (and the benchmark) point the ``cqc-api`` collector's ``--base-url`` at
it, so the collector runs exactly as it does against CQC: paginated sparse list
pages, then one detail call per location and provider. It speaks the real
shapes: the list envelope with relative page URIs, ``locationName`` in lists
but ``name`` in details, 404 for unknown ids and 400 for lower-case ones.
"""

from __future__ import annotations

import json
import math
import socket
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

PREFIX = "/public/v1"


class CqcData:
    """Locations and providers read from ``locations.jsonl`` and ``providers.jsonl``."""

    def __init__(self, directory: str | Path):
        directory = Path(directory)
        self.locations = self._read(directory / "locations.jsonl", "locationId")
        self.providers = self._read(directory / "providers.jsonl", "providerId")
        # The sparse list items, built once: (careHome, item) for locations.
        self.location_items = []
        for raw in self.locations.values():
            record = json.loads(raw)
            self.location_items.append((record.get("careHome"), {
                "locationId": record["locationId"], "locationName": record.get("name"),
                "postalCode": record.get("postalCode")}))
        self.provider_items = [{"providerId": pid, "providerName": json.loads(raw).get("name")}
                               for pid, raw in self.providers.items()]

    @staticmethod
    def _read(path: Path, key: str) -> dict[str, bytes]:
        # Keep each record as the bytes to send: national scale is ~20,000 records.
        records = {}
        with open(path, "rb") as lines:
            for line in lines:
                if line.strip():
                    records[json.loads(line)[key]] = line.rstrip(b"\n")
        return records


def _page(kind: str, items: list[dict], query: dict[str, list[str]]) -> dict:
    per_page = max(1, min(int(query.get("perPage", ["1000"])[0] or 1000), 10000))
    total_pages = max(1, math.ceil(len(items) / per_page))
    page = max(1, int(query.get("page", ["1"])[0] or 1))

    def uri(n):
        params = {k: v[0] for k, v in query.items() if k not in ("page", "perPage")}
        return f"/{kind}?" + urlencode({**params, "page": n, "perPage": per_page})

    return {
        "total": len(items),
        "firstPageUri": uri(1),
        "page": page,
        "previousPageUri": uri(page - 1) if page > 1 else None,
        "lastPageUri": uri(total_pages),
        "nextPageUri": uri(page + 1) if page < total_pages else None,
        "perPage": per_page,
        "totalPages": total_pages,
        kind: items[(page - 1) * per_page: page * per_page],
        "uri": f"/{kind}",
    }


def make_handler(data: CqcData):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            # Headers and body go out as separate writes; without this, Nagle's
            # algorithm and delayed ACKs add ~40 ms to every keep-alive request.
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format, *args):  # quiet: the demo shows progress bars instead
            pass

        def send_json(self, status: int, body) -> None:
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self):  # noqa: N802 (http.server's name)
            url = urlsplit(self.path)
            path = url.path[len(PREFIX):] if url.path.startswith(PREFIX) else url.path
            query = parse_qs(url.query)
            parts = [p for p in path.split("/") if p]
            if parts == ["locations"]:
                wanted = query.get("careHome")
                items = [item for care_home, item in data.location_items if not wanted or care_home in wanted]
                return self.send_json(200, _page("locations", items, query))
            if parts == ["providers"]:
                return self.send_json(200, _page("providers", data.provider_items, query))
            if len(parts) == 2 and parts[0] == "changes" and parts[1] in ("location", "provider"):
                return self.send_json(200, {"changes": [], "page": 1, "totalPages": 1, "total": 0,
                                            "nextPageUri": None, "previousPageUri": None})
            if len(parts) in (2, 3) and parts[0] in ("locations", "providers"):
                item_id = parts[1]
                if item_id != item_id.upper():
                    return self.send_json(400, {"statusCode": 400, "message": "Invalid id: use upper case"})
                store = data.locations if parts[0] == "locations" else data.providers
                raw = store.get(item_id)
                if raw is None:
                    return self.send_json(404, {"statusCode": 404, "message": f"{parts[0][:-1]} not found"})
                if len(parts) == 2:
                    return self.send_json(200, raw)
                if parts[0] == "providers" and parts[2] == "locations":
                    ids = json.loads(raw).get("locationIds", [])
                    items = [{"locationId": i, "locationName": json.loads(data.locations[i]).get("name"),
                              "postalCode": json.loads(data.locations[i]).get("postalCode")}
                             for i in ids if i in data.locations]
                    return self.send_json(200, _page("locations", items, query))
            return self.send_json(404, {"statusCode": 404, "message": "Resource not found"})

    return Handler


@contextmanager
def serve_cqc_api(directory: str | Path, host: str = "127.0.0.1", port: int = 0):
    """Serve the generated CQC API in a background thread; yields its base URL."""
    server = ThreadingHTTPServer((host, port), make_handler(CqcData(directory)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="cqc-api-demo", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}{PREFIX}"
    finally:
        server.shutdown()
        server.server_close()
