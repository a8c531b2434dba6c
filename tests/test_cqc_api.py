"""cqc-api against a local server that speaks the CQC API and misbehaves like it."""

import copy
import json
import re
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from helpers import table_rows
from inspect_kit_cqc.mapping import location_record, provider_record, rating_records
from werkzeug.wrappers import Response

from inspect_kit.cli import cli
from inspect_kit.http import HttpClient
from inspect_kit.registry import Registry

REALDATA = Path("/work/shared/realdata")
KEY = "test-subscription-key"


# -- the fake API --------------------------------------------------------------


def location(location_id, name, provider_id, *, care_home="Y", **extra):
    body = {
        "locationId": location_id,
        "providerId": provider_id,
        "organisationType": "Location",
        "type": "Social Care Org",
        "name": name,
        "registrationStatus": "Registered",
        "registrationDate": "2015-06-01",
        "postalAddressLine1": "1 Example Road",
        "postalAddressTownCity": "Exampleton",
        "region": "South West",
        "postalCode": "EX1 1AA",
        "onspdLatitude": 50.5,
        "onspdLongitude": -3.5,
        "careHome": care_home,
        "inspectionDirectorate": "Adult social care",
        "localAuthority": "Exampleshire",
        "relationships": [],
        "gacServiceTypes": [{"name": "Residential homes", "description": "Care home service without nursing"}]
        if care_home == "Y" else [{"name": "Homecare agencies", "description": "Domiciliary care service"}],
        "inspectionCategories": [{"code": "S1", "primary": "true", "name": "Residential social care"}],
        "specialisms": [{"name": "Dementia"}],
        "regulatedActivities": [],
    }
    body.update(extra)
    return body


def provider(provider_id, name, **extra):
    body = {"providerId": provider_id, "organisationType": "Provider", "ownershipType": "Organisation",
            "type": "Social Care Org", "name": name, "registrationStatus": "Registered",
            "postalAddressLine1": "9 Office Park", "postalAddressTownCity": "Exampleton", "postalCode": "EX9 9ZZ",
            "contacts": [], "relationships": [], "locationIds": []}
    body.update(extra)
    return body


def dataset():
    rated = {"overall": {"rating": "Good", "reportDate": "2025-03-14", "keyQuestionRatings": [
        {"name": "Safe", "rating": "Good"}]}, "reportDate": "2025-03-14"}
    locations = [
        location("1-1000", "Alder House", "1-9000", registrationStatus="Deregistered",
                 deregistrationDate="2024-01-31", numberOfBeds=38,
                 relationships=[{"relatedLocationId": "1-1001", "relatedLocationName": "Alder House",
                                 "type": "HSCA Successor", "reason": "Legal Entity Change"}]),
        location("1-1001", "Alder House", "1-9001", numberOfBeds=40, currentRatings=rated,
                 lastInspection={"date": "2025-01-20"}, uprn="100000000001",
                 postalAddressLine2="Little Example", postalAddressCounty="Exampleshire",
                 gacServiceTypes=[{"name": "Nursing homes", "description": "Care home service with nursing"},
                                  {"name": "Residential homes", "description": "Care home service without nursing"}],
                 specialisms=[{"name": "Caring for adults over 65 yrs"}, {"name": "Dementia"}],
                 regulatedActivities=[{"name": "Accommodation for persons who require nursing or personal care",
                                       "code": "RA2", "contacts": []}],
                 relationships=[{"relatedLocationId": "1-1000", "relatedLocationName": "Alder House",
                                 "type": "HSCA Predecessor", "reason": "Legal Entity Change"}]),
        # keys omitted rather than null: no beds, ratings, inspection or relationships
        {k: v for k, v in location("1-1002", "Birch Lodge", "1-9001").items()
         if k not in ("relationships", "onspdLatitude", "onspdLongitude", "specialisms")},
        location("1-1003", "Cedar Homecare", "1-9002", care_home="N", numberOfBeds=0),
        location("1-1004", "Damson Court", "1-9003", numberOfBeds=22),
        location("1-1005", "Elm View (removed)", "1-9001"),  # listed, but its detail is a 404
        location("1-1006", "Example Surgery", "1-9005", care_home="N", type="Primary Medical Services",
                 inspectionDirectorate="Primary medical services"),
    ]
    for number in range(7, 13):
        locations.append(location(f"1-10{number:02d}", f"Home {number}", "1-9004", numberOfBeds=number))
    providers = [
        provider("1-9000", "Old Alder Ltd", companiesHouseNumber="7654321", registrationStatus="Deregistered",
                 deregistrationDate="2024-01-31"),
        provider("1-9001", "Example Care Homes Limited", companiesHouseNumber="1234567", charityNumber="1000001"),
        provider("1-9002", "Cedar Support Ltd", companiesHouseNumber="02222222"),
        provider("1-9003", "Damson Healthcare", companiesHouseNumber="SC 12345", ownershipType="Partnership"),
        provider("1-9004", "Numbered Homes plc", companiesHouseNumber=" 04444444 "),
        provider("1-9005", "Example Partners", ownershipType="Partnership"),
    ]
    return {l["locationId"]: l for l in locations}, {p["providerId"]: p for p in providers}


