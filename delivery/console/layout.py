"""How every console page looks and speaks: the layout template (`templates/console.html.j2`),
Arabic first with English on request, times in Asia/Baghdad, pagination links and the CSRF
field of forms.

An area keeps its templates in its own folder (`templates(folder)`), extends
`console.html.j2` and renders with `render(request, env, name, **context)`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import jinja2
from litestar import Request, Response
from litestar.datastructures import Cookie
from markupsafe import Markup

from delivery import pages
from delivery.console import sessions, words
from delivery.staff.model import StaffAccount, StaffRole

HERE = Path(__file__).parent
BAGHDAD = ZoneInfo("Asia/Baghdad")
PAGE_SIZE = 50
_USER = "tasheel_console_user"
_SECRET = "tasheel_console_secret"  # noqa: S105 (a scope key, not a secret)

# The pages each role reaches from the header: (path, Arabic, English, roles).
ROLE_NAMES = {
    "supervisor": ("مشرف", "supervisor"), "admin": ("مدير النظام", "administrator"),
    "inspector": ("مفتش", "inspector"), "helpdesk": ("مكتب المساعدة", "help desk"),
    "sorting_clerk": ("موظف الفرز", "sorting clerk"), "branch_clerk": ("موظف الفرع", "branch clerk"),
    "courier": ("موزع البريد", "courier"),
    "agency": ("الجهة المُصدِرة", "issuing office"), "citizen": ("المواطن", "citizen"),
    "scheduler": ("المجدول الآلي", "scheduler"), "system": ("النظام", "system"),
}
NAV = (
    ("/ops", "الرئيسية", "Home", None),
    ("/ops/site", "موقعي", "My site", {StaffRole.supervisor, StaffRole.admin}),
    ("/ops/routes", "المسارات", "Routes", {StaffRole.supervisor, StaffRole.admin}),
    ("/ops/couriers", "موزعو البريد", "Couriers", {StaffRole.supervisor, StaffRole.admin}),
    ("/ops/complaints", "الشكاوى", "Complaints", {StaffRole.inspector, StaffRole.admin}),
    ("/ops/signals", "مؤشرات النزاهة", "Integrity signals", {StaffRole.inspector, StaffRole.admin}),
    ("/ops/helpdesk", "مكتب المساعدة", "Help desk", {StaffRole.helpdesk, StaffRole.admin}),
    ("/ops/search", "بحث", "Search", None),
)


# The integrity pages: only for people who belong to no site (`web.independent_of_sites`).
INTEGRITY_PAGES = frozenset({"/ops/complaints", "/ops/signals"})


def templates(folder: Path) -> jinja2.Environment:
    """An area's templates (`folder`), which may extend `console.html.j2`."""
    env = pages.templates(folder)
    env.loader = jinja2.ChoiceLoader([env.loader, jinja2.FileSystemLoader(HERE / "templates")])
    env.filters["baghdad"] = baghdad
    return env


def baghdad(moment: datetime | None, with_date: bool = True) -> Markup:
    """A moment as people in Iraq read it: Asia/Baghdad, "2026-12-07 10:15" (kept left to right
    inside Arabic text)."""
    if moment is None:
        return Markup("—")
    local = moment.astimezone(BAGHDAD)
    text = local.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")
    return Markup('<time dir="ltr" datetime="{}">{}</time>').format(local.isoformat(), text)


def remember(request: Request[Any, Any, Any], user: StaffAccount, secret: str) -> None:
    """Keep the signed-in user and their session's secret for the rest of the request."""
    request.scope[_USER] = user  # type: ignore[literal-required]
    request.scope[_SECRET] = secret  # type: ignore[literal-required]


def signed_in(request: Request[Any, Any, Any]) -> StaffAccount | None:
    return request.scope.get(_USER)  # type: ignore[return-value]


def session_secret(request: Request[Any, Any, Any]) -> str | None:
    return request.scope.get(_SECRET)  # type: ignore[return-value]


