"""inspect_kit.downloads against a real local server: download pages, Range requests, resume, HMLR's API."""

import hashlib
import re
import sqlite3
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from werkzeug import Response

from inspect_kit import SourceError
from inspect_kit.cli import cli
from inspect_kit.downloads import date_in_name, download, fetch_latest, find_latest_link
from inspect_kit.http import HttpClient

FIXTURES = Path(__file__).parent / "fixtures" / "land_registry"

# Shaped like Companies House's download page (relative links, sizes in the text).
CH_PAGE = """<!DOCTYPE html><html><head><title>Free Company Data Product</title></head><body>
<h1>Free Company Data Product</h1>
<p>Last Updated: 01/06/2024</p>
<ul>
<li><a href="BasicCompanyDataAsOneFile-2024-05-01.zip">BasicCompanyDataAsOneFile-2024-05-01.zip  (452Mb)</a></li>
<li><a href="BasicCompanyData-2024-05-01-part1_7.zip">BasicCompanyData-2024-05-01-part1_7.zip  (67Mb)</a></li>
<li><a href="archive/BasicCompanyDataAsOneFile-2024-04-01.zip">BasicCompanyDataAsOneFile-2024-04-01.zip</a></li>
<li><a href="BasicCompanyDataAsOneFile-2024-06-01.zip">BasicCompanyDataAsOneFile-2024-06-01.zip  (455Mb)</a></li>
<li><a href="/help">Help</a></li>
</ul></body></html>"""

# Shaped like CQC's "using CQC data" page: absolute links, month names, folders by month.
CQC_PAGE = """<html><body><main>
<h2>Care directory</h2>
<p><a href="{base}/sites/default/files/2024-04/01_April_2024_CQC_directory.csv">Care directory with filters
(CSV, 4.1MB)</a></p>
<p><a href="{base}/sites/default/files/2024-05/01_May_2024_CQC_directory.csv">Care directory with filters
(CSV, 4.2MB)</a></p>
<p><a href="{base}/sites/default/files/2024-05/HSCA_Active_Locations_May_2024.ods">HSCA Active Locations</a></p>
</main></body></html>"""

PAYLOAD = bytes(range(256)) * 4000  # 1 MB of bytes that show any misplaced offset


def serve_file(data: bytes, *, requests_seen: list | None = None, break_after: int | None = None):
    """A werkzeug handler that serves ``data`` with Range support.

    With ``break_after`` the first full response stops after that many bytes and
    drops the connection, as a flaky network does.
    """
    state = {"broken": False}

    def handler(request):
        if requests_seen is not None:
            requests_seen.append(dict(request.headers))
        total = len(data)
        wanted = request.headers.get("Range")
        if wanted:
            start = int(re.match(r"bytes=(\d+)-", wanted).group(1))
            if start >= total:
                return Response(status=416, headers={"Content-Range": f"bytes */{total}"})
            body = data[start:]
            return Response(body, status=206, headers={
                "Content-Range": f"bytes {start}-{total - 1}/{total}", "Accept-Ranges": "bytes",
                "Content-Type": "application/zip"})
        if break_after is not None and not state["broken"]:
            state["broken"] = True

            def stream():
                yield data[:break_after]
                raise ConnectionResetError("network went away")

            return Response(stream(), headers={"Content-Length": str(total), "Content-Type": "application/zip"},
                            direct_passthrough=True)
        return Response(data, headers={"Accept-Ranges": "bytes", "Content-Type": "application/zip"})

    return handler


def client(url="http://localhost/", **kwargs):
    return HttpClient(url, backoff=0, timeout=kwargs.pop("timeout", 5), **kwargs)


