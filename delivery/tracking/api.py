"""The citizen's page (`/t/{token}`, HTML) and its JSON twin (`/v1/track/{token}`).

No login: the random token from the SMS is the key, looked up by its SHA-256. Every answer is
`private, no-store` under a strict Content-Security-Policy; forms are POST-redirect-GET with a
CSRF field; per-IP limits in Redis guard the page and the forms.
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie, State

from delivery import pages
from delivery.custody.model import TransitionRefused
from delivery.platform import db, forms
from delivery.platform.errors import FieldError, InvalidInput, NotFound, RateLimited
from delivery.platform.requests import request_client
from delivery.tracking import csrf, i18n, ratelimit, services
from delivery.tracking.view import TrackOut, present
from notifications.links import token_hash

HERE = Path(__file__).parent
TEMPLATES = pages.templates(HERE / "templates")
GEO_JS = (HERE / "static" / "geo.js").read_bytes()
LANG_COOKIE = "tsk_lang"
LANGUAGE_NAMES = (("ar", "العربية"), ("ckb", "کوردی"), ("en", "English"))
MESSAGES = {"saved": "m_saved", "invalid": "m_invalid", "too_late": "m_too_late",
            "outside": "m_outside"}
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class NotFoundPacer:
    """Makes an unknown token's 404 take about as long as a known token's page.

    Keeps a moving average of how long pages take and sleeps the difference (sleeping costs
    no CPU, so the padding cannot be turned into load).
    """

    def __init__(self, typical_s: float = 0.004) -> None:
        self.typical_s = typical_s

    def observe(self, seconds: float) -> None:
        self.typical_s = 0.9 * self.typical_s + 0.1 * min(seconds, 0.25)

    async def pad(self, started: float) -> None:
        remaining = self.typical_s - (time.perf_counter() - started)
        if remaining > 0:
            await asyncio.sleep(remaining)


async def start_tracking(state: Any) -> None:
    """Start-up hook: the page's context (after intake's) and its 404 pacer."""
    state.tracking = services.tracking_context(state.settings, state.intake)
    state.tracking_pacer = NotFoundPacer()


def _ctx(state: State) -> services.TrackingContext:
    return state.tracking


def _today() -> date:
    return datetime.now(i18n.BAGHDAD).date()


def _chosen_language(request: Request) -> str | None:
    asked = request.query_params.get("lang")
    return asked if asked in i18n.LANGUAGES else request.cookies.get(LANG_COOKIE)


def _html(template: str, ctx: services.TrackingContext, status: int = 200,
          cookies: list[Cookie] | None = None, headers: dict[str, str] | None = None,
          **values: Any) -> Response[str]:
    language = values.setdefault("lang", i18n.DEFAULT_LANGUAGE)
    values.setdefault("dir", i18n.direction(language))
    body = TEMPLATES.get_template(template).render(
        css=pages.CSS, w=i18n.WORDS_IN[language].__getitem__,
        official=_official(ctx, language), **values)
    return Response(body, status_code=status, media_type=pages.HTML, cookies=cookies,
                    headers={**pages.PRIVATE_HEADERS, **(headers or {})})


def _official(ctx: services.TrackingContext, language: str) -> dict[str, str | None]:
    """Who runs the service, on every page: configured names, else the page's own words."""
    helpline = ctx.helpline
    return {"service": ctx.service_name or i18n.word(language, "service"),
            "ministry": ctx.ministry_name or i18n.word(language, "ministry"),
            "helpline": helpline,
            "tel": "tel:" + re.sub(r"[^0-9+]", "", helpline) if helpline else None}


def message_page(ctx: services.TrackingContext, language: str | None, status: int,
                 heading: str, text: str,
                 headers: dict[str, str] | None = None) -> Response[str]:
    """A plain page saying one thing (not found, too many requests, expired form)."""
    lang = i18n.language_of(language)
    return _html("message.html.j2", ctx, status, headers=headers, lang=lang,
                 heading=i18n.word(lang, heading), text=i18n.word(lang, text))