class FakeCqc:
    """The CQC API's shapes: paged lists with relative nextPageUri, details, changes; and its failures."""

    def __init__(self):
        self.locations, self.providers = dataset()
        self.missing = {"1-1005"}  # detail answers 404
        self.changes = {"location": [], "provider": []}
        self.failures = {}  # path -> [(status, headers)] served before the real answer
        self.hangs = {}  # path -> number of times to hang before answering
        self.hang_seconds = 1.5
        self.dead_after = None  # after this many detail requests every request fails (the server died)
        self.log = []
        self.lock = threading.Lock()

    def requests(self, prefix=""):
        return [entry for entry in self.log if entry[0].startswith(prefix)]

    def __call__(self, request):
        path = request.path
        with self.lock:
            self.log.append((path, dict(request.args), time.monotonic()))
            details = sum(1 for p, *_ in self.log if p.count("/") == 2 and not p.startswith("/changes"))
            if self.dead_after is not None and details > self.dead_after:
                return Response("upstream gone", status=503)
            hangs = self.hangs.get(path, 0)
            if hangs:
                self.hangs[path] = hangs - 1
            failures = self.failures.get(path) or []
            failure = failures.pop(0) if failures else None
        if hangs:
            time.sleep(self.hang_seconds)
        if failure:
            status, headers = failure
            return Response(json.dumps({"statusCode": status, "message": "Rate limit is exceeded."}),
                            status=status, headers=headers, content_type="application/json")
        if not request.headers.get("User-Agent", "").startswith("inspect-kit/"):
            return Response("no user agent", status=403)
        if request.headers.get("Ocp-Apim-Subscription-Key") != KEY:
            return Response(json.dumps({"statusCode": 401, "message": "Access denied"}), status=401)
        parts = path.strip("/").split("/")
        if parts == ["locations"]:
            items = [l for l in self.locations.values() if self._matches(l, request.args)]
            rows = [{"locationId": l["locationId"], "locationName": l["name"], "postalCode": l["postalCode"]}
                    for l in items]
            return self._page("/locations", "locations", rows, request.args)
        if parts == ["providers"]:
            rows = [{"providerId": p["providerId"], "providerName": p["name"]} for p in self.providers.values()]
            return self._page("/providers", "providers", rows, request.args)
        if len(parts) == 2 and parts[0] == "changes":
            assert request.args.get("startTimestamp") and request.args.get("endTimestamp")
            return self._page(path, "changes", self.changes[parts[1]], request.args)
        if len(parts) == 2 and parts[0] in ("locations", "providers"):
            store = self.locations if parts[0] == "locations" else self.providers
            if parts[1] in self.missing or parts[1] not in store:
                return Response(json.dumps({"statusCode": 404, "message": "Resource not found"}), status=404)
            return Response(json.dumps(store[parts[1]], indent=2), content_type="application/json")
        return Response("no such endpoint", status=404)

    @staticmethod
    def _matches(location, args):
        if "careHome" in args and location.get("careHome") != args["careHome"]:
            return False
        if "inspectionDirectorate" in args and location.get("inspectionDirectorate") != args["inspectionDirectorate"]:
            return False
        return True

    @staticmethod
    def _page(uri, key, rows, args):
        page = int(args.get("page", 1))
        per_page = int(args.get("perPage", 1000))
        total_pages = max(1, -(-len(rows) // per_page))
        filters = {k: v for k, v in args.items() if k not in ("page", "perPage")}

        def link(number):
            return f"{uri}?{urlencode({'page': number, 'perPage': per_page, **filters})}"

        body = {
            "total": len(rows), "firstPageUri": link(1), "page": page,
            "previousPageUri": link(page - 1) if page > 1 else None,
            "lastPageUri": link(total_pages), "nextPageUri": link(page + 1) if page < total_pages else None,
            "perPage": per_page, "totalPages": total_pages,
            key: rows[(page - 1) * per_page: page * per_page], "uri": uri,
        }
        return Response(json.dumps(body), content_type="application/json")


@pytest.fixture
def fake(server):
    api = FakeCqc()
    server.expect_request(re.compile("^/.*"), method="GET").respond_with_handler(api)
    api.base_url = server.url_for("/")
    return api


def sync(db, fake, *args, cache_dir=None):
    command = ["collect", "cqc-api", "--db", str(db), "--base-url", fake.base_url, "--per-page", "3",
               "--backoff", "0", "--timeout", "5", "--rate", "0", *args]
    if cache_dir:
        command += ["--cache-dir", str(cache_dir)]
    return CliRunner().invoke(cli, command, env={"CQC_SUBSCRIPTION_KEY": KEY})


def rows_by(db, table, key):
    registry = Registry.open(db)
    try:
        return {row[key]: row for row in table_rows(registry, table)}
    finally:
        registry.close()


@pytest.fixture
def db(tmp_path):
    return tmp_path / "registry.db"


# -- full sync -----------------------------------------------------------------


def test_full_sync(db, fake):
    result = sync(db, fake)
    assert result.exit_code == 0, result.output
    homes = rows_by(db, "care_homes", "location_id")
    # care homes only; the 404 is skipped; the deregistered one is kept, and ended on its date
    assert sorted(homes) == ["1-1000", "1-1001", "1-1002", "1-1004"] + [f"1-10{n:02d}" for n in range(7, 13)]
    alder = homes["1-1001"]
    assert alder["name"] == "Alder House"
    assert alder["provider_id"] == "1-9001"
    assert alder["address"] == "1 Example Road, Little Example, Exampleton, Exampleshire"
    assert alder["beds"] == 40
    assert (alder["rating"], alder["rating_date"]) == ("Good", "2025-03-14")
    assert alder["last_inspection_date"] == "2025-01-20"
    assert (alder["latitude"], alder["longitude"]) == (50.5, -3.5)
    assert alder["registration_date"] == "2015-06-01"
    assert alder["status"] == "Registered"
    assert alder["uprn"] == "100000000001"
    assert alder["predecessor_id"] == "1-1000"
    assert json.loads(alder["service_types"]) == ["Care home service with nursing", "Care home service without nursing"]
    assert json.loads(alder["specialisms"]) == ["Caring for adults over 65 yrs", "Dementia"]
    assert json.loads(alder["regulated_activities"]) == [
        "Accommodation for persons who require nursing or personal care"]
    assert alder["valid_to"] is None
    old = homes["1-1000"]
    assert (old["status"], old["deregistration_date"], old["valid_to"]) == ("Deregistered", "2024-01-31", "2024-01-31")
    ratings = {(r["organisation_id"], r["domain"]): r for r in table_rows(Registry.open(db), "cqc_ratings")}
    assert sorted(ratings) == [("1-1001", "Overall"), ("1-1001", "Safe")]  # the deregistered one's are not kept
    assert (ratings[("1-1001", "Safe")]["rating"], ratings[("1-1001", "Safe")]["publication_date"]) == (
        "Good", "2025-03-14")
    birch = homes["1-1002"]
    assert (birch["beds"], birch["rating"], birch["latitude"], birch["predecessor_id"]) == (None, None, None, None)
    providers = rows_by(db, "providers", "provider_id")
    # the operators of the homes taken, not the homecare agency's or the GP's
    assert sorted(providers) == ["1-9000", "1-9001", "1-9003", "1-9004"]
    assert providers["1-9001"]["company_number"] == "01234567"
    assert providers["1-9001"]["charity_number"] == "1000001"
    assert providers["1-9003"]["company_number"] == "SC012345"
    assert providers["1-9003"]["ownership_type"] == "Partnership"
    assert providers["1-9004"]["company_number"] == "04444444"
    assert providers["1-9001"]["address"] == "9 Office Park, Exampleton"
    rejected = rows_by(db, "rejected_records", "id")
    assert [(r["source"], r["error"]) for r in rejected.values()] == [
        (fake.base_url + "locations/1-1005",
         f"CQC location 1-1005: not found (HTTP 404) at {fake.base_url}locations/1-1005")]
    # the list was paged (3 per page) by following nextPageUri, filtered to care homes
    pages = fake.requests("/locations")
    lists = [args for path, args, _ in pages if path == "/locations"]
    assert [a["page"] for a in lists] == ["1", "2", "3", "4"]
    assert all(a["careHome"] == "Y" for a in lists)


def test_all_social_care(db, fake):
    assert sync(db, fake, "--all-social-care").exit_code == 0
    homes = rows_by(db, "care_homes", "location_id")
    assert "1-1003" in homes and "1-1006" not in homes
    assert homes["1-1003"]["care_home"] == 0
    assert "1-9002" in rows_by(db, "providers", "provider_id")


def test_sends_key_and_user_agent(db, fake):
    result = CliRunner().invoke(cli, ["collect", "cqc-api", "--db", str(db), "--base-url", fake.base_url,
                                      "--retries", "0"], env={"CQC_SUBSCRIPTION_KEY": "wrong"})
    assert result.exit_code == 1
    assert "HTTP 401" in result.output and "CQC_SUBSCRIPTION_KEY" in result.output
    assert "Traceback" not in result.output


def test_the_key_is_never_stored(db, fake):
    assert sync(db, fake).exit_code == 0
    Registry.open(db).close()  # checkpoints the WAL into the file
    stored = b"".join(p.read_bytes() for p in db.parent.iterdir() if p.name.startswith(db.name))
    assert KEY.encode() not in stored


def test_retries_429_after_retry_after_and_500(db, fake):
    fake.failures["/locations/1-1001"] = [(429, {"Retry-After": "1"}), (500, {})]
    fake.failures["/locations"] = [(503, {})]
    result = sync(db, fake)
    assert result.exit_code == 0, result.output
    assert rows_by(db, "care_homes", "location_id")["1-1001"]["beds"] == 40
    times = [t for path, _, t in fake.log if path == "/locations/1-1001"]
    assert len(times) == 3
    assert times[1] - times[0] >= 0.9  # waited as Retry-After said


def test_gives_up_cleanly_when_the_server_keeps_failing(db, fake):
    fake.failures["/locations/1-1004"] = [(500, {})] * 10
    result = sync(db, fake, "--retries", "2")
    assert result.exit_code == 1
    assert "locations/1-1004: HTTP 500 after retries" in result.output
    assert rows_by(db, "care_homes", "location_id") == {}  # rolled back


def test_hung_connection_is_timed_out_and_retried(db, fake):
    fake.hangs["/locations/1-1002"] = 1
    result = sync(db, fake, "--timeout", "0.3")
    assert result.exit_code == 0, result.output
    assert "1-1002" in rows_by(db, "care_homes", "location_id")
    assert len(fake.requests("/locations/1-1002")) == 2


def test_connection_that_always_hangs_fails_with_a_clear_error(db, fake):
    fake.hangs["/locations/1-1002"] = 5
    fake.hang_seconds = 1.0
    result = sync(db, fake, "--timeout", "0.2", "--retries", "1")
    assert result.exit_code == 1
    assert "locations/1-1002:" in result.output
    assert "Traceback" not in result.output
    assert rows_by(db, "care_homes", "location_id") == {}


# -- incremental sync ----------------------------------------------------------


def test_incremental_sync(db, fake):
    assert sync(db, fake).exit_code == 0
    registry = Registry.open(db)
    last_sync = json.loads(registry.conn.execute(
        "select value from collector_state where collector = 'cqc-api' and key = 'last_sync'").fetchone()[0])
    registry.close()
    fake.log.clear()
    rated = {"overall": {"rating": "Requires improvement"}, "reportDate": "2026-01-10"}
    fake.locations["1-1002"]["currentRatings"] = rated
    fake.locations["1-1004"].update(registrationStatus="Deregistered", deregistrationDate="2026-02-01")
    fake.locations["1-1007"]["careHome"] = "N"
    fake.locations["1-1020"] = location("1-1020", "New Grange", "1-9006", numberOfBeds=18,
                                        relationships=[{"relatedLocationId": "1-1004", "type": "HSCA Predecessor",
                                                        "reason": "Change of ownership"}])
    fake.providers["1-9006"] = provider("1-9006", "New Grange Ltd", companiesHouseNumber="6666666")
    fake.providers["1-9001"]["name"] = "Example Care Homes (2026) Limited"
    fake.providers["1-9999"] = provider("1-9999", "Not An Operator Ltd")
    fake.changes = {"location": ["1-1002", "1-1004", "1-1007", "1-1020", "1-1099"],
                    "provider": ["1-9001", "1-9999"]}
    result = sync(db, fake)
    assert result.exit_code == 0, result.output
    # only the changes feed and the changed ids were asked for
    paths = sorted({path for path, _, _ in fake.log})
    assert paths == sorted(["/changes/location", "/changes/provider", "/locations/1-1002", "/locations/1-1004",
                            "/locations/1-1007", "/locations/1-1020", "/locations/1-1099", "/providers/1-9001",
                            "/providers/1-9006"])
    window = [args for path, args, _ in fake.log if path == "/changes/location"][0]
    assert window["startTimestamp"] == last_sync
    homes = rows_by(db, "care_homes", "location_id")
    assert (homes["1-1002"]["rating"], homes["1-1002"]["rating_date"]) == ("Requires improvement", "2026-01-10")
    assert homes["1-1002"]["valid_to"] is None
    assert homes["1-1004"]["valid_to"] == "2026-02-01"
    assert homes["1-1007"]["valid_to"] is not None  # no longer a care home
    assert homes["1-1020"]["predecessor_id"] == "1-1004"
    assert homes["1-1001"]["valid_to"] is None  # unchanged homes are not ended by an incremental sync
    ratings = {(r["organisation_id"], r["domain"]): r for r in table_rows(Registry.open(db), "cqc_ratings")}
    assert ratings[("1-1002", "Overall")]["rating"] == "Requires improvement"
    providers = rows_by(db, "providers", "provider_id")
    assert providers["1-9001"]["name"] == "Example Care Homes (2026) Limited"
    assert providers["1-9006"]["company_number"] == "06666666"
    assert "1-9999" not in providers
    rejected = table_rows(Registry.open(db), "rejected_records")
    assert [r["error"] for r in rejected if r["run_id"] == 2] == [
        f"CQC location 1-1099: not found (HTTP 404) at {fake.base_url}locations/1-1099"]
    # the history keeps the rating before the change
    history = table_rows(Registry.open(db), "care_homes_history")
    assert any(h["location_id"] == "1-1002" and h["rating"] is None for h in history)


def test_full_flag_ends_what_vanished(db, fake):
    assert sync(db, fake).exit_code == 0
    del fake.locations["1-1012"]
    assert sync(db, fake, "--full").exit_code == 0
    homes = rows_by(db, "care_homes", "location_id")
    assert homes["1-1012"]["valid_to"] is not None
    assert homes["1-1011"]["valid_to"] is None


def test_full_sync_twice_changes_nothing(db, fake, tmp_path):
    assert sync(db, fake).exit_code == 0
    result = sync(db, fake, "--full")
    assert result.exit_code == 0
    assert "0 rows changed, 0 ended" in result.output, result.output
    assert table_rows(Registry.open(db), "care_homes_history") == []


# -- resume --------------------------------------------------------------------


def registry_content(db):
    registry = Registry.open(db)
    try:
        return {table: table_rows(registry, table) for table in
                ("care_homes", "providers", "care_homes_history", "providers_history")}
    finally:
        registry.close()


def test_interrupted_sync_resumes_and_ends_the_same(tmp_path, fake):
    clean_db = tmp_path / "clean" / "registry.db"
    clean_db.parent.mkdir()
    assert sync(clean_db, fake).exit_code == 0
    uninterrupted_requests = len(fake.log)

    fake.log.clear()
    fake.dead_after = 6  # the server dies halfway through the location details
    db = tmp_path / "registry.db"
    result = sync(db, fake, "--retries", "1")
    assert result.exit_code == 1
    assert "503" in result.output or "repeated errors" in result.output
    assert rows_by(db, "care_homes", "location_id") == {}  # the failed run changed nothing

    fake.dead_after = None  # the server is back
    fake.log.clear()
    result = sync(db, fake)
    assert result.exit_code == 0, result.output
    assert len(fake.log) < uninterrupted_requests - 5  # what was fetched before is read from the cache
    assert registry_content(db) == registry_content(clean_db)


def test_keyboard_interrupt_then_resume(tmp_path, fake, monkeypatch):
    clean_db = tmp_path / "clean" / "registry.db"
    clean_db.parent.mkdir()
    assert sync(clean_db, fake).exit_code == 0
    uninterrupted_requests = len(fake.log)

    real_get = HttpClient.get_json
    calls = []

    def interrupted_get(self, *args, **kwargs):
        calls.append(args)
        if len(calls) > 9:
            raise KeyboardInterrupt
        return real_get(self, *args, **kwargs)

    monkeypatch.setattr(HttpClient, "get_json", interrupted_get)
    db = tmp_path / "registry.db"
    result = sync(db, fake)
    assert result.exit_code == 1
    assert "interrupted: the registry is unchanged" in result.output
    monkeypatch.setattr(HttpClient, "get_json", real_get)
    fake.log.clear()
    assert sync(db, fake).exit_code == 0
    assert len(fake.log) == uninterrupted_requests - 9
    assert registry_content(db) == registry_content(clean_db)


def test_next_sync_after_a_committed_one_does_not_reuse_its_cache(db, fake):
    assert sync(db, fake).exit_code == 0
    fake.log.clear()
    fake.locations["1-1001"]["numberOfBeds"] = 44
    assert sync(db, fake, "--full").exit_code == 0
    assert len(fake.requests("/locations/1-1001")) == 1
    assert rows_by(db, "care_homes", "location_id")["1-1001"]["beds"] == 44


# -- real records --------------------------------------------------------------


def real_locations():
    locations = [json.loads(line) for line in (REALDATA / "cqc_locations_sample.jsonl").read_text().splitlines()]
    locations.append(json.loads((REALDATA / "cqc_location_1-134558905.json").read_text()))
    return locations


def test_real_location_records_map():
    records = {r.location_id: r for r in map(location_record, real_locations())}
    assert len(records) == 6
    maison = records["1-112789029"]
    assert (maison.care_home, maison.beds, maison.rating, maison.rating_date) == (True, 15, "Good", "2017-08-31")
    assert maison.last_inspection_date == "2021-02-02"
    assert json.loads(maison.regulated_activities) == ["Accommodation for persons who require nursing or personal care"]
    assert json.loads(maison.service_types) == ["Care home service without nursing"]
    agape = records["1-112620463"]
    assert agape.status == "Deregistered" and agape.predecessor_id is None  # it is the predecessor, not the successor
    allied = records["1-134558905"]  # whitespace-only arrays, no numberOfBeds key, "No published rating"
    assert (allied.beds, allied.uprn, allied.rating, allied.rating_date) == (None, None, "No published rating", None)
    assert allied.regulated_activities is None and allied.predecessor_id is None
    assert allied.deregistration_date == "2016-11-28"
    assert records["1-112721881"].longitude is not None
    mosaic = {r.domain: r for r in rating_records(real_locations()[0], "location")}
    assert sorted(mosaic) == ["Caring", "Effective", "Overall", "Responsive", "Safe", "Well-led"]
    assert (mosaic["Caring"].rating, mosaic["Caring"].publication_date) == ("Good", "2018-01-18")
    assert not mosaic["Overall"].inherited


def test_real_provider_record_maps():
    record = provider_record(json.loads((REALDATA / "cqc_provider_1-118166130.json").read_text()))
    assert (record.provider_id, record.name, record.company_number) == (
        "1-118166130", "Ashfield Care Homes Limited", "02469345")
    assert record.ownership_type == "Organisation"
    assert record.address == "Throwleigh Lodge, Ridgeway, Horsell, Woking"


def test_real_records_through_a_full_sync(db, fake):
    """The real list page shape and real detail records, served by the fake API."""
    fake.locations = {l["locationId"]: l for l in real_locations()}
    real_provider = json.loads((REALDATA / "cqc_provider_1-118166130.json").read_text())
    fake.providers = {l["providerId"]: {**copy.deepcopy(real_provider), "providerId": l["providerId"]}
                      for l in fake.locations.values()}
    result = sync(db, fake, "--all-social-care")
    assert result.exit_code == 0, result.output
    homes = rows_by(db, "care_homes", "location_id")
    assert sorted(homes) == sorted(fake.locations)
    assert rows_by(db, "rejected_records", "id") == {}
    assert homes["1-112787350"]["valid_to"] == "2018-02-21"  # deregistered: ended on its date
    assert rows_by(db, "providers", "provider_id")["1-101685791"]["company_number"] == "02469345"


def test_real_list_page_pagination(db, fake, server):
    """The published page 1 (relative nextPageUri, null previousPageUri), then a last page."""
    page1 = json.loads((REALDATA / "cqc_api_locations_list_page1.json").read_text())
    real_ids = [item["locationId"] for item in page1["locations"]]
    page2 = {**page1, "page": 2, "nextPageUri": None, "previousPageUri": "/locations?page=1&perPage=5",
             "locations": [{"locationId": "1-1001", "locationName": "Alder House", "postalCode": "EX1 1AA"}]}
    base = fake

    def lists(request):
        body = page1 if request.args.get("page", "1") == "1" else page2
        base.log.append((request.path, dict(request.args), time.monotonic()))
        return Response(json.dumps(body), content_type="application/json")

    for location_id in real_ids:
        fake.locations[location_id] = location(location_id, "Real list item", "1-9001")
    server.clear()
    server.expect_request("/locations", method="GET").respond_with_handler(lists)
    server.expect_request(re.compile("^/.*"), method="GET").respond_with_handler(fake)
    assert sync(db, fake).exit_code == 0
    homes = rows_by(db, "care_homes", "location_id")
    assert set(real_ids) | {"1-1001"} <= set(homes)
    assert [args.get("page") for path, args, _ in fake.log if path == "/locations"] == ["1", "2"]
