"""``companies-house-api``: profiles, PSCs, statements and charges of the companies that matter.

The companies that matter are the operators (``providers.company_number``),
the landlords (UK ``title_proprietors``) and, followed upward to ``--depth``
steps, every UK company found owning or controlling them. That is tens of
thousands of companies, not five million, so the REST API is the right tool:
600 requests per 5 minutes, every response cached on disk for a day, so a
re-run (or a run resumed after a kill) costs no requests for what it has seen.
"""

from __future__ import annotations

import os
import re
from collections import deque

from requests.auth import HTTPBasicAuth

from inspect_kit import Collector, Ended, Option, Rejected, Relationship, SourceError
from inspect_kit.http import HttpClient, RateLimiter
from inspect_kit.jurisdictions import country_code
from inspect_kit.matching import company_entity_id, normalise_company_number

from .charges import Charge, charge_record
from .profile import company_entity
from .personal import rejected_psc
from .psc import PscError, dumps, psc_records

BASE_URL = "https://api.company-information.service.gov.uk"
API_KEY_VARIABLE = "COMPANIES_HOUSE_API_KEY"
PAGE_SIZE = 100
CACHE_TTL = 24 * 60 * 60  # a day: registers change, but not by the hour
_COMPANY_NUMBER = re.compile(r"^(?:\d{8}|[A-Z]{2}\d{6})$")

SEED_SQL = """
select company_number from providers
 where valid_to is null and coalesce(company_number, '') != ''
union select substr(entity_id, 8) from providers
 where valid_to is null and entity_id like 'GB-COH-%' and entity_id not like '%/%'
union select company_number from title_proprietors
 where valid_to is null and coalesce(company_number, '') != ''
   and coalesce(country_incorporated, 'GB') = 'GB'
union select substr(entity_id, 8) from title_proprietors
 where valid_to is null and entity_id like 'GB-COH-%' and entity_id not like '%/%'
"""


