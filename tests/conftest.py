import sys
import textwrap

import pytest


def pytest_configure(config):
    # Load only plugins shipped with inspect-kit, never a third-party one that
    # happens to be installed (see inspect_kit.plugins).
    sys._called_from_test = True


def pytest_unconfigure(config):
    del sys._called_from_test


@pytest.fixture(autouse=True)
def fresh_sign_in_guesses(monkeypatch):
    """Each test starts with no wrong regulator tokens counted against it."""
    from inspect_kit_datasette import sign_in

    monkeypatch.setattr(sign_in, "GUESSED", sign_in.Guesses())


@pytest.fixture
def registry(tmp_path):
    from inspect_kit.registry import Registry

    reg = Registry.open(tmp_path / "registry.db")
    yield reg
    reg.close()


@pytest.fixture
def plugin_dir(tmp_path):
    """Write one-off plugin files: ``plugin_dir("name", source)`` -> the directory."""
    directory = tmp_path / "plugins"
    directory.mkdir()

    def write(name, source):
        (directory / f"{name}.py").write_text(textwrap.dedent(source))
        return directory

    return write


@pytest.fixture
def server():
    """A threaded HTTP server of the test's own: a hung request blocks neither the retry after it
    nor, still being answered when the test ends, any other test."""
    from pytest_httpserver import HTTPServer

    httpserver = HTTPServer(threaded=True)
    httpserver.start()
    yield httpserver
    httpserver.clear()
    httpserver.stop()
