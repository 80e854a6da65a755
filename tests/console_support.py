"""Signing in to the staff console as a browser would, for tests of its pages."""

from __future__ import annotations

import re

from delivery.staff import services as staff

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF field of the first form on a page."""
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF field"
    return found.group(1)


class Console:
    """A signed-in browser: the client's cookie jar holds the session."""

    def __init__(self, client, csrf: str) -> None:
        self.client = client
        self.csrf = csrf

    async def get(self, path: str, **kwargs):
        return await self.client.get(path, follow_redirects=False, **kwargs)

    async def post(self, path: str, data: dict[str, str] | None = None, **kwargs):
        """A form post with the session's CSRF field (as the page's form would send it)."""
        return await self.client.post(path, data={**(data or {}), "csrf": self.csrf},
                                      follow_redirects=False, **kwargs)


async def sign_in(client, username: str, password: str = PASSWORD, *, next: str = "/ops"):
    """Open the login form, then post it; returns the login's response."""
    page = await client.get(f"/ops/login?next={next}")
    assert page.status_code == 200, page.text
    return await client.post("/ops/login", data={
        "username": username, "password": password, "next": next, "csrf": csrf_of(page.text)},
        follow_redirects=False)


async def console_login(client, conn, *, username: str, role: str, site: str | None = None,
                        governorate: str | None = None, national: bool = False,
                        password: str = PASSWORD) -> Console:
    """Create the account, sign in through `/ops/login`, and return the signed-in console."""
    await staff.create_staff(conn, username=username, password=password, role=role,
                             site_code=site, governorate=governorate, national=national)
    response = await sign_in(client, username, password)
    assert response.status_code == 303, response.text
    home = await client.get("/ops")
    assert home.status_code == 200, home.text
    return Console(client, csrf_of(home.text))
