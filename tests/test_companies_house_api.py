"""The companies-house-api collector against a local server that speaks the CH REST API."""

import base64
import json
import re
import time
from dataclasses import dataclass

import pytest
from werkzeug import Response

from companies_house_support import REALDATA, by_id, collect, dump, open_registry, rows
from inspect_kit import Collector, Provider, SourceError, TitleProprietor
from inspect_kit_companies_house.charges import charge_record, title_numbers
from inspect_kit_companies_house.profile import company_entity

KEY = "fictional-test-key"
PAGE = 2  # the fake server sends at most two items a page, whatever is asked for


def profile(number, name, **extra):
    return {"company_number": number, "company_name": name, "type": "ltd", "company_status": "active",
            "jurisdiction": "england-wales", "date_of_creation": "2001-02-03", "sic_codes": ["87100"],
            "registered_office_address": {"address_line_1": "1 Fictional Road", "locality": "Leeds",
                                          "postal_code": "LS1 1AA"},
            "links": {"self": f"/company/{number}"}, **extra}


def corporate(company, psc_id, number, country, place="Companies House"):
    return {"kind": "corporate-entity-person-with-significant-control", "name": f"Owner of {company}",
            "identification": {"registration_number": number, "country_registered": country,
                               "place_registered": place, "legal_form": "Limited"},
            "natures_of_control": ["ownership-of-shares-75-to-100-percent"], "notified_on": "2016-04-06",
            "links": {"self": f"/company/{company}/persons-with-significant-control/corporate-entity/{psc_id}"}}


def individual(company, psc_id, name):
    return {"kind": "individual-person-with-significant-control", "name": name,
            "date_of_birth": {"month": 5, "year": 1970}, "nationality": "British",
            "address": {"premises": "7", "address_line_1": "Secret Street"},
            "natures_of_control": ["voting-rights-25-to-50-percent"], "notified_on": "2016-04-06",
            "links": {"self": f"/company/{company}/persons-with-significant-control/individual/{psc_id}"}}


COMPANIES = {
    # An operator, owned by a UK company registered under an unpadded number.
    "01234567": {
        "profile": profile("01234567", "FICTIONAL CARE LIMITED", has_charges=True),
        "psc": [corporate("01234567", "C1", "1112223", "England")],
        "charges": [{"id": "CHG1", "charge_code": "012345670001", "charge_number": 1, "status": "outstanding",
                     "created_on": "2015-01-02", "delivered_on": "2015-01-05",
                     "classification": {"type": "charge-description", "description": "Legal charge"},
                     "particulars": {"type": "short-particulars", "contains_fixed_charge": True,
                                     "description": "The freehold property known as 1 Example Street, "
                                                    "Middlesbrough registered under title numbers CE123456 and TES9876."},
                     "persons_entitled": [{"name": "Fictional Bank PLC"}],
                     "links": {"self": "/company/01234567/charges/CHG1"}}],
    },
    # The parent: five people (three pages) and a Scottish company above it.
    "01112223": {
        "profile": profile("01112223", "FICTIONAL HOLDINGS LIMITED"),
        "psc": [individual("01112223", f"P{i}", f"Person {i}") for i in range(1, 6)]
        + [corporate("01112223", "C2", "SC000111", "Scotland", "Registrar of Companies for Scotland")],
    },
    # The grandparent: owner unknown, and a Jersey company (not a CH company: not followed).
    "SC000111": {
        "profile": profile("SC000111", "FICTIONAL SCOTTISH TOPCO LIMITED", jurisdiction="scotland"),
        "psc": [corporate("SC000111", "C3", "99887", "Jersey", "Jersey Financial Services Commission")],
        "statements": [{"kind": "persons-with-significant-control-statement",
                        "statement": "psc-exists-but-not-identified", "notified_on": "2017-01-14",
                        "links": {"self": "/company/SC000111/persons-with-significant-control-statements/S1"}}],
    },
    # A landlord from CCOD, unpadded there.
    "00999999": {"profile": profile("00999999", "FICTIONAL PROPCO LIMITED")},
}


@dataclass
class Hang:
    seconds: float


