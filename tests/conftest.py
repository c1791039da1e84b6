"""Fixtures for every tier: a real MongoDB-wire server and the real broker.

The database is MONGO_URI when set, else a SecantusDB started for the session. Each test
gets its own database prefix (so its own `kuaiban_<service>` databases) and, through
nameko's `rabbit_config`, its own throwaway RabbitMQ vhost.
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402  before anything imports socket or threading

import gc  # noqa: E402
import os  # noqa: E402
import secrets  # noqa: E402
import traceback  # noqa: E402
import uuid  # noqa: E402

import greenlet  # noqa: E402
import pytest  # noqa: E402
import pytest_timeout  # noqa: E402
from pymongo import MongoClient  # noqa: E402

from shared.embedded_db import EmbeddedMongo  # noqa: E402
from tests.leftovers import LEFTOVER_GRACE_SECONDS, SESSION_MARKER, kill, leftovers  # noqa: E402

# Every process this run starts inherits the marker, so the session's end can find any left.
# `make test` (tests/tiers.py) gives each of its sessions one, to clean up after a session that
# could not (one ended by pytest-timeout's backstop skips its own teardown).
os.environ.setdefault(SESSION_MARKER, uuid.uuid4().hex)


def greenthread_stacks() -> str:
    """The stack of every suspended greenthread: under eventlet the test and the services it
    runs in-process are greenthreads, which a dump of the threads does not show."""
    def is_greenlet(o) -> bool:
        try:
            return isinstance(o, greenlet.greenlet)
        except ReferenceError:  # a weak proxy whose object is gone (it failed a run's dump)
            return False

    return "".join(
        f"--- greenthread {thread!r:.80}\n" + "".join(traceback.format_stack(thread.gr_frame))
        for thread in [o for o in gc.get_objects() if is_greenlet(o)]
        if thread.gr_frame is not None)


def dump_threads_and_greenthreads(terminal, dump_threads=pytest_timeout.dump_stacks):
    dump_threads(terminal)
    terminal.write(greenthread_stacks())


pytest_timeout.dump_stacks = dump_threads_and_greenthreads
BACKSTOP_SECONDS = 60.0


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_set_timer(item, settings):
    """A test past its timeout fails on its own, and the session goes on: the event loop throws
    the failure, with every greenthread's stack, into the test where it waits (as
    eventlet.Timeout does). pytest-timeout's thread, which ends the whole session, stays as the
    backstop for a test that never yields to the loop (BACKSTOP_SECONDS later)."""
    test = greenlet.getcurrent()

    def fail_the_test():
        test.throw(pytest.fail.Exception(
            f"{item.nodeid} still running after {settings.timeout:g} s (pytest-timeout); what "
            f"each greenthread waits on:\n{greenthread_stacks()}", pytrace=True))

    timer = eventlet.hubs.get_hub().schedule_call_global(settings.timeout, fail_the_test)
    pytest_timeout.pytest_timeout_set_timer(
        item, settings._replace(timeout=settings.timeout + BACKSTOP_SECONDS))
    cancel_backstop = item.cancel_timeout

    def cancel():
        timer.cancel()
        cancel_backstop()

    item.cancel_timeout = cancel
    return True


def pytest_sessionfinish(session, exitstatus):
    guard_queries(session)  # first: it starts (and stops) a database of its own
    fail_on_leftover_processes(session)


def fail_on_leftover_processes(session):
    """The suite fails if a process it started (a launcher, a service, a database, a broker
    node) is still running at its end; those left are killed."""
    left = leftovers(os.environ[SESSION_MARKER], within=LEFTOVER_GRACE_SECONDS)
    if left:
        lines = "\n".join(f"  {pid}: {cmdline}" for pid, cmdline in left)
        session.config.get_terminal_writer().line(
            f"\nprocesses of this test run still running at its end (now killed):\n{lines}",
            red=True)
        kill(pid for pid, _ in left)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# Databases of tests that have ended, dropped when the next test sets up (and at the session's
# end). Not in a test's own teardown: nameko's fast_teardown kills the test's services after
# every other fixture, and a dropDatabase beside a service still writing deadlocks SecantusDB
# (the drop holds its storage lock while it waits on the write, which waits on that lock).
databases_to_drop: list[str] = []


def drop_ended_tests_databases(mongo_uri: str) -> None:
    if not databases_to_drop:
        return
    with MongoClient(mongo_uri) as client:
        # Ends any transaction a killed worker could not abort: one left open in a database
        # deadlocks its drop the same way.
        client.admin.command("killAllSessions", [])
        names = client.list_database_names()
        for prefix in databases_to_drop:
            for name in names:
                if name.startswith(prefix):
                    client.drop_database(name)
    databases_to_drop.clear()


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory):
    if os.environ.get("MONGO_URI"):
        yield os.environ["MONGO_URI"]
        drop_ended_tests_databases(os.environ["MONGO_URI"])
        return
    server = EmbeddedMongo(tmp_path_factory.mktemp("secantus") / "data")
    yield server.start()
    server.stop()


@pytest.fixture
def db_prefix(mongo_uri):
    drop_ended_tests_databases(mongo_uri)
    prefix = f"t{uuid.uuid4().hex[:10]}_"
    yield prefix
    databases_to_drop.append(prefix)


@pytest.fixture
def mongo(mongo_uri):
    with MongoClient(mongo_uri, tz_aware=True) as client:
        yield client


@pytest.fixture
def config(rabbit_config, mongo_uri, db_prefix):
    """A service configuration on this test's vhost and databases."""
    return {
        **rabbit_config,
        "MONGO_URI": mongo_uri,
        "MONGO_DB_PREFIX": db_prefix,
        "OUTBOX_RELAY_INTERVAL": 0.2,
        "JWT_SECRET": secrets.token_urlsafe(32),
        "ADMIN_PASSWORD": "admin-password-for-tests",
        "MAJOR_PROJECT_CNY": 1_000_000_000,
    }


# -- the query guard (tests/query_guard.py) --------------------------------------------------

def pytest_configure(config):
    # Set before any service starts, so in-process services and e2e processes inherit it.
    from shared.query_log import QUERY_LOG_ENV

    if not os.environ.get(QUERY_LOG_ENV) and not hasattr(config, "workerinput"):
        import tempfile

        path = os.path.join(tempfile.mkdtemp(prefix="kuaiban-queries-"), "queries.jsonl")
        os.environ[QUERY_LOG_ENV] = path
        config._kuaiban_query_log = path


def guard_queries(session):
    from pathlib import Path

    from tests import query_guard

    path = getattr(session.config, "_kuaiban_query_log", None)
    if not path or not Path(path).exists():
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if os.environ.get("MONGO_URI"):
        explained, failures = query_guard.check(Path(path), os.environ["MONGO_URI"])
    else:
        server = EmbeddedMongo(Path(path).parent / "guard-db")
        try:
            explained, failures = query_guard.check(Path(path), server.start())
        finally:
            server.stop()
    if reporter is not None:
        reporter.write_sep("=", f"query guard: {explained} query shapes explained, "
                                f"{len(failures)} without an index")
        for failure in failures:
            reporter.write_line(failure)
        if query_guard.HINTED:
            reporter.write_line(f"{len(query_guard.HINTED)} hinted query shapes (a whole-index "
                                "walk on SecantusDB):")
            for hinted in query_guard.HINTED:
                reporter.write_line(f"  {hinted}")
    if failures:
        session.exitstatus = 1
