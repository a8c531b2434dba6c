"""Small collectors for tests: they yield what they are given; and a web server to test against."""

import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from contextlib import contextmanager

from inspect_kit import Collector


class ListCollector(Collector):
    """Yields the items it was built with; declares a full snapshot of ``snapshot``."""

    takes_files = False

    def __init__(self, items, name="list", snapshot=(), as_of=None):
        self.items = list(items)
        self.name = name
        self.description = "Yields a fixed list of records."
        self.snapshot = snapshot
        self.as_of = as_of

    def collect(self, run):
        if self.as_of:
            run.as_of = self.as_of
        run.full_snapshot(*self.snapshot)
        for item in self.items:
            if isinstance(item, BaseException):
                raise item
            yield item


def table_rows(registry, table, order="rowid"):
    cursor = registry.conn.execute(f"select * from [{table}] order by {order}")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def data_dump(registry):
    """Every data table's rows: what 'the registry is unchanged' compares."""
    skip = {"collection_runs", "rejected_records", "sqlite_sequence"}
    return {
        table: table_rows(registry, table)
        for table in registry.db.table_names()
        if table not in skip
    }


def collect_until_killed(db, collect_body: str, *, reads_registry=True, before="", env=None):
    """Run a ``ListCollector`` whose ``collect`` is ``collect_body`` in a fresh Python, into ``db``.

    The body kills a process midway (``os`` and ``signal`` are imported; ``Title``
    too); ``before`` runs once the registry is open. Returns the finished process.
    """
    body = textwrap.indent(textwrap.dedent(collect_body).strip(), " " * 8)
    script = "\n".join([
        "import os, signal, sys",
        f"sys.path.insert(0, {os.path.dirname(__file__)!r})",
        "from helpers import ListCollector",
        "from inspect_kit import Title",
        "from inspect_kit.registry import Registry",
        "class Killer(ListCollector):",
        f"    reads_registry = {reads_registry!r}",
        "    def collect(self, run):",
        body,
        f"registry = Registry({str(db)!r})",
        textwrap.dedent(before).strip(),
        'registry.collect(Killer([], name="ccod"))',
    ])
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(command, env, log_path, *, wait=60):
    """Run ``command`` (its ``{port}`` replaced by a free loopback port) until the block ends;
    yield its URL once it answers. Output goes to ``log_path`` (a pipe would fill and stall it)."""
    import pytest

    port = free_port()
    with open(log_path, "wb") as log:
        server = subprocess.Popen([str(a).replace("{port}", str(port)) for a in command],
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + wait
            while True:
                try:
                    urllib.request.urlopen(url + "/-/versions.json", timeout=1)
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        server.kill()
                        pytest.fail(f"{command[0]} did not start:\n" + open(log_path, errors="replace").read())
                    time.sleep(0.2)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=10)