class FakeCompaniesHouse:
    """Serves profiles, paged PSC lists, statements and charges; can be told to misbehave."""

    def __init__(self, httpserver, companies):
        self.server = httpserver
        self.companies = companies
        self.faults = {}  # path -> list of Response/Hang to serve first (a None entry: serve normally)
        self.always = {}  # path -> Response served every time
        self.seen = []  # (monotonic time, path, query)
        httpserver.expect_request(re.compile(r"^/company/.*")).respond_with_handler(self.handle)

    @property
    def url(self):
        return self.server.url_for("/")

    def handle(self, request):
        self.seen.append((time.monotonic(), request.path, request.query_string.decode()))
        expected = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return _json({"error": "Invalid Authorization", "type": "ch:service"}, 401)
        if request.path in self.always:
            return self.always[request.path]
        queued = self.faults.get(request.path)
        if queued:
            fault = queued.pop(0)
            if isinstance(fault, Hang):
                time.sleep(fault.seconds)
            elif fault is not None:
                return fault
        match = re.fullmatch(r"/company/([^/]+)(?:/(.*))?", request.path)
        number, part = match.groups()
        company = self.companies.get(number)
        if company is None:
            return _json({"errors": [{"error": "company-profile-not-found", "type": "ch:service"}]}, 404)
        if part is None:
            return _json(company["profile"])
        key = {"persons-with-significant-control": "psc",
               "persons-with-significant-control-statements": "statements", "charges": "charges"}.get(part)
        if key is None:
            return _json({}, 404)
        items = company.get(key, [])
        if not items and key != "charges":
            return _json({"errors": [{"error": "not-found"}]}, 404)
        start = int(request.args.get("start_index", 0))
        page = items[start:start + PAGE]
        total = {"total_count": len(items)} if key == "charges" else {"total_results": len(items)}
        return _json({"items": page, "start_index": start, "items_per_page": PAGE, **total})


def _json(body, status=200, headers=None):
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


class Seeds(Collector):
    """Puts operators and landlords in the registry, as the CQC and HMLR collectors would."""

    name = "seeds"
    description = "Test operators and landlords."
    takes_files = False

    def collect(self, run):
        yield Provider(provider_id="1-000000001", name="Fictional Care", company_number="01234567")
        yield Provider(provider_id="1-000000002", name="Gone Care", company_number="07777777")
        yield TitleProprietor(title_number="CE123456", position=1, name="FICTIONAL PROPCO LIMITED",
                              company_number="999999")
        # An OCOD proprietor: a foreign number, which is not a Companies House number.
        yield TitleProprietor(title_number="CE999999", position=1, name="ISLAND LIMITED",
                              company_number="12345", country_incorporated="JE")


@pytest.fixture
def api_key(monkeypatch):
    monkeypatch.setenv("COMPANIES_HOUSE_API_KEY", KEY)


@pytest.fixture
def fake(httpserver, api_key):
    return FakeCompaniesHouse(httpserver, json.loads(json.dumps(COMPANIES)))


@pytest.fixture
def registry(tmp_path):
    reg = open_registry(tmp_path / "registry.db")
    reg.collect(Seeds())
    yield reg
    reg.close()


FAST = {"backoff": 0.0, "timeout": 2.0, "retries": 2}


def run_api(registry, fake, cache_dir, **options):
    return collect(registry, "companies-house-api", base_url=fake.url, cache_dir=cache_dir, **{**FAST, **options})


