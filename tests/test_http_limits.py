"""Every HTTP run ends, with one clear line: deadlines, Retry-After, dripping servers, page cycles, keys, file names.

Against real local servers speaking the CQC, Companies House and HM Land
Registry API shapes: pytest-httpserver, and a plain threaded ``http.server``
for a server that drips its body a byte at a time.
"""

from __future__ import annotations

import email.utils
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Response

from inspect_kit import SourceError
from inspect_kit.cli import cli
from inspect_kit.downloads import file_name_of, safe_file_name
from inspect_kit.http import HttpClient

CQC_KEY = "cqc-test-key"
CH_KEY = "ch-test-key"


def one_line_error(result) -> str:
    """The CLI's error: exit 1, one line, no traceback."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(lines) == 1, result.output
    return lines[0]


def location_page(page: int, next_uri: str | None, ids: list[str]) -> dict:
    """A CQC /locations page, in the API's shape."""
    return {"total": 4, "firstPageUri": "/locations?page=1&perPage=2", "page": page, "previousPageUri": None,
            "lastPageUri": "/locations?page=2&perPage=2", "nextPageUri": next_uri, "perPage": 2, "totalPages": 2,
            "locations": [{"locationId": i, "locationName": f"Home {i}", "postalCode": "EX1 1AA"} for i in ids],
            "uri": "/locations"}


def cqc(db, base_url, *args):
    command = ["collect", "cqc-api", "--db", str(db), "--base-url", base_url, "--per-page", "2", "--backoff", "0",
               "--rate", "0", "--no-progress", *args]
    return CliRunner().invoke(cli, command, env={"CQC_SUBSCRIPTION_KEY": CQC_KEY})


@pytest.fixture
def other_host():
    """A second server, on another port: another host as far as the key is concerned."""
    server = HTTPServer(host="127.0.0.1")
    server.start()
    seen = []

    def record(request):
        seen.append(dict(request.headers))
        return Response(json.dumps(location_page(2, None, [])), content_type="application/json")

    server.expect_request("/locations").respond_with_handler(record)
    server.seen = seen
    yield server
    server.clear()
    server.stop()


# -- Retry-After -----------------------------------------------------------------


@pytest.mark.parametrize("retry_after", ["3600", "http-date"])
def test_a_long_retry_after_stops_the_run_at_once(httpserver, tmp_path, retry_after):
    if retry_after == "http-date":
        retry_after = email.utils.formatdate(time.time() + 3600, usegmt=True)
    httpserver.expect_request("/locations").respond_with_json(
        {"statusCode": 429, "message": "Rate limit is exceeded."}, status=429, headers={"Retry-After": retry_after})
    started = time.monotonic()
    line = one_line_error(cqc(tmp_path / "r.db", httpserver.url_for("/")))
    assert "Retry-After" in line and "more than the 300 s allowed" in line
    assert time.monotonic() - started < 60  # it did not wait the hour
    assert len(httpserver.log) == 1


def test_a_short_retry_after_date_is_obeyed(httpserver):
    answers = [Response("{}", status=429, headers={"Retry-After": email.utils.formatdate(time.time() + 1, usegmt=True)}),
               Response(json.dumps({"ok": True}), content_type="application/json")]
    httpserver.expect_request("/thing").respond_with_handler(lambda request: answers.pop(0))
    client = HttpClient(httpserver.url_for("/"), backoff=0, max_retry_after=30)
    assert client.get_json("/thing") == {"ok": True}


def test_the_cap_is_an_option(httpserver, tmp_path):
    httpserver.expect_request("/locations").respond_with_json({}, status=429, headers={"Retry-After": "90"})
    line = one_line_error(cqc(tmp_path / "r.db", httpserver.url_for("/"), "--max-retry-after", "60"))
    assert "wait 90 s" in line and "60 s allowed" in line


# -- a server that drips -----------------------------------------------------------


