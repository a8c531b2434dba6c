"""The site safe from its own SQL: sign-in cookie, tokens, side channels, policy.

One test per leak found by a hostile run (issue 15), through Datasette's client.
The browser half (a crafted map popup) is in test_publish_browser.py.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from html.parser import HTMLParser

import httpx
import pytest
from datasette.utils import baseconv

import inspect_kit
from inspect_kit import plugins as ik_plugins
from inspect_kit_datasette.publish import make_datasette
from inspect_kit_datasette import sign_in
from test_publish import DB, PRIVATE, REGULATOR, TOKEN, ds, get, registry_path, run_async  # noqa: F401 (fixtures)

SCHEDULE = f"/{PRIVATE}/inspection_schedule.json?_shape=array"


async def sign_in_with(client, token):
    page = await client.get("/-/regulator-sign-in")
    csrftoken = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)
    return await client.post(
        "/-/regulator-sign-in", data={"token": token, "csrftoken": csrftoken},
        cookies={"ds_csrftoken": page.cookies["ds_csrftoken"]},
    )


def set_cookie_header(response) -> str:
    return next(v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith("ds_actor="))


# --- the sign-in cookie ------------------------------------------------------------------


@run_async
async def test_cookie_is_httponly_strict_and_expires(ds):
    response = await sign_in_with(ds.client, TOKEN)
    assert response.status_code == 302
    header = set_cookie_header(response).lower()
    assert "httponly" in header and "samesite=strict" in header
    assert f"max-age={sign_in.SESSION_SECONDS}" in header
    assert "secure" not in header.replace("samesite", "")  # plain http: a Secure cookie would be dropped
    payload = ds.unsign(response.cookies["ds_actor"], "actor")
    expires = int(baseconv.base62.decode(payload["e"]))
    assert time.time() < expires <= time.time() + sign_in.SESSION_SECONDS + 5


@run_async
async def test_cookie_is_secure_under_https(ds):
    transport = httpx.ASGITransport(app=ds.app())
    async with httpx.AsyncClient(transport=transport, base_url="https://localhost") as client:
        response = await sign_in_with(client, TOKEN)
    assert response.status_code == 302
    assert "; secure" in set_cookie_header(response).lower()


@run_async
async def test_an_expired_cookie_opens_nothing(ds):
    expired = ds.sign({"a": sign_in.regulator_actor(), "e": baseconv.base62.encode(int(time.time()) - 1)}, "actor")
    assert (await get(ds, SCHEDULE, cookies={"ds_actor": expired})).status_code == 403
    assert (await get(ds, f"/{PRIVATE}.json?sql=select+*+from+inspection_schedule",
                      cookies={"ds_actor": expired})).status_code == 403


@run_async
async def test_rotating_the_token_signs_everyone_out(ds, monkeypatch):
    cookie = (await sign_in_with(ds.client, TOKEN)).cookies["ds_actor"]
    assert (await get(ds, SCHEDULE, cookies={"ds_actor": cookie})).status_code == 200
    monkeypatch.setenv("INSPECT_KIT_REGULATOR_TOKEN", "a-new-token")
    assert (await get(ds, SCHEDULE, cookies={"ds_actor": cookie})).status_code == 403
    assert (await get(ds, f"/{PRIVATE}.json?sql=select+*+from+inspection_schedule",
                      cookies={"ds_actor": cookie})).status_code == 403


@run_async
async def test_an_old_style_cookie_without_the_token_key_is_refused(ds):
    forged = ds.sign({"a": {"id": "regulator", "role": "regulator"}}, "actor")
    assert (await get(ds, SCHEDULE, cookies={"ds_actor": forged})).status_code == 403


# --- tokens -------------------------------------------------------------------------------


@run_async
async def test_a_blank_token_turns_sign_in_off(registry_path, monkeypatch):
    monkeypatch.setenv("INSPECT_KIT_REGULATOR_TOKEN", "  \t ")
    ds = make_datasette(registry_path, secret="s")
    assert "Sign-in is off" in (await get(ds, "/-/regulator-sign-in")).text
    for header in ("Bearer ", "Bearer   ", "Bearer \t"):
        assert (await get(ds, SCHEDULE, headers={"Authorization": header})).status_code == 403


@run_async
async def test_blank_guesses_never_match(ds):
    assert (await sign_in_with(ds.client, "  ")).status_code == 403
    assert (await get(ds, SCHEDULE, headers={"Authorization": "Bearer  "})).status_code == 403


@run_async
async def test_wrong_guesses_slow_down(ds, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(sign_in, "GUESSED", sign_in.Guesses(clock=lambda: now[0]))
    for _ in range(sign_in.GUESSES):
        assert (await sign_in_with(ds.client, "wrong")).status_code == 403
    refused = await sign_in_with(ds.client, TOKEN)  # even the right token, for a while
    assert refused.status_code == 429 and "ds_actor" not in refused.cookies
    assert refused.headers["retry-after"] == str(int(sign_in.GUESS_WINDOW))
    assert (await get(ds, SCHEDULE, headers=REGULATOR)).status_code == 403
    assert (await get(ds, f"/{PRIVATE}.json?sql=select+*+from+inspection_schedule", headers=REGULATOR)).status_code == 403
    now[0] += sign_in.GUESS_WINDOW + 1
    assert (await get(ds, SCHEDULE, headers=REGULATOR)).status_code == 200
    assert (await sign_in_with(ds.client, TOKEN)).status_code == 302


@run_async
async def test_wrong_bearer_tokens_count_as_guesses(ds):
    for _ in range(sign_in.GUESSES):
        assert (await get(ds, SCHEDULE, headers={"Authorization": "Bearer wrong"})).status_code == 403
    assert (await get(ds, SCHEDULE, headers=REGULATOR)).status_code == 403


def test_guesses_from_many_clients_are_capped_together():
    guesses = sign_in.Guesses(clock=lambda: 0.0)
    for n in range(sign_in.ALL_GUESSES):
        assert not guesses.blocked(f"10.0.0.{n}")
        guesses.failed(f"10.0.0.{n}")
    assert guesses.blocked("10.9.9.9")


# --- anonymous SQL side channels ------------------------------------------------------------


@pytest.mark.parametrize("sql", [
    "select sql from sqlite_stmt",
    "select * from sqlite_stmt",
    "select name, pgsize from dbstat",
    "select count(*) from dbstat where name = 'inspection_schedule'",
    "select hex(fts3_tokenizer('simple'))",
    "select load_extension('x')",
    "select data from sqlite_dbpage",
])
@run_async
async def test_side_channels_are_refused(ds, sql):
    # A regulator's query sits in the shared connection's statement cache.
    marker = "select location_id, 'inspector-marker' from care_homes"
    assert (await get(ds, f"/{DB}.json", params={"sql": marker}, headers=REGULATOR)).status_code == 200
    response = await get(ds, f"/{DB}.json", params={"sql": sql, "_shape": "array"})
    assert response.status_code in (400, 403), response.text
    assert "inspector-marker" not in response.text
    if response.status_code == 403:  # refused before it ran: it names a private table
        return
    assert response.json()["rows"] == []
    assert re.search(r"prohibited|not authorized|no such", response.json()["error"]), response.json()["error"]


@run_async
async def test_side_channels_are_refused_to_regulators_too(ds):
    response = await get(ds, f"/{DB}.json", params={"sql": "select sql from sqlite_stmt"}, headers=REGULATOR)
    assert response.status_code == 400 and re.search(r"prohibited|not authorized", response.json()["error"])


@run_async
async def test_ordinary_sql_still_runs(ds):
    response = await get(ds, f"/{DB}.json", params={"sql": "select count(*) as n from care_homes", "_shape": "array"})
    assert response.json() == [{"n": 2}]


# --- metadata ---------------------------------------------------------------------------------


class _PrivateQueries:
    @staticmethod
    @inspect_kit.hookimpl
    def register_queries(register):
        register(inspect_kit.Query(name="visits_by_inspector", title="Visits", description="Planned visits.",
                                   sql="select * from inspection_schedule where reason like '%inspector-x%'",
                                   private=True))


@run_async
async def test_metadata_hides_private_queries(registry_path, monkeypatch):
    monkeypatch.setenv("INSPECT_KIT_REGULATOR_TOKEN", TOKEN)
    manager = ik_plugins.get_plugin_manager()
    manager.register(_PrivateQueries, name="test-private-queries")
    try:
        ds = make_datasette(registry_path, secret="s")
        for path in ("/-/metadata.json", f"/{DB}.json", f"/{DB}", "/", f"/{PRIVATE}.json"):
            text = (await get(ds, path)).text
            assert "inspector-x" not in text and "visits_by_inspector" not in text, path
        regulator = await get(ds, f"/{PRIVATE}.json", headers=REGULATOR)
        assert "visits_by_inspector" in regulator.text
        assert (await get(ds, f"/{PRIVATE}/visits_by_inspector.json", headers=REGULATOR)).status_code == 200
        assert (await get(ds, f"/{PRIVATE}/visits_by_inspector.json")).status_code == 403
    finally:
        manager.unregister(name="test-private-queries")


# --- content security policy ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", f"/{DB}", f"/{DB}/care_homes", f"/{DB}/care_homes.json",
                                  f"/{DB}?sql=select+1", "/-/regulator-sign-in"])
@run_async
async def test_every_response_carries_a_policy_without_unsafe_inline(ds, path):
    response = await get(ds, path)
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "object-src 'none'" in policy
    if response.headers["content-type"].startswith("text/html"):
        scripts = InlineScripts()
        scripts.feed(response.text)
        assert scripts.bodies, path  # every page has inline scripts (the link sweeper at least)
        for body in scripts.bodies:
            digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in policy
        assert int(response.headers["content-length"]) == len(response.content)


class InlineScripts(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.bodies, self._inline = [], False

    def handle_starttag(self, tag, attrs):
        self._inline = tag == "script" and "src" not in dict(attrs)
        if self._inline:
            self.bodies.append("")

    def handle_data(self, data):
        if self._inline:
            self.bodies[-1] += data

    def handle_endtag(self, tag):
        self._inline = False