def test_dates_in_publishers_file_names():
    assert str(date_in_name("BasicCompanyDataAsOneFile-2024-05-01.zip")) == "2024-05-01"
    assert str(date_in_name("CCOD_FULL_2024_05.zip")) == "2024-05-01"
    assert str(date_in_name("01_May_2024_CQC_directory.csv")) == "2024-05-01"
    assert str(date_in_name("HSCA_Active_Locations_September_2023.ods")) == "2023-09-01"
    assert str(date_in_name("persons-with-significant-control-snapshot-2024-05-02.zip")) == "2024-05-02"
    assert str(date_in_name("report%2001-12-2023.csv")) == "2023-12-01"
    assert date_in_name("ccod.csv") is None
    pattern = re.compile(r"X_(?P<month>\d\d)_(?P<year>\d{4})")
    assert str(date_in_name("X_07_2022", pattern)) == "2022-07-01"


def test_find_latest_link_picks_the_newest_date():
    url, name = find_latest_link(CH_PAGE, "https://download.example/en_output.html",
                                 r"^BasicCompanyDataAsOneFile-\d{4}-\d{2}-\d{2}\.zip$")
    assert url == "https://download.example/BasicCompanyDataAsOneFile-2024-06-01.zip"
    assert name == "BasicCompanyDataAsOneFile-2024-06-01.zip"
    page = CQC_PAGE.format(base="https://www.cqc.example")
    url, name = find_latest_link(page, "https://www.cqc.example/data", r"_CQC_directory\.csv$")
    assert url == "https://www.cqc.example/sites/default/files/2024-05/01_May_2024_CQC_directory.csv"


def test_find_latest_link_errors():
    with pytest.raises(SourceError, match=r"https://x/: no link matches 'nothing'"):
        find_latest_link(CH_PAGE, "https://x/", "nothing")
    page = '<a href="a.zip">a</a><a href="b.zip">b</a>'
    with pytest.raises(SourceError, match="2 links match .* but none has a date"):
        find_latest_link(page, "https://x/", r"\.zip$")


def test_fetch_latest_from_a_download_page(httpserver, tmp_path):
    httpserver.expect_request("/en_output.html").respond_with_data(CH_PAGE, content_type="text/html")
    httpserver.expect_request("/BasicCompanyDataAsOneFile-2024-06-01.zip").respond_with_handler(serve_file(PAYLOAD))
    path = fetch_latest(httpserver.url_for("/en_output.html"), r"^BasicCompanyDataAsOneFile-.*\.zip$",
                        tmp_path, client=client())
    assert path == tmp_path / "BasicCompanyDataAsOneFile-2024-06-01.zip"
    assert path.read_bytes() == PAYLOAD
    assert not (tmp_path / "BasicCompanyDataAsOneFile-2024-06-01.zip.part").exists()


def test_finished_download_is_not_fetched_again(httpserver, tmp_path):
    seen = []
    httpserver.expect_request("/en_output.html").respond_with_data(CH_PAGE, content_type="text/html")
    httpserver.expect_request("/BasicCompanyDataAsOneFile-2024-06-01.zip").respond_with_handler(
        serve_file(PAYLOAD, requests_seen=seen))
    for _ in range(2):
        path = fetch_latest(httpserver.url_for("/en_output.html"), r"^BasicCompanyDataAsOneFile-", tmp_path,
                            client=client())
    assert len(seen) == 1
    assert path.read_bytes() == PAYLOAD


def test_partial_download_resumes_with_a_range_request(httpserver, tmp_path):
    seen = []
    httpserver.expect_request("/files/CCOD_FULL_2024_05.zip").respond_with_handler(
        serve_file(PAYLOAD, requests_seen=seen))
    dest = tmp_path / "CCOD_FULL_2024_05.zip"
    (tmp_path / "CCOD_FULL_2024_05.zip.part").write_bytes(PAYLOAD[:300_001])  # an earlier run was killed
    assert download(httpserver.url_for("/files/CCOD_FULL_2024_05.zip"), dest, client=client()) == dest
    assert [h.get("Range") for h in seen] == ["bytes=300001-"]
    assert hashlib.sha256(dest.read_bytes()).digest() == hashlib.sha256(PAYLOAD).digest()


