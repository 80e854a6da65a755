"""The demo day, made the way real days are: the agency hands documents over through intake,
staff scan them on their handhelds (the scan service, with the codes the citizens received by
SMS), supervisors mark the exceptions, a citizen answers the tracking page's question, and the
branch's day is planned as `tasheel routes plan` plans it. Every chain and outbox row is real."""

from __future__ import annotations

import itertools
import random
import secrets
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec

from delivery.agencies.store import Agency
from delivery.custody import bagging, recall, scans, supervisor
from delivery.custody.context import custody_context
from delivery.custody.model import Action
from delivery.demo import cast, store
from delivery.demo.cast import BRANCH, DemoDocument
from delivery.demo.walk import CourierRoute, DemoDay, DemoStaff, Highlight, Page, route_day
from delivery.intake import services as intake
from delivery.intake.context import intake_context
from delivery.intake.validate import batch_elements
from delivery.planning import services as planning
from delivery.planning import shifts
from delivery.platform.settings import Settings
from delivery.staff import services as staff_services
from delivery.staff.auth import StaffUser
from delivery.staff.model import StaffMember
from delivery.tracking import services as tracking
from notifications.links import tracking_url

PLAN_SECONDS = 0.5  # a few dozen stops need no more, and `serve` waits for it on first start
LOST = "not on the shelf at the evening count"
FOUND = "found behind the counter; back to the agency, as for every document once lost"
DAMAGED = "envelope torn and soaked when the bag was opened"
COMPLAINT = "طلب مني الموزع عشرة آلاف دينار قبل أن يسلمني الجواز"
# Who at the agency signs for what the sorting centre hands back (`returned` needs it).
AGENCY_SIGNATURE = scans.SignedBy(name="سعاد حسن علي", id_last4="7315")


class DemoFailed(RuntimeError):
    """A step of the demo day was refused: the demo no longer follows the custody rules."""


class _Doc(msgspec.Struct, frozen=True):
    tn: str
    doc: DemoDocument

    def fated(self, state: str, variant: str | None = None) -> bool:
        return self.doc.fate.state == state and variant in (None, self.doc.fate.variant)


async def make_demo_day(conn: asyncpg.Connection, settings: Settings, agency: Agency,
                        agency_key: str, *, password: str | None = None) -> DemoDay:
    """Staff, documents in every state, a route and a complaint, in the caller's transaction."""
    ctx = intake_context(settings)
    branch = await store.site(conn, BRANCH)
    index = await ctx.areas.current(conn)

    def inside(lat: float, lon: float) -> bool:
        found = index.assign_one(lat, lon, "IQ-BG", max_nearest_km=ctx.max_nearest_km)
        return found.branch_code == BRANCH

    documents = cast.demo_documents(random.Random(cast.SEED), (branch["lat"], branch["lon"]),
                                    inside)
    hired = await _hire(conn, settings, password)
    outcomes = await intake.submit(conn, ctx, agency, batch_elements(
        msgspec.json.encode({"documents": [d.body() for d in documents]}), types=ctx.types,
        governorates=ctx.governorates))
    refused = [o for o in outcomes if o.status != intake.ACCEPTED]
    if refused:
        raise DemoFailed(f"intake refused demo documents: {refused}")
    docs = [_Doc(o.tracking_number or "", d) for o, d in zip(outcomes, documents, strict=True)]
    day = _Day(conn, settings, agency, {m.username: _handheld(m) for m, _ in hired})
    await day.live(docs)
    await _check_fates(conn, docs)
    plan = await planning.plan_branch_day(conn, settings, BRANCH, route_day(datetime.now(UTC)),
                                          trigger="demo", max_runtime_s=PLAN_SECONDS)
    return DemoDay(
        agency_code=agency.code, agency_key=agency_key, branch=BRANCH,
        branch_name=branch["name_en"], centre=cast.CENTRE,
        staff=tuple(DemoStaff(username=m.username, role=m.role,
                              site=m.site_code or m.governorate, password=p)
                    for m, p in hired),
        states=dict(Counter(d.doc.fate.state for d in docs)),
        highlights=tuple(day.highlights(docs)),
        pages=tuple(await _pages(conn, settings, docs)),
        route_day=plan.day,
        routes=tuple(CourierRoute(username=c.shift.username, stops=len(c.stops),
                                  items=sum(p.stop.demand for p in c.stops))
                     for c in (plan.day_plan.couriers if plan.day_plan else ()) if c.stops))