def test_follows_operators_landlords_and_their_owners(registry, fake, tmp_path):
    report = run_api(registry, fake, tmp_path / "cache")
    entities = by_id(registry, "entities")
    operator = entities["GB-COH-01234567"]
    assert (operator["name"], operator["status"], operator["jurisdiction"]) == ("FICTIONAL CARE LIMITED", "active", "GB")
    assert operator["address"] == "1 Fictional Road, Leeds, LS1 1AA"
    assert entities["GB-COH-00999999"]["name"] == "FICTIONAL PROPCO LIMITED"  # the landlord, padded
    # Followed upward: the parent named by an unpadded number, then the Scottish grandparent.
    assert entities["GB-COH-01112223"]["name"] == "FICTIONAL HOLDINGS LIMITED"
    assert entities["GB-COH-SC000111"]["name"] == "FICTIONAL SCOTTISH TOPCO LIMITED"
    assert entities["GB-COH-01234567/psc/C1"]["company_number"] == "1112223"
    # Every page of a paged list (five people, two a page).
    people = [e for e in entities if e.startswith("GB-COH-01112223/psc/P")]
    assert len(people) == 5
    assert "Secret Street" not in json.dumps(dump(registry))
    statement = by_id(registry, "relationships")["GB-COH-SC000111/psc-statement/S1"]
    assert statement["unspecified_reason"] == "psc-exists-but-not-identified"
    assert statement["interested_party_id"] is None
    # The Jersey owner is recorded but not fetched: it is not a Companies House company.
    assert entities["GB-COH-SC000111/psc/C3"]["jurisdiction"] == "JE"
    paths = {path for _, path, _ in fake.seen}
    assert "/company/00099887" not in paths and "/company/00012345" not in paths
    # The operator that no longer exists is reported, not lost.
    rejected = rows(registry, "select error, source from rejected_records")
    assert [r["error"] for r in rejected] == ["company 07777777: not found at Companies House (HTTP 404)"]
    assert rejected[0]["source"].endswith("/company/07777777")
    charge = rows(registry, "select * from charges")[0]
    assert charge["company_id"] == "GB-COH-01234567"
    assert json.loads(charge["title_numbers"]) == ["CE123456", "TES9876"]
    assert json.loads(charge["persons_entitled"]) == ["Fictional Bank PLC"]
    assert report.rejected == 1


def test_depth_limit(registry, fake, tmp_path):
    run_api(registry, fake, tmp_path / "cache", companies="1234567", depth=1)
    entities = by_id(registry, "entities")
    assert "GB-COH-01112223" in entities
    assert "GB-COH-SC000111" not in entities
    assert not any(path.startswith("/company/SC000111") for _, path, _ in fake.seen)


def test_a_rerun_within_a_day_sends_no_requests(registry, fake, tmp_path):
    run_api(registry, fake, tmp_path / "cache")
    sent = len(fake.seen)
    before = dump(registry)
    report = run_api(registry, fake, tmp_path / "cache")
    assert len(fake.seen) == sent
    assert report.changed == 0
    assert dump(registry)["entities"] == before["entities"]


def test_429_with_retry_after_and_a_500_are_retried(registry, fake, tmp_path):
    profile_path = "/company/01234567"
    fake.faults[profile_path] = [_json({}, 429, {"Retry-After": "1"})]
    fake.faults["/company/01234567/persons-with-significant-control"] = [_json({}, 500)]
    run_api(registry, fake, tmp_path / "cache", companies="01234567", depth=0)
    times = [t for t, path, _ in fake.seen if path == profile_path]
    assert len(times) == 2
    assert times[1] - times[0] >= 0.9  # Retry-After: 1 was honoured
    assert "GB-COH-01234567/psc/C1" in by_id(registry, "entities")


def test_a_failing_server_changes_nothing_and_the_rerun_resumes(registry, fake, tmp_path):
    cache = tmp_path / "cache"
    fake.always["/company/01112223/persons-with-significant-control"] = _json({}, 500)
    before = dump(registry)
    with pytest.raises(SourceError, match=r"/company/01112223/persons-with-significant-control.*HTTP 500"):
        run_api(registry, fake, cache, retries=1)
    assert dump(registry) == before
    failed_run_requests = len(fake.seen)
    fake.always.clear()
    run_api(registry, fake, cache)
    resumed = fake.seen[failed_run_requests:]
    # What was fetched before the failure came from the cache.
    assert not any(path == "/company/01234567" for _, path, _ in resumed)
    assert any(path == "/company/01112223/persons-with-significant-control" for _, path, _ in resumed)

    # The resumed registry is the one an uninterrupted run builds.
    fresh = open_registry(tmp_path / "fresh.db")
    fresh.collect(Seeds())
    run_api(fresh, fake, tmp_path / "other-cache")
    for table in ("entities", "relationships", "charges"):
        assert dump(fresh)[table] == dump(registry)[table]
    fresh.close()


def test_a_hung_connection_times_out(registry, fake, tmp_path):
    fake.faults["/company/01234567"] = [Hang(0.6)]
    # The core's HttpClient words an exhausted read timeout as "could not connect";
    # what matters here is that the run stops with the URL instead of hanging.
    with pytest.raises(SourceError, match="/company/01234567: (timed out|could not connect)"):
        run_api(registry, fake, tmp_path / "cache", companies="01234567", timeout=0.2, retries=0)
    assert rows(registry, "select count(*) n from entities")[0]["n"] == 0
    time.sleep(0.6)  # the one-threaded server is still asleep: let it finish before the next test