def test_complete_part_file_is_finished_without_refetching(httpserver, tmp_path):
    seen = []
    httpserver.expect_request("/f.zip").respond_with_handler(serve_file(PAYLOAD, requests_seen=seen))
    (tmp_path / "f.zip.part").write_bytes(PAYLOAD)
    dest = download(httpserver.url_for("/f.zip"), tmp_path / "f.zip", client=client())
    assert dest.read_bytes() == PAYLOAD
    assert [h.get("Range") for h in seen] == [f"bytes={len(PAYLOAD)}-"]


def test_server_ignoring_range_restarts_from_zero(httpserver, tmp_path):
    httpserver.expect_request("/f.zip").respond_with_data(PAYLOAD, content_type="application/zip")
    (tmp_path / "f.zip.part").write_bytes(b"stale bytes")
    dest = download(httpserver.url_for("/f.zip"), tmp_path / "f.zip", client=client())
    assert dest.read_bytes() == PAYLOAD


def test_interrupted_download_is_resumed(httpserver, tmp_path):
    seen = []
    httpserver.expect_request("/f.zip").respond_with_handler(
        serve_file(PAYLOAD, requests_seen=seen, break_after=400_000))
    dest = download(httpserver.url_for("/f.zip"), tmp_path / "f.zip", client=client())
    assert dest.read_bytes() == PAYLOAD
    assert seen[0].get("Range") is None
    assert seen[1].get("Range", "").startswith("bytes=")  # continued, not started again
    assert int(seen[1]["Range"][6:-1]) > 0


def test_short_body_keeps_the_part_for_next_time(httpserver, tmp_path):
    def short(request):
        return Response(PAYLOAD[:1000], headers={"Content-Range": f"bytes 0-999/{len(PAYLOAD)}"}, status=206)

    httpserver.expect_request("/f.zip").respond_with_handler(short)
    (tmp_path / "f.zip.part").write_bytes(b"")
    with pytest.raises(SourceError, match=r"f.zip: download incomplete .* run again to resume"):
        download(httpserver.url_for("/f.zip"), tmp_path / "f.zip", client=client())
    assert not (tmp_path / "f.zip").exists()


def test_http_errors_are_clear(httpserver, tmp_path):
    httpserver.expect_request("/gone.zip").respond_with_data("no", status=404)
    with pytest.raises(SourceError, match=r"^gone.zip: HTTP 404$"):
        download(httpserver.url_for("/gone.zip"), tmp_path / "gone.zip", client=client())
    httpserver.expect_request("/page").respond_with_data("down", status=503)
    with pytest.raises(SourceError, match="page: HTTP 503"):
        fetch_latest(httpserver.url_for("/page"), r"x", tmp_path, client=client(retries=1))


def test_retries_a_503_with_retry_after(httpserver, tmp_path):
    httpserver.expect_ordered_request("/f.zip").respond_with_data("busy", status=503, headers={"Retry-After": "0"})
    httpserver.expect_ordered_request("/f.zip").respond_with_data(PAYLOAD)
    dest = download(httpserver.url_for("/f.zip"), tmp_path / "f.zip", client=client(retries=2))
    assert dest.read_bytes() == PAYLOAD


def test_hung_server_times_out(httpserver, tmp_path):
    def hang(request):
        time.sleep(3)
        return Response(PAYLOAD)

    httpserver.expect_request("/slow.zip").respond_with_handler(hang)
    started = time.monotonic()
    with pytest.raises(SourceError, match="slow.zip: timed out"):
        download(httpserver.url_for("/slow.zip"), tmp_path / "slow.zip", client=client(retries=0, timeout=0.3))
    assert time.monotonic() - started < 2.5  # gave up long before the server answered


# -- HM Land Registry's API ---------------------------------------------------


def ccod_zip(tmp_path, name="CCOD_FULL_2024_05") -> bytes:
    path = tmp_path / "src.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(FIXTURES / "CCOD_FULL_2024_05.csv", f"{name}.csv")
    return path.read_bytes()