def language(request: Request[Any, Any, Any]) -> str:
    """`?lang=` when given, else the browser's earlier choice, else Arabic."""
    asked = request.query_params.get("lang")
    if asked in sessions.LANGUAGES:
        return asked
    remembered = request.cookies.get(sessions.LANG_COOKIE)
    return remembered if remembered in sessions.LANGUAGES else "ar"


def render(request: Request[Any, Any, Any], env: jinja2.Environment, name: str, *,
           status_code: int = 200, cookies: list[Cookie] | None = None, **context: Any) -> Response:
    """A console page in the user's language, with the private headers."""
    lang = language(request)
    body = env.get_template(name).render(**page_context(request, lang), **context)
    cookies = list(cookies or [])
    if request.query_params.get("lang") == lang:
        cookies.append(Cookie(key=sessions.LANG_COOKIE, value=lang, path=sessions.COOKIE_PATH,
                              max_age=365 * 24 * 3600, httponly=True, samesite="lax",
                              secure=request.url.scheme == "https"))
    return Response(body, status_code=status_code, media_type=pages.HTML,
                    headers=pages.PRIVATE_HEADERS, cookies=cookies)


def page_context(request: Request[Any, Any, Any], lang: str) -> dict[str, Any]:
    """What every console template may use."""
    user = signed_in(request)
    key = request.app.state.console_key
    secret = session_secret(request)

    def say(arabic: str, english: str) -> str:
        return arabic if lang == "ar" else english

    def csrf_field() -> Markup:
        token = sessions.form_token(key, secret) if secret else ""
        return Markup('<input type="hidden" name="{}" value="{}">').format(sessions.FIELD, token)

    return {"css": pages.CSS, "lang": lang, "dir": "rtl" if lang == "ar" else "ltr",
            "_": say, "w": lambda _key: say("تسهيل", "Tasheel"), "staff": user,
            "csrf_field": csrf_field, "nav": _nav(user, request.url.path),
            "pager": lambda page, has_more: _pager(request, say, page, has_more),
            "switch_language": _switch(request, "en" if lang == "ar" else "ar"),
            "path": request.url.path,
            "role_name": lambda role: say(*ROLE_NAMES.get(role, (role, role))),
            "state_name": lambda state: words.state_words(state, lang),
            "action_name": lambda action: words.action_words(action, lang),
            "document_name": lambda kind: words.document_words(kind, lang)}


def _nav(user: StaffAccount | None, here: str) -> list[tuple[str, str, str, bool]]:
    if user is None:
        return []
    return [(path, ar, en, path == here) for path, ar, en, roles in NAV
            if (roles is None or user.role in roles)
            and not (path in INTEGRITY_PAGES and user.site_id is not None)]


def _switch(request: Request[Any, Any, Any], lang: str) -> str:
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    return f"{request.url.path}?{urlencode({**query, 'lang': lang})}"


def _pager(request: Request[Any, Any, Any], say, page: int, has_more: bool) -> Markup:
    """Links to the previous and next page of a list (`?page=N`, 1-based)."""
    query = {k: v for k, v in request.query_params.items() if k != "page"}
    links = []
    if page > 1:
        href = f"{request.url.path}?{urlencode({**query, 'page': page - 1})}"
        links.append(Markup('<a rel="prev" href="{}">{}</a>').format(href, say("السابق",
                                                                               "Previous")))
    links.append(Markup("<span>{} {}</span>").format(say("صفحة", "Page"), page))
    if has_more:
        href = f"{request.url.path}?{urlencode({**query, 'page': page + 1})}"
        links.append(Markup('<a rel="next" href="{}">{}</a>').format(href, say("التالي", "Next")))
    return Markup('<nav class="pager">{}</nav>').format(Markup(" ").join(links))


def page_number(value: str | int | None) -> int:
    """`?page=` as a page number (1 for anything that is not a small positive number)."""
    try:
        number = int(value or 1)
    except (TypeError, ValueError):
        return 1
    return number if 1 <= number <= 100_000 else 1