class Dripping(BaseHTTPRequestHandler):
    """Sends its headers, then a byte of JSON whitespace every 0.3 s: never silent long enough to time out."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        try:
            for _ in range(200):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.3)
        except OSError:
            pass  # the client gave up: what the test wants

    def log_message(self, *args):
        pass


@pytest.fixture
def dripping():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Dripping)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_dripping_server_cannot_defeat_the_timeout(dripping):
    client = HttpClient(dripping, timeout=1, retries=0)
    started = time.monotonic()
    with pytest.raises(SourceError, match="timed out .the response took more than 1 s"):
        client.get_json("/locations")
    assert time.monotonic() - started < 30  # the whole body would take 8 hours


def test_a_dripping_server_ends_the_cqc_run_with_one_line(dripping, tmp_path):
    line = one_line_error(cqc(tmp_path / "r.db", dripping, "--timeout", "1", "--retries", "0"))
    assert "timed out" in line


# -- the overall deadline ------------------------------------------------------------


def test_the_run_stops_at_its_deadline(server, tmp_path):
    httpserver = server  # its own: a request still being answered at the end disturbs no other test
    ids = [f"1-10{n:02d}" for n in range(20)]
    pages = {str(n): location_page(n, f"/locations?page={n + 1}&perPage=2&careHome=Y" if n < 10 else None,
                                   ids[2 * n - 2: 2 * n]) for n in range(1, 11)}

    def slow(request):
        time.sleep(0.4)
        return Response(json.dumps(pages[request.args.get("page", "1")]), content_type="application/json")

    httpserver.expect_request("/locations").respond_with_handler(slow)
    line = one_line_error(cqc(tmp_path / "r.db", httpserver.url_for("/"), "--deadline", "1"))
    assert "the run's deadline of 1 s" in line
    assert len(httpserver.log) < 10


# -- pages ---------------------------------------------------------------------------


def test_a_next_page_cycle_stops_with_a_clear_error(httpserver, tmp_path):
    pages = {"1": location_page(1, "/locations?page=2&perPage=2&careHome=Y", ["1-1001", "1-1002"]),
             "2": location_page(2, "/locations?careHome=Y&page=1&perPage=2", ["1-1003", "1-1004"])}
    httpserver.expect_request("/locations").respond_with_handler(
        lambda request: Response(json.dumps(pages[request.args["page"]]), content_type="application/json"))
    line = one_line_error(cqc(tmp_path / "r.db", httpserver.url_for("/")))
    assert "leads back to a page already read" in line and "after 2 pages" in line
    assert len(httpserver.log) == 2  # no page read twice


def test_the_key_never_goes_to_another_host(httpserver, other_host, tmp_path):
    elsewhere = other_host.url_for("/locations?page=2&perPage=2")
    httpserver.expect_request("/locations").respond_with_json(location_page(1, elsewhere, ["1-1001"]))
    line = one_line_error(cqc(tmp_path / "r.db", httpserver.url_for("/")))
    assert "another host" in line and CQC_KEY not in line
    assert other_host.seen == []  # not even asked


def test_a_redirect_to_another_host_loses_the_key(httpserver, other_host):
    httpserver.expect_request("/locations").respond_with_response(
        Response(status=302, headers={"Location": other_host.url_for("/locations")}))
    client = HttpClient(httpserver.url_for("/"), headers={"Ocp-Apim-Subscription-Key": CQC_KEY}, retries=0)
    client.get_json("/locations")
    (headers,) = other_host.seen
    assert "Ocp-Apim-Subscription-Key" not in headers and CQC_KEY not in json.dumps(headers)


def test_companies_house_auth_is_not_sent_on_a_redirect_to_another_host(httpserver, other_host):
    from requests.auth import HTTPBasicAuth

    httpserver.expect_request("/locations").respond_with_response(
        Response(status=302, headers={"Location": other_host.url_for("/locations")}))
    client = HttpClient(httpserver.url_for("/"), auth=HTTPBasicAuth(CH_KEY, ""), retries=0)
    client.get_json("/locations")
    (headers,) = other_host.seen
    assert "Authorization" not in headers


def companies_house(httpserver, psc_pages):
    """/company/01234567 and its PSC list, in the Companies House API's shapes."""
    httpserver.expect_request("/company/01234567").respond_with_json({
        "company_number": "01234567", "company_name": "EXAMPLE CARE LIMITED", "company_status": "active",
        "type": "ltd", "date_of_creation": "2001-01-01", "jurisdiction": "england-wales",
        "registered_office_address": {"address_line_1": "1 Road", "locality": "Exeter", "postal_code": "EX1 1AA"}})
    httpserver.expect_request("/company/01234567/persons-with-significant-control").respond_with_handler(psc_pages)
    for other in ("persons-with-significant-control-statements", "charges"):
        httpserver.expect_request(f"/company/01234567/{other}").respond_with_json(
            {"items": [], "total_results": 0, "items_per_page": 100, "start_index": 0})