class CompaniesHouseApiCollector(Collector):
    name = "companies-house-api"
    description = (
        "Companies House REST API: profile, persons with significant control, PSC statements "
        "and charges of operators, landlords and the companies above them."
    )
    takes_files = False
    options = (
        Option("companies", "Comma-separated company numbers to start from, instead of the "
               "operators and landlords in the registry."),
        Option("depth", "How many ownership steps to follow upward from each company.", default=5, type=int),
        Option("max_requests", "Requests allowed per window (Companies House allows 600 per 5 minutes).",
               default=600, type=int),
        Option("window", "The rate-limit window, in seconds.", default=300.0, type=float),
        Option("timeout", "Seconds to wait for each response.", default=30.0, type=float),
        Option("retries", "Retries of a request that fails, times out or is refused (429, 5xx).",
               default=5, type=int),
        Option("backoff", "Seconds of backoff before retrying; doubles on each retry.", default=1.0, type=float),
        Option("no_charges", "Do not fetch charges.", default=False, is_flag=True),
        Option("deadline", "Seconds the whole run may take before it stops (0: no limit).",
               default=6 * 60 * 60.0, type=float),
        Option("max_retry_after", "Longest Retry-After, in seconds, to wait for; a longer one stops the run.",
               default=300.0, type=float),
    )

    def collect(self, run):
        client = self._client(run)
        queue = deque((number, 0) for number in self._seeds(run))
        seen = {number for number, _ in queue}
        max_depth = run.options.get("depth")
        max_depth = 5 if max_depth is None else int(max_depth)
        bar = run.progress(total=len(queue), desc="companies", unit=" companies")
        try:
            while queue:
                number, depth = queue.popleft()
                parents = yield from self._company(client, run, number)
                bar.update(1)
                if depth >= max_depth:
                    continue
                for parent in parents:
                    if parent not in seen:
                        seen.add(parent)
                        queue.append((parent, depth + 1))
                        bar.total += 1
        finally:
            bar.close()

    # -- set-up ------------------------------------------------------------

    def _client(self, run) -> HttpClient:
        options = run.options
        base_url = run.base_url or BASE_URL
        key = os.environ.get(API_KEY_VARIABLE, "")
        if not key and base_url == BASE_URL:
            raise SourceError(f"{API_KEY_VARIABLE} is not set: Companies House needs an API key")

        def option(name, default):
            value = options.get(name)
            return default if value is None else value

        return HttpClient(
            base_url,
            # The key is the user name and the password is empty (curl -u KEY:).
            # It is read from the environment only, so it never lands in collection_runs.options.
            auth=HTTPBasicAuth(key, "") if key else None,
            rate=RateLimiter(int(option("max_requests", 600)), float(option("window", 300.0))),
            timeout=float(option("timeout", 30.0)),
            retries=int(option("retries", 5)),
            backoff=float(option("backoff", 1.0)),
            max_retry_after=float(option("max_retry_after", 300.0)),
            deadline=float(option("deadline", 6 * 60 * 60.0)) or None,
            cache_dir=run.cache_dir,
            cache_ttl=CACHE_TTL,
        )

    def _seeds(self, run) -> list[str]:
        given = run.options.get("companies")
        if given:
            numbers = [normalise_company_number(n) for n in re.split(r"[,\s]+", given)]
        else:
            numbers = [normalise_company_number(row[0]) for row in run.registry.conn.execute(SEED_SQL)]
        return sorted({n for n in numbers if n})

    # -- one company -------------------------------------------------------

    def _company(self, client, run, number):
        """Yield one company's records; return the UK company numbers that control it."""
        path = f"/company/{number}"
        run.source = client.url(path)
        profile = client.get_json(path)
        if profile is None:
            yield Rejected(f"company {number}: not found at Companies House (HTTP 404)",
                           raw=number, source=client.url(path))
            return []
        try:
            yield company_entity(profile)
        except ValueError as error:
            yield Rejected(f"company {number}: {error}", raw=dumps(profile), source=client.url(path))
        parents: list[str] = []
        delivered: set[str] = set()
        for list_path in (f"{path}/persons-with-significant-control",
                          f"{path}/persons-with-significant-control-statements"):
            for url, item in self._pages(client, list_path):
                for record in self._psc(number, item, url, parents):
                    if isinstance(record, Relationship):
                        delivered.add(record.id)
                    yield record
        # The lists are this company's whole register: what this collector saw
        # before and is no longer there has gone.
        yield from _ended(run, Relationship, "id", "subject_id", company_entity_id(number), delivered)
        if not run.options.get("no_charges"):
            charges: set[str] = set()
            for url, item in self._pages(client, f"{path}/charges"):
                try:
                    charge = charge_record(number, item)
                except ValueError as error:
                    yield Rejected(f"charge of {number}: {error}", raw=dumps(item), source=url)
                    continue
                charges.add(charge.charge_id)
                yield charge
            yield from _ended(run, Charge, "charge_id", "company_number", number, charges)
        return parents

    def _psc(self, number, item, url, parents):
        try:
            records = psc_records(number, item)
        except PscError as error:
            yield rejected_psc(f"company {number}: {error}", dumps(item), item=item, source=url)
            return
        parent = uk_parent(item)
        if parent:
            parents.append(parent)
        yield from records

    def _pages(self, client, path):
        """Every item of a paged list (``start_index`` from 0), with the page's URL.

        A server that answers every page with the same items (ignoring
        ``start_index``) is stopped at the second such page: no page is read twice.
        """
        start = 0
        previous = None
        while True:
            params = {"items_per_page": PAGE_SIZE, "start_index": start}
            body = client.get_json(path, params)
            if not body:
                return  # 404: the company has no such list
            url = client.url(path, params)
            items = body.get("items") or [] if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise SourceError(f"{url}: expected a JSON object with an 'items' list")
            if items and items == previous:
                raise SourceError(f"{url}: the same items as the page before (start_index ignored); stopping")
            previous = items
            for item in items:
                yield url, item
            start += len(items)
            # The server may send fewer items than asked for: the total decides.
            total = body.get("total_results", body.get("total_count"))
            if not items or (total is None and len(items) < PAGE_SIZE):
                return
            if isinstance(total, int) and start >= total:
                return


def _ended(run, record_class, key, owner_column, owner, delivered):
    """``Ended`` for the rows of one company this collector delivered before and not now."""
    table = record_class.__table__
    previous = run.registry.conn.execute(
        f"select {key} from {table} where {owner_column} = ? and source = ? and valid_to is null",
        (owner, run.collector),
    )
    for (value,) in previous:
        if value not in delivered:
            other = {k: owner for k in record_class.__key__ if k != key}
            yield Ended(record_class, {key: value, **other})


def uk_parent(item: dict) -> str | None:
    """The Companies House number of a corporate PSC registered in the UK, else None.

    Filers type the register freely ("England", "Companies House", "Register of
    Companies for England and Wales"); numbers come unpadded ("5498655").
    """
    if not str(item.get("kind", "")).startswith("corporate-entity"):
        return None
    identification = item.get("identification") or {}
    places = (identification.get("country_registered"), identification.get("place_registered"))
    if "GB" not in {country_code(p) for p in places}:
        return None
    number = normalise_company_number(identification.get("registration_number"))
    return number if number and _COMPANY_NUMBER.match(number) else None
