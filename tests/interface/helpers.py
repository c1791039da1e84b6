"""What the HTTP interface tests share: logging in and making users (waiting is tests/waiting.py)."""


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
