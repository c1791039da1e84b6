"""What the HTTP interface tests share: logging in and making users (waiting is tests/waiting.py),
and seeing the commands a client sends."""

from pymongo import monitoring

from tests.waiting import TIMEOUT_SECONDS, wait_until


def eventually(condition, within=None):
    """Wait for `condition` with the suite's one poll loop (tests/waiting.py)."""
    return wait_until(condition, within or TIMEOUT_SECONDS, reason="the awaited state")


def login(web_session, username, password) -> dict:
    """The Authorization header of a fresh token for this user."""
    response = web_session.post("/api/v1/auth/token",
                                json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def user(web_session, admin, username, role, **scope) -> dict:
    """Create an account with the admin's headers; its Authorization header."""
    created = web_session.post("/api/v1/users", headers=admin, json={
        "username": username, "password": "password-12345", "display_name": username,
        "role": role, **scope})
    assert created.status_code == 201, created.text
    return login(web_session, username, "password-12345")


class SentCommands(monitoring.CommandListener):
    """The commands of the given names a client sends, in order (`names`, `commands`)."""

    def __init__(self, *names: str):
        self.wanted = set(names)
        self.names: list[str] = []
        self.commands: list[dict] = []

    def started(self, event):
        if event.command_name in self.wanted:
            self.names.append(event.command_name)
            self.commands.append(dict(event.command))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass
