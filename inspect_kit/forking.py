"""Two cores for one write: a forked child does the Python half, this process the SQLite half.

SQLite takes one writer, and a Python process uses one core. A bulk load (parse,
check, convert) or a build step (read, match, convert) that writes what it makes
would use one core of two. ``run_forked`` runs the making in a forked child,
which pickles batches through a pipe; this process writes them inside its
transaction. A failure in the child comes back as the exception it was (or a
``PluginError`` naming it) and the transaction rolls back; a failure here kills
the child.

Not a writer thread: ``executemany`` lets go of the GIL only inside each row's
``sqlite3_step`` and must take it back for the next row, so a thread writing and
a thread making took turns (measured: no gain).
"""

from __future__ import annotations

import io
import os
import pickle
import signal
import sys
from pathlib import Path
from typing import Any, Callable

from .api import PluginError, SourceError

# INSPECT_KIT_CHILD_LOAD=0 keeps every load and build step in one process; 1 forks even on one core (tests).
ENV = "INSPECT_KIT_CHILD_LOAD"


def worth_forking(opted_in: bool) -> bool:
    """Whether to fork for a load or step that says it can run apart (``opted_in``)."""
    setting = os.environ.get(ENV, "").strip()
    if setting == "0" or not opted_in or not hasattr(os, "fork"):
        return False
    if setting == "1":
        return True
    # On a machine whose other core is kept busy, the pickling costs about an
    # eighth more CPU; on a free one a load takes a quarter less time.
    return cores() >= 2


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def run_forked(work: Callable[[Callable], Any], receive: Callable[[Any], None], *, who: str) -> Any:
    """Run ``work(emit)`` in a forked child and return what it returns (it must pickle).

    Every message the child passes to ``emit`` comes to ``receive`` here, in order.
    The kinds ``done``, ``error`` and ``print`` are this function's own.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    _widen_pipe(write_end)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child (its coverage is not collected)
        os.close(read_end)
        _child(work, write_end)
    os.close(write_end)
    try:
        with open(read_end, "rb", buffering=1 << 20) as pipe:
            return _parent(pipe, receive, who)
    except BaseException:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        raise
    finally:
        os.waitpid(pid, 0)


def _parent(pipe, receive, who: str) -> Any:
    load = pickle.load
    while True:
        try:
            message = load(pipe)
        except EOFError:
            raise PluginError(f"{who}: its process ended without finishing (killed?)") from None
        kind = message[0]
        if kind == "done":
            return message[1]
        if kind == "error":
            raise message[1]
        if kind == "print":
            getattr(sys, message[1]).write(message[2])
            continue
        receive(message)


def _child(work, write_end: int) -> None:  # pragma: no cover - runs in the child
    code = 0
    pipe = open(write_end, "wb", buffering=1 << 20)
    pickler = pickle.Pickler(pipe, pickle.HIGHEST_PROTOCOL)

    def emit(message):
        pickler.dump(message)
        pickler.clear_memo()

    try:
        for name in ("stdout", "stderr"):
            if getattr(sys, name) is not getattr(sys, f"__{name}__"):
                # Redirected in Python (a test's capture): what the child prints goes there.
                setattr(sys, name, _Forward(name, emit))
        emit(("done", work(emit)))
    except BaseException as error:  # noqa: BLE001 - every failure goes to the parent
        code = 1
        try:
            emit(("error", _portable(error)))
        except BaseException:  # noqa: BLE001 - the parent is gone, or cannot be told
            pass
    finally:
        try:
            pipe.close()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            # No cleanup of the parent's objects (its SQLite connection above all).
            os._exit(code)


def _widen_pipe(fd: int) -> None:
    """Let the child work a batch or so ahead of the parent (Linux).

    Through the default 64 KiB pipe the two processes take turns (measured: no
    faster than one process); through the largest pipe an unprivileged process
    may have (1 MiB by default), a 1M-row CCOD load takes a quarter less time.
    """
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, int(Path("/proc/sys/fs/pipe-max-size").read_text()))
    except (ImportError, AttributeError, OSError, ValueError):
        pass  # another system, or a smaller limit: the work still runs, with less overlap


class _Forward(io.TextIOBase):
    """A child's sys.stdout or sys.stderr that sends what is written to the parent's."""

    def __init__(self, name: str, emit):
        self.name = name
        self.emit = emit

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.emit(("print", self.name, text))
        return len(text)


def _portable(error: BaseException) -> BaseException:
    """The child's exception as it was when it pickles, else a ``PluginError`` naming it."""
    import traceback

    try:
        copy = pickle.loads(pickle.dumps(error))
        if type(copy) is not type(error):
            raise TypeError
    except Exception:  # noqa: BLE001 - anything that does not survive pickling
        copy = PluginError(f"{type(error).__name__}: {error}")
    if not isinstance(error, (KeyboardInterrupt, PluginError, SourceError)):
        # An unexpected error keeps its traceback from the child, as a note.
        copy.add_note("".join(traceback.format_exception(error)).rstrip())
    return copy