def test_companies_house_stops_when_a_page_repeats(httpserver, tmp_path):
    person = {"kind": "individual-person-with-significant-control", "name": "Ann EXAMPLE",
              "name_elements": {"forename": "Ann", "surname": "EXAMPLE"}, "notified_on": "2016-04-06",
              "natures_of_control": ["ownership-of-shares-75-to-100-percent"], "nationality": "British",
              "country_of_residence": "England", "date_of_birth": {"month": 1, "year": 1970},
              "links": {"self": "/company/01234567/persons-with-significant-control/individual/abc"}}
    # Ignores start_index and gives no total: a naive client would read this page for ever.
    companies_house(httpserver, lambda request: Response(
        json.dumps({"items": [person] * 100, "items_per_page": 100, "start_index": 0}), content_type="application/json"))
    result = CliRunner().invoke(
        cli, ["collect", "companies-house-api", "--db", str(tmp_path / "r.db"), "--base-url", httpserver.url_for("/"),
              "--companies", "01234567", "--backoff", "0", "--no-progress"], env={"COMPANIES_HOUSE_API_KEY": CH_KEY})
    line = one_line_error(result)
    assert "the same items as the page before" in line
    assert len([entry for entry in httpserver.log if "persons-with-significant-control?" in entry[0].url]) == 2


def test_companies_house_retry_after_is_capped(httpserver, tmp_path):
    httpserver.expect_request("/company/01234567").respond_with_json({}, status=429, headers={"Retry-After": "3600"})
    result = CliRunner().invoke(
        cli, ["collect", "companies-house-api", "--db", str(tmp_path / "r.db"), "--base-url", httpserver.url_for("/"),
              "--companies", "01234567", "--no-progress"], env={"COMPANIES_HOUSE_API_KEY": CH_KEY})
    assert "Retry-After" in one_line_error(result)


# -- file names from servers -----------------------------------------------------------


@pytest.mark.parametrize("given, safe", [
    ("CCOD_FULL_2024_05.zip", "CCOD_FULL_2024_05.zip"),
    ("../../etc/cron.d/evil.zip", "evil.zip"),
    ("..\\..\\Windows\\evil.zip", "evil.zip"),
    ("/tmp/evil.zip", "evil.zip"),
    (".hidden", "hidden"),
    ("a\x00b\n.zip", "ab.zip"),
    ("01_May_2024_CQC directory.csv", "01_May_2024_CQC directory.csv"),
])
def test_server_file_names_are_reduced_to_a_safe_base_name(given, safe):
    assert safe_file_name(given) == safe


@pytest.mark.parametrize("given", ["..", "/", "", "../..", "\x00"])
def test_a_file_name_with_nothing_usable_is_refused(given):
    with pytest.raises(SourceError, match="no usable file name"):
        safe_file_name(given)


def test_a_url_encoded_traversal_in_a_link_stays_a_base_name():
    assert file_name_of("https://example.org/files/..%2F..%2Fevil.zip") == "evil.zip"
    assert file_name_of("https://example.org/..") == "download"


def test_hmlr_latest_file_name_cannot_leave_the_download_folder(httpserver, tmp_path, monkeypatch):
    monkeypatch.setenv("HMLR_API_KEY", "k")
    signed = httpserver.url_for("/bucket/file.zip") + "?X-Amz-Signature=abc"
    httpserver.expect_request("/api/v1/datasets/ccod").respond_with_json(
        {"success": True, "result": {"download_url": signed, "file_name": "../../outside/CCOD_FULL_2024_05.zip",
                                     "valid_for_seconds": 10}})
    httpserver.expect_request("/bucket/file.zip").respond_with_data(b"not really a zip")
    from inspect_kit.plugins import get_collectors

    downloads = tmp_path / "deep" / "downloads"
    paths = get_collectors()["ccod"].latest_files(downloads, page=httpserver.url_for("/api/v1"))
    assert paths == [downloads / "CCOD_FULL_2024_05.zip"]
    assert not (tmp_path / "outside").exists()
