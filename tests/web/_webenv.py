"""Helpers the web tests share: an app on a registry with a curator and a token, and a browser-like login."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from calcispine.config import Settings
from calcispine.registry import case_to_dict
from calcispine.web import AccountStore, create_app

CURATOR = "curator1"
PASSWORD = "correct horse battery"


@dataclass
class WebEnv:
    app: FastAPI
    client: TestClient
    token: str

    @property
    def registry(self) -> Any:
        return self.app.state.ctx.registry

    @property
    def accounts(self) -> AccountStore:
        store: AccountStore = self.app.state.ctx.accounts
        return store

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def snapshot(self) -> tuple[object, ...]:
        """Everything a write could change: counts, the audit log and every stored case."""
        reg = self.registry
        return (reg.counts(), len(reg.audit_log()), [case_to_dict(c) for c in reg.list_cases()])


def make_env(url: str, data_dir: Path, **settings: Any) -> WebEnv:
    s = Settings(database_url=url, data_dir=str(data_dir), cache_dir=str(data_dir / "cache"),
                 **{"cookie_secure": "false", **settings})
    app = create_app(s)
    store: AccountStore = app.state.ctx.accounts
    store.add_user(CURATOR, PASSWORD)
    token = store.new_token(CURATOR, "tests")
    return WebEnv(app, TestClient(app), token)


def csrf_from(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if m is None:
        raise AssertionError("no CSRF token in the page")
    return m.group(1)


def form_fields(form: str) -> dict[str, str]:
    """Every input, textarea and select of a form's HTML with the value a browser would send."""
    fields = {k: html.unescape(v) for k, v in re.findall(r'<input (?:type="\w+" )?name="(\w+)" value="([^"]*)"', form)}
    for name, body in re.findall(r'<textarea name="(\w+)"[^>]*>([^<]*)</textarea>', form):
        fields[name] = html.unescape(body).removeprefix("\n")  # as a browser reads a textarea
    for name, body in re.findall(r'<select name="(\w+)">(.*?)</select>', form, re.S):
        chosen = re.search(r'<option (?:value="([^"]*)" )?selected>([^<]*)</option>', body)
        fields[name] = html.unescape(chosen.group(1) or chosen.group(2)) if chosen else ""
    return fields


def login(client: TestClient, name: str = CURATOR, password: str = PASSWORD) -> int:
    """Log in through the form as a browser would (reading the CSRF token from the page)."""
    token = csrf_from(client.get("/login").text)
    r = client.post("/login", data={"username": name, "password": password, "csrf_token": token, "next": "/cases"},
                    follow_redirects=False)
    return r.status_code