def test_rate_limit_is_honoured(registry, fake, tmp_path):
    run_api(registry, fake, tmp_path / "cache", companies="01234567", depth=1, max_requests=3, window=0.4)
    times = [t for t, _, _ in fake.seen]
    assert len(times) >= 8
    # No four requests within one window.
    assert min(times[i + 3] - times[i] for i in range(len(times) - 3)) >= 0.35


def test_the_key_is_sent_and_never_stored(registry, fake, tmp_path):
    run_api(registry, fake, tmp_path / "cache", companies="00999999")
    assert "GB-COH-00999999" in by_id(registry, "entities")  # the fake refuses requests without the key
    assert KEY not in json.dumps(rows(registry, "select * from collection_runs"))


def test_no_key_for_the_real_api_is_a_clear_error(registry, monkeypatch, tmp_path):
    monkeypatch.delenv("COMPANIES_HOUSE_API_KEY", raising=False)
    with pytest.raises(SourceError, match="COMPANIES_HOUSE_API_KEY is not set"):
        collect(registry, "companies-house-api", cache_dir=tmp_path / "cache")


def test_real_charge_event_maps_with_its_title_number():
    event = json.loads((REALDATA / "ch_stream_charges_event_03743582.json").read_text())
    charge = charge_record("03743582", event["data"])
    assert charge.charge_id == "lU2iXRw6YRxJKZilva3Y-id6NfY"  # only in links.self: pre-2006, no id
    assert charge.charge_code is None and charge.charge_number == 4
    assert (charge.status, charge.created_on, charge.satisfied_on) == ("fully-satisfied", "1999-06-10", "2022-11-15")
    assert charge.classification == "Mortgage deed"
    assert json.loads(charge.title_numbers) == ["SF263128"]
    assert json.loads(charge.persons_entitled) == ["Lloyds Bank PLC"]
    assert charge.secured.startswith("All monies due")


def test_real_company_profile_maps():
    entity = company_entity(json.loads((REALDATA / "ch_company_profile_02578066.json").read_text()))
    assert entity.id == "GB-COH-02578066"
    assert (entity.name, entity.entity_type, entity.jurisdiction) == ("14 LAWN ROAD LIMITED", "company", "GB")
    assert (entity.status, entity.company_type, entity.incorporation_date) == ("active", "ltd", "1991-01-30")
    assert json.loads(entity.sic_codes) == ["98000"]
    assert entity.accounts_category == "total-exemption-full"
    assert entity.address == "14 Lawn Road, 1st Floor Flat, London, NW3 2XS, England"


def test_overseas_entity_profile_takes_its_home_jurisdiction():
    entity = company_entity({"company_number": "OE000123", "company_name": "HARBOUR ESTATES",
                             "type": "registered-overseas-entity", "company_status": "registered",
                             "jurisdiction": "united-kingdom",
                             "foreign_company_details": {"originating_registry": {"country": "JERSEY"}}})
    assert (entity.entity_type, entity.jurisdiction) == ("overseas_entity", "JE")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("F/Hold - 6 fearon green,norton,stoke on trent,staffs; SF263128. Together with", ["SF263128"]),
        ("Land at Flat B12, 3 High Street, Middlesbrough TS1 2AB", []),
        ("The property registered under title number 123456 and title no. WYK9999", ["WYK9999", "123456"]),
        (None, []),
    ],
)
def test_title_numbers_in_particulars(text, expected):
    assert title_numbers(text) == expected


def test_a_psc_or_charge_gone_from_a_company_is_ended(registry, fake, tmp_path):
    run_api(registry, fake, tmp_path / "cache", companies="01234567", depth=0)
    assert by_id(registry, "relationships")["GB-COH-01234567/psc/C1#ownership-of-shares-75-to-100-percent"]["valid_to"] is None
    fake.companies["01234567"]["psc"] = []
    fake.companies["01234567"]["charges"] = []
    report = run_api(registry, fake, tmp_path / "next-day-cache", companies="01234567", depth=0)
    assert report.ended == 2
    gone = by_id(registry, "relationships")["GB-COH-01234567/psc/C1#ownership-of-shares-75-to-100-percent"]
    assert gone["valid_to"] is not None
    assert rows(registry, "select valid_to from charges")[0]["valid_to"] is not None
