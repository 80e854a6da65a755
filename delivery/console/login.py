"""Signing in to the console and out of it, and each user's home page.

Login limits are the handheld login's (`staff.lockout`): failures counted per username and
address, successes not counted, so an attacker cannot lock a real user out.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import asyncpg
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie, State
from litestar.response import Redirect
from redis.exceptions import RedisError

from delivery.console import home, layout, sessions, sessions_store
from delivery.console.web import CONSOLE_ROLES, ENV, ConsoleController
from delivery.platform import forms
from delivery.platform.errors import RateLimited
from delivery.platform.requests import request_client
from delivery.staff import lockout, model
from delivery.staff import store as staff_store
from delivery.staff.auth import StaffUser

PRE_COOKIE_S = 3600


class LoginController(Controller):
    path = "/ops"
    include_in_schema = False

    @get("/login")
    async def form(self, request: Request[Any, Any, Any], next: str | None = None) -> Response:
        """The login form (a pre-login cookie binds its CSRF field to this browser)."""
        return _login_page(request, target=sessions.local_path(next))

    @post("/login", status_code=303)
    async def login(self, request: Request[Any, Any, Any], state: State,
                    conn: asyncpg.Connection) -> Response:
        """Username and password → a session cookie and the page asked for (or home)."""
        fields = await forms.form_fields(request)
        target = sessions.local_path(fields.get("next"))
        username = fields.get("username", "").strip().lower()[:64]
        pre = sessions.usable(request.cookies.get(sessions.PRE_COOKIE))
        if not forms.same_origin(request) or not sessions.form_token_valid(
                state.console_key, pre, fields.get(sessions.FIELD), "login"):
            return _login_page(request, target=target, username=username, status=403,
                               problem=("انتهت صلاحية النموذج، يرجى المحاولة مرة أخرى.",
                                        "The form expired; please try again."))
        password = fields.get("password", "")[:model.MAX_PASSWORD_CHARS]
        if not username or not password:
            return _login_page(request, target=target, username=username, status=422,
                               problem=("يرجى إدخال اسم المستخدم وكلمة المرور.",
                                        "Please enter your username and password."))
        address = request_client(request)
        try:
            await lockout.refuse_if_limited(state.redis, username, address)
        except RateLimited as limited:
            minutes = max(1, round(limited.extra["retry_after"] / 60))
            return _login_page(request, target=target, username=username, status=429,
                               headers={"Retry-After": str(limited.extra["retry_after"])},
                               problem=(f"محاولات خاطئة كثيرة. يرجى المحاولة بعد {minutes} دقيقة.",
                                        f"Too many failed attempts. Try again in {minutes} min."))
        except RedisError:
            return _login_page(request, target=target, username=username, status=503,
                               problem=("تعذّر التحقق الآن، يرجى المحاولة بعد قليل.",
                                        "Signing in is unavailable for a moment; try again."))
        stored = await staff_store.password_hash(conn, username)
        if not await asyncio.to_thread(model.password_matches, stored, password):
            await lockout.count_failure(state.redis, username, address)
            return _login_page(request, target=target, username=username, status=401,
                               problem=("اسم المستخدم أو كلمة المرور غير صحيحة.",
                                        "Wrong username or password."))
        await lockout.count_success(state.redis, username, address)
        member = await staff_store.get_by_username(conn, username)
        assert member is not None
        if member.role not in CONSOLE_ROLES:
            return _login_page(request, target=target, username=username, status=403,
                               problem=("لوحة العمليات للمشرفين والمفتشين ومكتب المساعدة؛ "
                                        "يرجى استعمال تطبيق الجهاز المحمول.",
                                        "The console is for supervisors, inspectors and the "
                                        "help desk; please use the handheld app."))
        return await _open_session(request, conn, member, target)


async def _open_session(request: Request[Any, Any, Any], conn: asyncpg.Connection, member,
                        target: str) -> Response:
    """A new session (never one the browser brought: no fixation) and its cookie."""
    now = datetime.now(UTC)
    earlier = sessions.usable(request.cookies.get(sessions.COOKIE))
    if earlier:
        await sessions_store.end_session(conn, sessions.secret_hash(earlier), now=now)
    secret = sessions.new_secret()
    await sessions_store.open_session(conn, secret_hash=sessions.secret_hash(secret),
                                      staff_id=member.id, token_gen=member.token_gen, now=now)
    response = Redirect(target, status_code=303)
    response.headers["Cache-Control"] = "private, no-store"
    response.set_cookie(_session_cookie(request, secret))
    response.delete_cookie(sessions.PRE_COOKIE, path=sessions.COOKIE_PATH)
    return response


def _session_cookie(request: Request[Any, Any, Any], value: str, **extra: Any) -> Cookie:
    return Cookie(key=sessions.COOKIE, value=value, path=sessions.COOKIE_PATH, httponly=True,
                  secure=request.url.scheme == "https", samesite="strict", **extra)


def _login_page(request: Request[Any, Any, Any], *, target: str, username: str = "",
                status: int = 200, problem: tuple[str, str] | None = None,
                headers: dict[str, str] | None = None) -> Response:
    pre = sessions.usable(request.cookies.get(sessions.PRE_COOKIE)) or sessions.new_secret()
    cookie = Cookie(key=sessions.PRE_COOKIE, value=pre, path=sessions.COOKIE_PATH,
                    max_age=PRE_COOKIE_S, httponly=True, samesite="strict",
                    secure=request.url.scheme == "https")
    pick = 0 if layout.language(request) == "ar" else 1
    response = layout.render(
        request, ENV, "login.html.j2", status_code=status, cookies=[cookie], next=target,
        username=username, problem=problem[pick] if problem else None,
        login_token=sessions.form_token(request.app.state.console_key, pre, "login"))
    response.headers.update(headers or {})
    return response


class SessionController(ConsoleController):
    path = "/ops"

    @get("")
    async def home(self, request: Request[Any, Any, Any], state: State,
                   conn: asyncpg.Connection, staff: StaffUser) -> Response:
        """The signed-in user's home page: their pages, and what waits for them."""
        return layout.render(request, ENV, "home.html.j2",
                             waiting=await home.waiting(conn, state, staff))

    @post("/logout", status_code=303)
    async def logout(self, request: Request[Any, Any, Any], conn: asyncpg.Connection) -> Response:
        """Ends the session here and in the database."""
        secret = layout.session_secret(request)
        if secret:
            await sessions_store.end_session(conn, sessions.secret_hash(secret),
                                             now=datetime.now(UTC))
        response = Redirect("/ops/login", status_code=303)
        response.headers["Cache-Control"] = "private, no-store"
        response.delete_cookie(sessions.COOKIE, path=sessions.COOKIE_PATH)
        return response


HANDLERS = [LoginController, SessionController]