async def _hire(conn: asyncpg.Connection, settings: Settings,
                password: str | None) -> list[tuple[StaffMember, str]]:
    """An account for every role, with `password` or a strong random one each."""
    staff_services.configure_hashing(settings)
    hired = []
    for username, role, site in cast.STAFF:
        secret = password or secrets.token_urlsafe(12)
        hired.append((await staff_services.create_staff(
            conn, username=username, password=secret, role=role, site_code=site,
            governorate=None if site else cast.GOVERNORATE), secret))
    for username, vehicle, capacity, start, end in cast.COURIERS:
        await shifts.set_profile(conn, username=username, vehicle=vehicle, capacity=capacity,
                                 start=start, end=end)
    return hired


def _handheld(member: StaffMember) -> StaffUser:
    return StaffUser(id=member.id, username=member.username, role=member.role,
                     site_id=member.site_id, site_code=member.site_code,
                     site_kind=member.site_kind, governorate=member.governorate,
                     device_id=f"demo-{member.username}")


class _Day:
    """The staff of the demo day, each acting through the service their handheld or console
    would call."""

    def __init__(self, conn: asyncpg.Connection, settings: Settings, agency: Agency,
                 staff: dict[str, StaffUser]) -> None:
        self.conn, self.agency, self.staff = conn, agency, staff
        self.custody = custody_context(settings)
        self.tracking = tracking.tracking_context(settings, intake_context(settings))
        self.couriers: dict[str, str] = {}
        self._scan_ids = itertools.count(1)

    async def live(self, docs: list[_Doc]) -> None:
        """Take every document to its fate."""
        def of(state: str, variant: str | None = None) -> list[_Doc]:
            return [d for d in docs if d.fated(state, variant)]

        for d in of("cancelled", "before_receipt"):
            await self.cancel(d)
        received = [d for d in docs if not d.fated("registered")
                    and not d.fated("cancelled", "before_receipt")]
        await self.scan("sorter", [(d.tn, "receive", {}) for d in received])
        for d in of("returning", "recalled"):  # in the sorting centre: it goes back to the agency
            await self.cancel(d)
        onward = [d for d in received if d.doc.fate.state not in ("received", "cancelled")
                  and not d.fated("returning", "recalled")]
        await self.bag_and_dispatch(of("in_transit"))
        arriving = [d for d in onward if not d.fated("in_transit")]
        bag = await self.bag_and_dispatch(arriving)
        await self.scan("clerk", [(bag, "arrive", {})])
        await self.scan("clerk", [(d.tn, "arrive", {}) for d in arriving])  # each one confirmed
        await self.counter_and_doors(of)
        await self.exceptions(of)

    async def counter_and_doors(self, of) -> None:
        """Shelves, couriers' rounds, the doors and the counter."""
        pickups = of("ready_for_pickup") + of("collected")
        failing = of("delivery_failed") + of("at_branch", "failed_once")
        outgoing = of("out_for_delivery") + of("delivered") + failing
        self.couriers = dict(zip((d.tn for d in outgoing), cast.couriers_for(len(outgoing)),
                                 strict=True))
        await self.scan("clerk", [(d.tn, "shelve", {}) for d in pickups]
                        + [(d.tn, "to_courier", {"courier": self.couriers[d.tn]})
                           for d in outgoing])
        for name, _, _, _, _ in cast.COURIERS:
            mine = [d for d in outgoing if self.couriers[d.tn] == name]
            await self.scan(name, [(d.tn, "take", {}) for d in mine])
            await self.scan(name, [(d.tn, "deliver", await self.proof(d, "out_for_delivery"))
                                   for d in mine if d.fated("delivered")]
                            + [(d.tn, "fail", {"reason": "absent"})
                               for d in mine if d in failing])
        for d in of("at_branch", "failed_once"):
            await self.scan(self.couriers[d.tn], [(d.tn, "return", {})])
            await self.scan("clerk", [(d.tn, "accept", {})])
        await self.scan("clerk", [(d.tn, "collect", await self.proof(d, "ready_for_pickup"))
                                  for d in of("collected")])

    async def exceptions(self, of) -> None:
        """A supervisor's lost, damaged and found; documents found go back to the agency; a
        citizen answers "did anyone ask you for money?"."""
        going_back = [d for d in of("returning") if not d.fated("returning", "recalled")]
        going_back += of("returned_to_agency")
        for d in of("lost") + going_back:
            await self.mark(d, Action.mark_lost, LOST)
        for d in of("damaged"):
            await self.mark(d, Action.mark_damaged, DAMAGED)
        for d in going_back:
            await self.mark(d, Action.found, FOUND)
        sent = of("returning", "sent_back") + of("returned_to_agency")
        await self.scan("clerk", [(d.tn, "send_back", {}) for d in sent])
        await self.scan("sorter", [(d.tn, "accept", {}) for d in sent])
        await self.scan("sorter", [(d.tn, "returned", {"signed_by": AGENCY_SIGNATURE})
                                   for d in of("returned_to_agency")])
        complainant = of("delivered")[0]
        token = await store.sms_value(self.conn, complainant.tn, "accepted", "token")
        await tracking.report(self.conn, token, asked_for_money=True, complaint=COMPLAINT,
                              now=datetime.now(UTC))

    async def cancel(self, d: _Doc) -> None:
        await recall.cancel_by_agency(self.conn, agency_id=self.agency.id,
                                       tracking_number=d.tn)

    async def bag_and_dispatch(self, docs: list[_Doc]) -> str:
        """A bag for the demo branch, filled with `docs` and dispatched; its id."""
        bag = await bagging.open_bag(self.conn, self.staff["sorter"], BRANCH,
                                     now=datetime.now(UTC))
        await self.scan("sorter", [(d.tn, "bag", {"bag": bag.bag_id}) for d in docs])
        await self.scan("sorter", [(bag.bag_id, "dispatch", {})])
        return bag.bag_id

    async def proof(self, d: _Doc, kind: str) -> dict[str, Any]:
        """What the citizen shows: the code from their SMS of `kind`, and their ID card."""
        code = await store.sms_value(self.conn, d.tn, kind, "code")
        shown = {"otp": code, "id_last4": d.doc.national_id[-4:]}
        if kind == "out_for_delivery":
            shown["location"] = scans.Point(lat=d.doc.lat, lon=d.doc.lon)
        return shown

    async def mark(self, d: _Doc, action: Action, reason: str) -> None:
        await supervisor.mark(self.conn, self.staff["supervisor"], d.tn, action, reason,
                              now=datetime.now(UTC))

    async def scan(self, username: str, done: list[tuple[str, str, dict[str, Any]]]) -> None:
        """One upload from the handheld of `username`; every scan must be applied."""
        if not done:
            return
        now = datetime.now(UTC)
        batch = [scans.Scan(scan_id=f"demo-{next(self._scan_ids):04d}", code=code,
                            action=action, at=now, **extra) for code, action, extra in done]
        results = await scans.apply_scans(self.conn, self.custody, self.staff[username], batch,
                                          now=now)
        refused = [r for r in results if r.status != scans.APPLIED]
        if refused:
            raise DemoFailed(f"{username}'s scans were refused: {refused}")

    def highlights(self, docs: list[_Doc]) -> list[Highlight]:
        """A few documents worth following."""
        def first(state: str) -> _Doc:
            return next(d for d in docs if d.fated(state))

        out, shelf = first("out_for_delivery"), first("ready_for_pickup")
        return [
            Highlight(tracking_number=out.tn, state="out_for_delivery",
                      note=f"with {self.couriers[out.tn]}; the citizen's code came by SMS"),
            Highlight(tracking_number=shelf.tn, state="ready_for_pickup",
                      note=f"on the shelf at {BRANCH}, waiting for its citizen"),
            Highlight(tracking_number=first("delivered").tn, state="delivered",
                      note="the citizen says they were asked for money"),
            Highlight(tracking_number=first("returned_to_agency").tn,
                      state="returned_to_agency", note="lost, found, sent back to the agency"),
        ]


async def _pages(conn: asyncpg.Connection, settings: Settings, docs: list[_Doc]) -> list[Page]:
    """Two citizens' tracking pages, by the token their first SMS carried."""
    choosing = next(d for d in docs if d.fated("in_transit") and d.doc.fate.mode is None)
    delivered = [d for d in docs if d.fated("delivered")][1]
    pages = []
    for d, note in ((choosing, "on its way: choose home delivery or pickup"),
                    (delivered, 'delivered: "did anyone ask you for money?"')):
        token = await store.sms_value(conn, d.tn, "accepted", "token")
        pages.append(Page(url=tracking_url(settings.public_base_url, token), note=note))
    return pages


async def _check_fates(conn: asyncpg.Connection, docs: list[_Doc]) -> None:
    states = await store.states(conn, [d.tn for d in docs])
    astray = {d.tn: (states.get(d.tn), d.doc.fate.state) for d in docs
              if states.get(d.tn) != d.doc.fate.state}
    if astray:
        raise DemoFailed(f"demo documents ended elsewhere than planned: {astray}")
