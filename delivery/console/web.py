"""What every console page stands on: the signed-in user from the session cookie, the CSRF
check of every form, the roles a page admits, and the answers a browser understands (a redirect
to the login page, a page saying what is not allowed) instead of JSON problems.

Subclass `ConsoleController` for every console page. Its guards run before anything else: the
first finds the session (on a connection of its own, briefly) and checks the form's CSRF
field; `console_roles(...)` then admits the page's roles.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import Provide
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect

from delivery.console import layout, sessions, sessions_store
from delivery.console.scope import Scope
from delivery.platform import db, forms
from delivery.platform.errors import NotAllowed, NotFound
from delivery.platform.keys import derive_key
from delivery.staff.auth import StaffUser
from delivery.staff.model import StaffRole

# Who may sign in to the console at all; the handheld roles use the app.
CONSOLE_ROLES = frozenset({StaffRole.supervisor, StaffRole.admin, StaffRole.inspector,
                           StaffRole.helpdesk})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEVICE = "console"  # the device recorded on custody events made from the console
_FIELDS = "tasheel_console_fields"
ENV = layout.templates(layout.HERE / "templates")


class LoginRequired(Exception):
    """No live session: a browser is sent to the login page."""


class FormExpired(Exception):
    """A form without the session's CSRF field (forged, or from an earlier session)."""


async def start_console(state: State) -> None:
    """The key the console's CSRF fields are made with."""
    state.console_key = derive_key(state.settings.secret_key, "console-csrf")


async def _signed_in(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    request: Request[Any, Any, Any] = connection  # type: ignore[assignment]
    secret = sessions.usable(request.cookies.get(sessions.COOKIE))
    if secret is None:
        raise LoginRequired
    settings = request.app.state.settings
    async with db.acquire(request.app.state.pool) as conn:
        user = await sessions_store.touch_session(
            conn, sessions.secret_hash(secret), now=datetime.now(UTC),
            idle_s=settings.console_idle_s, max_s=settings.console_session_s)
    if user is None or user.role not in CONSOLE_ROLES:
        raise LoginRequired
    layout.remember(request, user, secret)
    if request.method not in SAFE_METHODS:
        fields = await forms.form_fields(request, max_fields=40)
        if not forms.same_origin(request) or not sessions.form_token_valid(
                request.app.state.console_key, secret, fields.get(sessions.FIELD)):
            raise FormExpired
        request.scope[_FIELDS] = fields  # type: ignore[literal-required]


def console_roles(*roles: str):
    """A guard admitting only `roles` to a console page (others get a 403 page)."""
    allowed = frozenset(roles)

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = layout.signed_in(connection)  # type: ignore[arg-type]
        if user is None or user.role not in allowed:
            raise NotAllowed("this page is not for your role")

    return guard


def form(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The posted form's fields (read and checked by the session guard)."""
    return request.scope.get(_FIELDS, {})  # type: ignore[return-value]


def _staff(request: Request[Any, Any, Any]) -> StaffUser:
    user = layout.signed_in(request)
    assert user is not None  # the session guard ran first
    return StaffUser(**{f: getattr(user, f) for f in user.__struct_fields__}, device_id=DEVICE)


def _scope(staff: StaffUser) -> Scope:
    return Scope.of(staff)


CONSOLE_DEPENDENCIES = {"staff": Provide(_staff, sync_to_thread=False),
                        "visible": Provide(_scope, sync_to_thread=False)}


def message_page(request: Request[Any, Any, Any], status: int, title: tuple[str, str],
                 message: tuple[str, str]) -> Response:
    """A page saying one thing (not allowed, not found, form expired) in the user's language."""
    lang = layout.language(request)
    pick = 0 if lang == "ar" else 1
    return layout.render(request, ENV, "message.html.j2", status_code=status, title=title[pick],
                         message=message[pick])


def _to_login(request: Request[Any, Any, Any], _: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method not in SAFE_METHODS:
        target = request.url.path
    response = Redirect(f"/ops/login?{urlencode({'next': target})}", status_code=303)
    response.headers.update(_NO_STORE)
    return response


def _not_allowed(request: Request[Any, Any, Any], _: Exception) -> Response:
    return message_page(request, 403, ("غير مسموح", "Not allowed"),
                        ("هذه الصفحة ليست لدورك.", "This page is not for your role."))


def _not_found(request: Request[Any, Any, Any], _: Exception) -> Response:
    return message_page(request, 404, ("غير موجود", "Not found"),
                        ("لا يوجد شيء بهذا العنوان ضمن ما يمكنك رؤيته.",
                         "There is nothing at this address among what you may see."))


def _form_expired(request: Request[Any, Any, Any], _: Exception) -> Response:
    return message_page(request, 403, ("انتهت صلاحية النموذج", "The form expired"),
                        ("يرجى فتح الصفحة من جديد ثم المحاولة مرة أخرى.",
                         "Please open the page again and try once more."))


_NO_STORE = {"Cache-Control": "private, no-store"}
CONSOLE_EXCEPTION_HANDLERS = {LoginRequired: _to_login, NotAllowed: _not_allowed,
                              NotFound: _not_found, FormExpired: _form_expired}


class ConsoleController(Controller):
    """The base of every console page controller (see the module's docstring)."""

    guards = [_signed_in]
    dependencies = CONSOLE_DEPENDENCIES
    exception_handlers = CONSOLE_EXCEPTION_HANDLERS
    include_in_schema = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # A subclass naming guards, dependencies or handlers of its own adds to these, so no
        # console page can lose the session check by declaring its role guard.
        super().__init_subclass__(**kwargs)
        own = cls.__dict__
        if "guards" in own and _signed_in not in own["guards"]:
            cls.guards = [_signed_in, *own["guards"]]
        if "dependencies" in own:
            cls.dependencies = {**CONSOLE_DEPENDENCIES, **own["dependencies"]}
        if "exception_handlers" in own:
            cls.exception_handlers = {**CONSOLE_EXCEPTION_HANDLERS, **own["exception_handlers"]}