def test_collect_ccod_latest_end_to_end(httpserver, tmp_path, monkeypatch):
    monkeypatch.setenv("HMLR_API_KEY", "test-key-123")
    data = ccod_zip(tmp_path)
    file_requests = []
    signed = httpserver.url_for("/bucket/CCOD_FULL_2024_05.zip") + "?X-Amz-Expires=10&X-Amz-Signature=abc"
    httpserver.expect_request("/api/v1/datasets/ccod", headers={"Authorization": "test-key-123"}).respond_with_json(
        {"success": True, "result": {"download_url": signed, "resource": "CCOD_FULL_2024_05.zip",
                                     "valid_for_seconds": 10}})
    httpserver.expect_request("/bucket/CCOD_FULL_2024_05.zip").respond_with_handler(
        serve_file(data, requests_seen=file_requests))
    db = tmp_path / "r.db"
    downloads = tmp_path / "downloads"
    args = ["collect", "ccod", "--latest", "--latest-from", httpserver.url_for("/api/v1"),
            "--download-dir", str(downloads), "--db", str(db)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "ccod: 9 records read" in result.output
    assert (downloads / "CCOD_FULL_2024_05.zip").read_bytes() == data
    # The signed S3 URL must not receive the user's key.
    assert "Authorization" not in file_requests[0]
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*), min(valid_from) FROM titles").fetchone() == (4, "2024-05-01")
    assert conn.execute("SELECT source FROM collection_runs").fetchone() == ("CCOD_FULL_2024_05.zip",)
    # Run again: the file is there already and is not downloaded twice.
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert len(file_requests) == 1


def test_hmlr_resource_list_then_file(httpserver, tmp_path, monkeypatch):
    """The dataset answer may list files instead: take the newest full one and ask for its URL."""
    monkeypatch.setenv("HMLR_API_KEY", "k")
    data = ccod_zip(tmp_path, "OCOD_FULL_2024_06")
    httpserver.expect_request("/api/v1/datasets/ocod").respond_with_json({"success": True, "result": {
        "name": "ocod", "resources": [
            {"file_name": "OCOD_FULL_2024_05.zip", "file_size": 1},
            {"file_name": "OCOD_COU_2024_06.zip", "file_size": 1},
            {"file_name": "OCOD_FULL_2024_06.zip", "file_size": 1}]}})
    httpserver.expect_request("/api/v1/datasets/ocod/OCOD_FULL_2024_06.zip", headers={"Authorization": "k"}
                              ).respond_with_json({"success": True, "result": {
                                  "download_url": httpserver.url_for("/s3/OCOD_FULL_2024_06.zip?sig=1")}})
    httpserver.expect_request("/s3/OCOD_FULL_2024_06.zip").respond_with_data(data)
    from inspect_kit.plugins import get_collectors

    paths = get_collectors()["ocod"].latest_files(tmp_path / "dl", page=httpserver.url_for("/api/v1"))
    assert paths == [tmp_path / "dl" / "OCOD_FULL_2024_06.zip"]
    assert paths[0].read_bytes() == data


def test_hmlr_needs_a_key(monkeypatch, tmp_path):
    monkeypatch.delenv("HMLR_API_KEY", raising=False)
    result = CliRunner().invoke(cli, ["collect", "ccod", "--latest", "--db", str(tmp_path / "r.db")])
    assert result.exit_code == 1
    assert "ccod: set HMLR_API_KEY" in result.output


def test_hmlr_refused_key(httpserver, tmp_path, monkeypatch):
    monkeypatch.setenv("HMLR_API_KEY", "wrong")
    httpserver.expect_request("/api/v1/datasets/ccod").respond_with_json(
        {"success": False, "error": "Invalid API key"}, status=401)
    result = CliRunner().invoke(cli, ["collect", "ccod", "--latest", "--latest-from", httpserver.url_for("/api/v1"),
                                      "--db", str(tmp_path / "r.db"), "--download-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "HTTP 401" in result.output and "Traceback" not in result.output
