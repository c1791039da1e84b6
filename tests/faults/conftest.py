"""One private broker node, one private database and one platform on them for the whole fault
suite: each test breaks something, checks the damage, and leaves the platform whole again (the
next test starts by checking that it is).

Settings make the machinery quick: the outbox relay looks every second for entries left unsent for
2 s, a failing handler is tried 3 times 0.2 s apart, SLA clocks are scanned every second.
"""
from __future__ import annotations

import logging

import pytest

from tests.faults.harness import FaultPlatform, PrivateBroker, PrivateDatabase, figures_line

SETTINGS = {
    "OUTBOX_RELAY_INTERVAL": "1",
    "OUTBOX_RELAY_GRACE": "2",
    "EVENT_MAX_ATTEMPTS": "3",
    "EVENT_RETRY_BACKOFF_SECONDS": "0.2",
    "KUAIBAN_SLA_SCAN_SECONDS": "1",
    "LOG_LEVEL": "WARNING",
}


@pytest.fixture(scope="session", autouse=True)
def quiet_amqp():
    # Health probes of services still starting make amqp log channel-closing chatter.
    logging.getLogger("amqp").setLevel(logging.ERROR)


@pytest.fixture(scope="session")
def broker(tmp_path_factory):
    node = PrivateBroker(tmp_path_factory.mktemp("faults-broker"))
    node.start()
    yield node
    node.stop()


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    db = PrivateDatabase(tmp_path_factory.mktemp("faults-db"))
    db.start()
    yield db
    db.stop()


@pytest.fixture(scope="session")
def platform(tmp_path_factory, broker, database):
    launched = FaultPlatform(tmp_path_factory.mktemp("faults-run") / "data", broker, database,
                             SETTINGS)
    try:
        launched.start()
    except BaseException:
        launched.stop()
        raise
    yield launched
    launched.stop()


@pytest.fixture
def whole(platform, broker, database):
    """The platform as a test must find it: broker and database up, every service answering."""
    if not broker.answers():
        broker.start()
    if database.server.process is None or database.server.process.poll() is not None:
        database.start()
    for name, process in platform.processes.items():
        if process.poll() is not None:
            platform.spawn(name)
    platform.healthy()
    platform.api.login()
    return platform


@pytest.fixture
def mongo(database):
    with database.client() as client:
        yield client


@pytest.fixture
def report(request, capsys):
    """Print a test's figures where the run's output shows them, passed or failed."""
    def emit(**figures):
        with capsys.disabled():
            print("\n" + figures_line(request.node.name, figures), flush=True)
        return figures
    return emit
