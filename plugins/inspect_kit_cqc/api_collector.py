"""``cqc-api``: care homes and their operators from the CQC public API.

A full sync lists ``/locations`` (filtered to care homes, or to adult social
care), fetches every location's detail and then the detail of every provider
that runs one. An incremental sync asks ``/changes/location`` and
``/changes/provider`` what changed since the last successful sync and fetches
only those.

Resume: every response is cached on disk under a directory named after the
sync that fetched it, and the sync's start time is written to a marker file
before the first request. A killed run is rolled back by the core, but the
next run finds the marker of a sync that never committed, takes over its start
time (so it asks for the very same URLs) and reads the fetched responses back
from disk. Once a sync has committed its start time is the collector's
``last_sync`` state, and the next run starts afresh.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

from inspect_kit import (
    CareHome,
    Collector,
    Ended,
    Option,
    Provider,
    Rejected,
    SourceError,
)
from inspect_kit.http import HttpClient, RateLimiter

from .mapping import (
    as_date,
    is_social_care,
    location_record,
    provider_record,
    rating_records,
    text,
)
from .records import CqcRating

DEFAULT_BASE_URL = "https://api.service.cqc.org.uk/public/v1"
MARKER = "pending-sync.json"


def _utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class CqcApiCollector(Collector):
    name = "cqc-api"
    description = (
        "Care homes and their operators from the CQC public API: a full sync the first time "
        "(or with --full), then only what changed since the last successful sync."
    )
    takes_files = False
    # The subscription key is read from CQC_SUBSCRIPTION_KEY only, never taken as an
    # option: the core records every run's options in collection_runs, which is published.
    options = (
        Option("all_social_care", "Take every adult social care location, not only care homes.",
               is_flag=True),
        Option("full", "Do a full sync even when an earlier sync can be brought up to date.", is_flag=True),
        Option("rate", "Most requests per minute (0: no limit).", default=1000, type=int),
        Option("timeout", "Seconds to wait for any one response.", default=30.0, type=float),
        Option("retries", "Retries of a request that fails with 429, 5xx or a timeout.", default=5, type=int),
        Option("backoff", "Backoff factor in seconds between retries (doubles each time).",
               default=1.0, type=float),
        Option("per_page", "Items per list page.", default=500, type=int),
        Option("deadline", "Seconds the whole sync may take before it stops (0: no limit).",
               default=6 * 60 * 60.0, type=float),
        Option("max_retry_after", "Longest Retry-After, in seconds, to wait for; a longer one stops the sync.",
               default=300.0, type=float),
    )

    def collect(self, run) -> Iterator:
        options = run.options
        sync = SyncPlan.start(run, full=bool(options.get("full")),
                              all_social_care=bool(options.get("all_social_care")),
                              per_page=int(options.get("per_page") or 500))
        client = self._client(run, sync)
        try:
            yield from self._sync(client, run, sync)
        except SourceError as error:
            if "HTTP 401" in str(error) or "HTTP 403" in str(error):
                raise SourceError(f"{error} (is CQC_SUBSCRIPTION_KEY set to a valid key?)") from None
            raise

    def _sync(self, client, run, sync):
        if sync.mode == "full":
            run.full_snapshot(CareHome, Provider, CqcRating)
            location_ids = self._list_locations(client, run, sync)
            changed_providers = []
            operators: set[str] = set()
        else:
            location_ids = self._changed(client, run, sync, "location")
            changed_providers = self._changed(client, run, sync, "provider")
            operators = set(sync.operators_before)
        known_operators = set(operators)
        yield from self._locations(client, run, sync, location_ids, operators)
        # Operators: every provider in a full sync; in an incremental one, those
        # that changed and those seen for the first time.
        if sync.mode == "full":
            provider_ids = sorted(operators)
        else:
            provider_ids = [p for p in changed_providers if p in operators]
            provider_ids += sorted(operators - known_operators - set(provider_ids))
        yield from self._providers(client, run, sync, provider_ids)
        run.set_state("last_sync", sync.sync_id)
        run.set_state("operators", sorted(operators))

    # -- plumbing ------------------------------------------------------------

    def _client(self, run, sync) -> HttpClient:
        options = run.options
        headers = {}
        key = os.environ.get("CQC_SUBSCRIPTION_KEY", "").strip()
        if key:
            headers["Ocp-Apim-Subscription-Key"] = key
        rate = int(options.get("rate") if options.get("rate") is not None else 1000)
        return HttpClient(
            run.base_url or DEFAULT_BASE_URL,
            headers=headers,
            rate=RateLimiter(rate, 60.0) if rate > 0 else None,
            timeout=float(options.get("timeout") or 30.0),
            retries=int(options.get("retries") if options.get("retries") is not None else 5),
            backoff=float(options.get("backoff") if options.get("backoff") is not None else 1.0),
            max_retry_after=float(options.get("max_retry_after") if options.get("max_retry_after") is not None
                                  else 300.0),
            deadline=float(options.get("deadline") if options.get("deadline") is not None else 6 * 60 * 60.0) or None,
            cache_dir=sync.cache_dir,
        )

    def _pages(self, client: HttpClient, run, path: str, params: dict, items_key: str, label: str):
        """Every item of a paged list, following ``nextPageUri`` (relative to the API root).

        No page is read twice: a ``nextPageUri`` back to a page already read (a
        cycle) stops the sync, as does one to another host (``client.url``).
        """
        url = client.url(path, params)
        bar = run.progress(desc=label, unit=" pages")
        pages = 0
        read = set()
        while url:
            read.add(url)
            body = client.get_json(url, allow_404=False)
            if not isinstance(body, dict) or not isinstance(body.get(items_key, []), list):
                raise SourceError(f"{url}: expected a JSON object with a {items_key!r} list")
            pages += 1
            if pages == 1 and isinstance(body.get("totalPages"), int):
                bar.total = body["totalPages"]
            bar.update(1)
            yield from body.get(items_key) or []
            next_uri = text(body.get("nextPageUri"))
            if not next_uri:
                break
            next_url = client.url(next_uri)
            if next_url in read:
                raise SourceError(f"{url}: nextPageUri leads back to a page already read ({next_uri}), "
                                  f"after {pages:,} pages; stopping")
            url = next_url
        bar.close()

    def _list_locations(self, client, run, sync) -> list[str]:
        """Ids of the care homes (and other adult social care) that CQC lists.

        The list is filtered on the server, so a full sync costs one detail call per
        care home rather than one per location in England. Adult social care is
        asked for as well as care homes, not instead: some care homes have the
        inspection directorate "Unspecified".
        """
        filters = [{"careHome": "Y"}]
        if sync.all_social_care:
            filters.append({"inspectionDirectorate": "Adult social care"})
        ids = []
        for params in filters:
            label = "CQC locations list (" + ", ".join(f"{k}={v}" for k, v in params.items()) + ")"
            for item in self._pages(client, run, "/locations", {**params, "page": 1, "perPage": sync.per_page},
                                    "locations", label):
                location_id = text(item.get("locationId")) if isinstance(item, dict) else None
                if location_id:
                    ids.append(location_id)
        return list(dict.fromkeys(ids))

    def _changed(self, client, run, sync, kind: str) -> list[str]:
        params = {"startTimestamp": sync.since, "endTimestamp": sync.sync_id, "page": 1,
                  "perPage": sync.per_page}
        ids = [text(i) for i in self._pages(client, run, f"/changes/{kind}", params, "changes",
                                             f"CQC {kind} changes")]
        return list(dict.fromkeys(i for i in ids if i))

    def _detail(self, client, kind: str, item_id: str):
        """The detail JSON, or a ``Rejected`` naming the URL when CQC has no such id."""
        # CQC answers 400 to a lower-case id; ids are upper-case or digits.
        path = f"/{kind}s/{quote(item_id.upper(), safe='')}"
        url = client.url(path)
        body = client.get_json(path)
        if body is None:
            return Rejected(f"CQC {kind} {item_id}: not found (HTTP 404) at {url}", raw=url, source=url)
        if not isinstance(body, dict):
            return Rejected(f"CQC {kind} {item_id}: the response is not a JSON object", raw=json.dumps(body)[:2000],
                            source=url)
        return body

    def _locations(self, client, run, sync, location_ids, operators: set):
        """Care-home records (and ``Ended`` for deregistered ones); adds their providers to ``operators``."""
        for number, location_id in enumerate(run.progress(location_ids, desc="CQC locations", unit=" locations"), 1):
            body = self._detail(client, "location", location_id)
            if isinstance(body, Rejected):
                yield body
                continue
            wanted = body.get("careHome") == "Y" or (sync.all_social_care and is_social_care(body))
            if not wanted:
                # Not a care home (any more): in a changes feed, that ends it.
                if sync.mode == "incremental":
                    yield Ended(CareHome, {"location_id": location_id})
                continue
            url = client.url(f"/locations/{location_id}")
            try:
                record = location_record(body, line=number)
                ratings = rating_records(body, "location")
            except ValueError as error:
                yield Rejected(f"CQC location {location_id}: {error}", raw=json.dumps(body)[:10000], source=url)
                continue
            if not record.location_id:
                yield Rejected(f"{url}: the response has no locationId", raw=json.dumps(body)[:10000], source=url)
                continue
            if record.provider_id:
                operators.add(record.provider_id)
            if record.status != "Deregistered":
                yield from ratings
            yield from self._current_or_ended(sync, record, CareHome, {"location_id": record.location_id},
                                              record.deregistration_date)

    def _providers(self, client, run, sync, provider_ids):
        for number, provider_id in enumerate(run.progress(provider_ids, desc="CQC providers", unit=" providers"), 1):
            body = self._detail(client, "provider", provider_id)
            if isinstance(body, Rejected):
                yield body
                continue
            url = client.url(f"/providers/{provider_id}")
            record = provider_record(body, line=number)
            if not record.provider_id:
                yield Rejected(f"{url}: the response has no providerId", raw=json.dumps(body)[:10000], source=url)
                continue
            try:
                ended_on = as_date(body.get("deregistrationDate"))
            except ValueError as error:
                yield Rejected(f"CQC provider {provider_id}: {error}", raw=json.dumps(body)[:10000], source=url)
                continue
            yield from self._current_or_ended(sync, record, Provider, {"provider_id": record.provider_id}, ended_on)

    @staticmethod
    def _current_or_ended(sync, record, record_class, key, ended_on):
        """A deregistered record is kept with its final state and ended on its deregistration date.

        A full sync skips those deregistered before the last sync: they were
        ended then, and delivering them again would revive them for a moment
        and write a needless history row.
        """
        if record.status != "Deregistered":
            yield record
            return
        if sync.mode == "full" and sync.last_sync_date and (ended_on or "") < sync.last_sync_date:
            return
        yield record
        yield Ended(record_class, key, on=ended_on)


class SyncPlan:
    """What one sync asks for, and where its responses are cached; survives a killed run."""

    def __init__(self, *, sync_id, mode, since, all_social_care, per_page, cache_root, operators_before,
                 last_sync):
        self.sync_id = sync_id
        self.mode = mode
        self.since = since
        self.all_social_care = all_social_care
        self.per_page = per_page
        self.operators_before = list(operators_before)
        self.last_sync_date = last_sync[:10] if last_sync else None
        self.cache_dir = cache_root / ("sync-" + sync_id.replace(":", "")) if cache_root else None

    @classmethod
    def start(cls, run, *, full: bool, all_social_care: bool, per_page: int) -> "SyncPlan":
        last_sync = run.get_state("last_sync")
        if run.get_state("all_social_care", False) != all_social_care:
            full = True  # a different scope needs a full snapshot
        mode = "full" if full or not last_sync else "incremental"
        wanted = {"mode": mode, "since": None if mode == "full" else last_sync,
                  "all_social_care": all_social_care, "per_page": per_page,
                  "base_url": run.base_url or DEFAULT_BASE_URL}
        cache_root = Path(run.cache_dir) if run.cache_dir else None
        marker = cls._read_marker(cache_root)
        if marker and marker.get("sync_id") != last_sync and {k: marker.get(k) for k in wanted} == wanted:
            sync_id = marker["sync_id"]  # resume the sync that was killed
        else:
            sync_id = _utc_now()
            if cache_root:
                for old in cache_root.glob("sync-*"):
                    shutil.rmtree(old, ignore_errors=True)
                cache_root.mkdir(parents=True, exist_ok=True)
                (cache_root / MARKER).write_text(json.dumps({"sync_id": sync_id, **wanted}))
        run.set_state("all_social_care", all_social_care)
        return cls(sync_id=sync_id, mode=mode, since=wanted["since"], all_social_care=all_social_care,
                   per_page=per_page, cache_root=cache_root, operators_before=run.get_state("operators", []),
                   last_sync=last_sync)

    @staticmethod
    def _read_marker(cache_root):
        if not cache_root:
            return None
        try:
            return json.loads((cache_root / MARKER).read_text())
        except (OSError, ValueError):
            return None