def _too_many(request: Request, retry_after: int) -> Response[str]:
    return message_page(_ctx(request.app.state), _chosen_language(request), 429, "too_many", "too_many",
                        {"Retry-After": str(retry_after)})


def _not_found(request: Request) -> Response[str]:
    return message_page(_ctx(request.app.state), _chosen_language(request), 404,
                        "not_found_title", "not_found")


async def _load(state: State, token: str, asked: str | None) -> services.PageView | None:
    started = time.perf_counter()
    view = None
    if _TOKEN.fullmatch(token):
        async with db.acquire(state.pool) as conn:
            view = await services.load_page(conn, _ctx(state), token, today=_today(),
                                            asked_language=asked)
    if view is None:
        await state.tracking_pacer.pad(started)
    else:
        state.tracking_pacer.observe(time.perf_counter() - started)
    return view


class TrackingController(Controller):
    tags = ["citizens"]

    @get("/t/{token:str}", summary="The citizen's tracking page (HTML)", media_type=pages.HTML)
    async def page(self, request: Request, state: State, token: str) -> Response[str]:
        """Arabic by default; `?lang=ar|ckb|en` switches and is remembered in a cookie."""
        if retry := await ratelimit.hit(state.redis, "page", request_client(request),
                                        _ctx(state).page_limit):
            return _too_many(request, retry)
        asked = request.query_params.get("lang")
        view = await _load(state, token, asked)
        if view is None:
            return _not_found(request)
        language = services.page_language(view.item, asked=asked,
                                          remembered=request.cookies.get(LANG_COOKIE))
        return self._render(request, state, token,
                            present(view, language, _ctx(state).types, _ctx(state).windows))

    def _render(self, request: Request, state: State, token: str, out: TrackOut) -> Response:
        cookies = []
        browser = csrf.usable_cookie(request.cookies.get(csrf.COOKIE))
        if browser is None:
            browser = csrf.new_cookie_value()
            cookies.append(Cookie(key=csrf.COOKIE, value=browser, path="/t/", httponly=True,
                                  samesite="lax", secure=_ctx(state).secure_cookies))
        if request.query_params.get("lang") in i18n.LANGUAGES:
            cookies.append(Cookie(key=LANG_COOKIE, value=out.language, path="/",
                                  max_age=365 * 86400, samesite="lax",
                                  secure=_ctx(state).secure_cookies))
        note = MESSAGES.get(request.query_params.get("m", ""))
        return _html("page.html.j2", _ctx(state), cookies=cookies, lang=out.language, dir=out.dir, t=out,
                     token=token, languages=LANGUAGE_NAMES,
                     csrf=csrf.form_token(_ctx(state).csrf_key, browser, token_hash(token)),
                     message=i18n.word(out.language, note) if note else None)

    @post("/t/{token:str}/mode", summary="Choose home delivery or pickup", status_code=303)
    async def choose_mode(self, request: Request, state: State, token: str) -> Response:
        """Form fields: `mode` (home|pickup), `branch` (for pickup), `csrf`."""
        return await self._form(request, state, token, lambda conn, f: services.choose_mode(
            conn, _ctx(state), token, mode=f.get("mode", ""), branch_code=f.get("branch"),
            now=datetime.now(UTC)))

    @post("/t/{token:str}/location", summary="Share a location or an address", status_code=303)
    async def share_location(self, request: Request, state: State, token: str) -> Response:
        """Form fields: `lat`, `lon` (from the browser) and/or district … landmark, `csrf`."""
        return await self._form(request, state, token, lambda conn, f: services.share_location(
            conn, _ctx(state), token, _address(f), now=datetime.now(UTC)))

    @post("/t/{token:str}/schedule", summary="Choose the delivery day", status_code=303)
    async def reschedule(self, request: Request, state: State, token: str) -> Response:
        """Form fields: `day` (ISO date among those offered), `window`, `csrf`."""
        return await self._form(request, state, token, lambda conn, f: services.reschedule(
            conn, _ctx(state), token, day=_iso_day(f.get("day")), window=f.get("window", ""),
            today=_today(), now=datetime.now(UTC)))

    @post("/t/{token:str}/report", summary="Did anyone ask you for money?", status_code=303)
    async def report(self, request: Request, state: State, token: str) -> Response:
        """Form fields: `asked` (yes|no), `complaint` (free text), `csrf`."""
        return await self._form(request, state, token, lambda conn, f: services.report(
            conn, token, asked_for_money=_yes_no(f.get("asked")), complaint=f.get("complaint"),
            now=datetime.now(UTC)))

    async def _form(self, request: Request, state: State, token: str, save) -> Response:
        if retry := await ratelimit.hit(state.redis, "form", request_client(request),
                                        _ctx(state).form_limit):
            return _too_many(request, retry)
        started = time.perf_counter()
        fields = await forms.form_fields(request)
        if not forms.same_origin(request) or not _TOKEN.fullmatch(token) or not csrf.is_valid(
                _ctx(state).csrf_key, request.cookies.get(csrf.COOKIE), token_hash(token),
                fields.get(csrf.FIELD)):
            return message_page(_ctx(state), _chosen_language(request), 403, "title",
                                "expired_form")
        try:
            async with db.acquire(state.pool) as conn:
                await save(conn, fields)
        except NotFound:
            await state.tracking_pacer.pad(started)
            return _not_found(request)
        except InvalidInput as exc:
            if exc.errors and not _wants_html(request):
                raise  # a program posting the form gets the problem naming the field
            return _back(token, "outside" if exc.extra.get("reason") == "outside" else "invalid")
        except TransitionRefused:
            return _back(token, "too_late")
        return _back(token, "saved")

    @get("/v1/track/{token:str}", summary="The citizen's tracking page as JSON")
    async def as_json(self, request: Request, state: State, token: str) -> Response[TrackOut]:
        """The same content as the page; `?lang=` chooses the language of the labels."""
        if retry := await ratelimit.hit(state.redis, "page", request_client(request),
                                        _ctx(state).page_limit):
            raise RateLimited("too many requests from this address", retry_after=retry)
        asked = request.query_params.get("lang")
        view = await _load(state, token, asked)
        if view is None:
            raise NotFound("no such tracking link")
        language = services.page_language(view.item, asked=asked,
                                          remembered=request.cookies.get(LANG_COOKIE))
        return Response(present(view, language, _ctx(state).types, _ctx(state).windows),
                        headers={"Cache-Control": "private, no-store",
                                 "Referrer-Policy": "same-origin"})

    @get("/static/tracking/geo.js", summary="The page's location helper", include_in_schema=False)
    async def geo_script(self) -> Response[bytes]:
        """Not personal: cacheable by anyone."""
        return Response(GEO_JS, media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=86400",
                                 "X-Content-Type-Options": "nosniff"})


def _back(token: str, message: str) -> Response:
    return Response(None, status_code=303, headers={
        "Location": f"/t/{token}?m={message}", **pages.PRIVATE_HEADERS})


def _wants_html(request: Request) -> bool:
    """A browser submitting the form (it asks for HTML) is sent back to the page to try again."""
    return "text/html" in request.headers.get("accept", "")


def _address(fields: dict[str, str]) -> services.AddressIn:
    return services.AddressIn(
        lat=_number(fields.get("lat")), lon=_number(fields.get("lon")),
        **{k: fields.get(k) for k in ("district", "mahalla", "zuqaq", "house", "landmark")})


def _number(text: str | None) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput("not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidInput("not a number")
    return value


def _iso_day(text: str | None) -> date:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        raise InvalidInput("day: not a date", errors=[FieldError(
            field="day", message="an ISO date (YYYY-MM-DD) among those offered")]) from None


def _yes_no(text: str | None) -> bool:
    if text not in ("yes", "no"):
        raise InvalidInput("answer yes or no")
    return text == "yes"
