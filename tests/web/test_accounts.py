"""Sessions end on the server, passwords change, and failed logins are limited without locking a curator out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from _webenv import CURATOR, PASSWORD, WebEnv, csrf_from, login
from fastapi.testclient import TestClient

from calcispine.web import RateLimited
from calcispine.web._accounts import MAX_FAILURES, MAX_FAILURES_PER_CLIENT, MAX_FAILURES_PER_NAME

GUO = "guo-2017-c4-c6"
NEW_PASSWORD = "another horse battery"


def _edit(client: TestClient, csrf: str, age: str) -> int:
    return client.post(f"/cases/{GUO}/edit", data={"csrf_token": csrf, "age_years": age},
                       follow_redirects=False).status_code


def test_a_copied_session_cookie_is_dead_after_logout(sqlite_env: WebEnv) -> None:
    c = sqlite_env.client
    assert login(c) == 303
    stolen = c.cookies.get("calcispine_session")
    csrf = csrf_from(c.get(f"/cases/{GUO}").text)
    c.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    before = sqlite_env.snapshot()

    thief = TestClient(sqlite_env.app)
    thief.cookies.set("calcispine_session", str(stolen))
    assert _edit(thief, csrf, "57") == 401
    assert CURATOR not in thief.get("/cases").text
    assert sqlite_env.snapshot() == before


def test_changing_the_password_logs_out_every_other_browser(sqlite_env: WebEnv) -> None:
    laptop, phone = sqlite_env.client, TestClient(sqlite_env.app)
    assert login(laptop) == 303 and login(phone) == 303
    phone_csrf = csrf_from(phone.get(f"/cases/{GUO}").text)

    page = laptop.get("/account")
    assert page.status_code == 200 and "Change the password" in page.text
    wrong = laptop.post("/account/password", data={"csrf_token": csrf_from(page.text), "current": "not it",
                                                  "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert wrong.status_code == 401
    r = laptop.post("/account/password", data={"csrf_token": csrf_from(page.text), "current": PASSWORD,
                                              "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert r.status_code == 200 and "Every other browser" in r.text  # this browser stays logged in

    assert _edit(phone, phone_csrf, "57") == 401
    assert _edit(laptop, csrf_from(laptop.get(f"/cases/{GUO}").text), "57") == 303
    assert login(phone) == 401
    assert login(phone, password=NEW_PASSWORD) == 303


def test_the_cli_password_change_ends_web_sessions(sqlite_env: WebEnv) -> None:
    c = sqlite_env.client
    assert login(c) == 303
    csrf = csrf_from(c.get(f"/cases/{GUO}").text)
    assert sqlite_env.accounts.set_password(CURATOR, NEW_PASSWORD) == 1
    assert _edit(c, csrf, "57") == 401


def test_an_expired_session_is_refused_by_the_server(sqlite_env: WebEnv) -> None:
    store = sqlite_env.accounts
    token = store.start_session(CURATOR, lifetime=timedelta(seconds=-1))
    assert store.session_user(token) is None
    live = store.start_session(CURATOR)
    assert store.session_user(live) is not None
    store.end_session(live)
    assert store.session_user(live) is None


def test_wrong_passwords_from_anyone_never_lock_the_curator_out_of_her_own_browser(sqlite_env: WebEnv) -> None:
    curator = sqlite_env.client
    assert login(curator) == 303  # this browser now holds a device cookie for curator1
    curator.post("/logout", data={"csrf_token": csrf_from(curator.get("/cases").text)})

    attacker = TestClient(sqlite_env.app)  # same address, no cookies
    for _ in range(MAX_FAILURES):
        assert login(attacker, password="guess guess") == 401
    assert login(attacker) == 429  # even the right password, from that client
    assert login(curator) == 303


def test_the_curators_own_browser_has_its_own_limit(sqlite_env: WebEnv) -> None:
    c = sqlite_env.client
    assert login(c) == 303
    c.post("/logout", data={"csrf_token": csrf_from(c.get("/cases").text)})
    for _ in range(MAX_FAILURES):
        assert login(c, password="typo typo") == 401
    r = c.post("/login", data={"username": CURATOR, "password": PASSWORD, "csrf_token": csrf_from(c.get("/login").text)})
    assert r.status_code == 429 and "from this browser" in r.text
    assert int(r.headers["retry-after"]) > 60


def test_password_spraying_from_one_client_is_limited_across_names(sqlite_env: WebEnv) -> None:
    store = sqlite_env.accounts
    for i in range(MAX_FAILURES_PER_CLIENT):
        assert store.authenticate(f"user{i}", "guess guess", "10.0.0.9") is None
    with pytest.raises(RateLimited, match="too many failed logins from this address"):
        store.authenticate("someone-new", "guess guess", "10.0.0.9")
    assert store.authenticate(CURATOR, PASSWORD, "10.0.0.10") is not None  # another client is not affected


def test_a_distributed_attack_on_one_name_spares_trusted_browsers(sqlite_env: WebEnv) -> None:
    store = sqlite_env.accounts
    for i in range(MAX_FAILURES_PER_NAME):
        assert store.authenticate(CURATOR, "guess guess", f"10.1.{i // 200}.{i % 200}") is None
    with pytest.raises(RateLimited, match="not limited by this"):
        store.authenticate(CURATOR, PASSWORD, "10.9.9.9")
    assert store.authenticate(CURATOR, PASSWORD, "10.9.9.9", device="her-laptop") is not None


def test_a_forged_device_cookie_is_no_way_around_the_limit(sqlite_env: WebEnv) -> None:
    attacker = sqlite_env.client
    attacker.cookies.set("calcispine_device", "eyJ1c2VyIjoiY3VyYXRvcjEiLCJkZXZpY2UiOiJ4In0.forged")
    for _ in range(MAX_FAILURES):
        assert login(attacker, password="guess guess") == 401
    assert login(attacker) == 429


def test_migrations_create_the_account_tables_as_modelled(sqlite_env: WebEnv) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from calcispine.registry import Base

    tables = {"users", "api_tokens", "login_attempts", "web_sessions"}

    def accounts_only(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in tables

    with sqlite_env.registry.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": accounts_only})
        assert compare_metadata(context, Base.metadata) == []
