"""Every HTTP handler of the service, area by area, and what each area sets up at start-up.

Each area keeps its handlers in its own `api.py`; this list is the only place they are gathered.
"""

from __future__ import annotations

from typing import Any

from delivery.agencies.api import HANDLERS as AGENCIES
from delivery.console.complaints.api import HANDLERS as COMPLAINTS_API
from delivery.console.complaints.pages import HANDLERS as COMPLAINT_PAGES
from delivery.console.helpdesk.pages import HANDLERS as HELPDESK_PAGES
from delivery.console.login import HANDLERS as CONSOLE_SESSIONS
from delivery.console.routes.pages import HANDLERS as ROUTE_PAGES
from delivery.console.search.pages import HANDLERS as SEARCH_PAGES
from delivery.console.signals.pages import HANDLERS as SIGNAL_PAGES
from delivery.console.site.pages import HANDLERS as SITE_PAGES
from delivery.console.web import start_console
from delivery.custody.anchors_api import HANDLERS as ANCHORS
from delivery.custody.api import HANDLERS as CUSTODY
from delivery.custody.context import custody_context
from delivery.handheld.shell import HANDLERS as HANDHELD_APP
from delivery.handheld.vendor import HANDLERS as HANDHELD_FILES
from delivery.intake.api import DocumentsController
from delivery.intake.context import intake_context
from delivery.intake.returns_api import HANDLERS as RETURNS
from delivery.labels.api import HANDLERS as LABELS
from delivery.messaging.api import HANDLERS as MESSAGING
from delivery.planning.api import HANDLERS as PLANNING
from delivery.reports.api import HANDLERS as REPORTS
from delivery.staff.api import HANDLERS as STAFF
from delivery.staff.api import start_staff
from delivery.tracking.api import TrackingController, start_tracking
from delivery.workday.api import HANDLERS as WORKDAY

HANDLERS: list[Any] = [
    DocumentsController,  # agencies hand documents over
    *RETURNS,  # what comes back to them, with why: the return manifest
    *AGENCIES,  # their webhooks; administrators manage their keys
    *REPORTS,  # agencies' reports: a period's summary, its items as pages or CSV
    *STAFF,  # staff log in
    *CUSTODY,  # handheld scans, bags, supervisors
    *LABELS,  # printable labels of items and bags
    *MESSAGING,  # Twilio's callbacks, dead letters
    TrackingController,  # the citizen's page
    *COMPLAINTS_API,  # inspectors' queue over the API
    *CONSOLE_SESSIONS,  # the staff console: login, logout, home
    *COMPLAINT_PAGES,  # the console: inspectors' complaints
    *SIGNAL_PAGES,  # the console: inspectors' integrity signals
    *SEARCH_PAGES,  # the console: finding an item, its custody timeline
    *SITE_PAGES,  # the console: a supervisor's site
    *PLANNING,  # courier routes (handhelds)
    *WORKDAY,  # the handheld's working day: me, today, the branch's items, phone reveals
    *ROUTE_PAGES,  # the console: routes and couriers
    *HELPDESK_PAGES,  # the console: the help desk acts for citizens without a smartphone
    *ANCHORS,  # the daily anchors, public
    *HANDHELD_APP,  # the handheld app's page, manifest and service worker
    *HANDHELD_FILES,  # the handheld app's modules and its vendored libraries
]


async def _start_intake(state: Any) -> None:
    state.intake = intake_context(state.settings)


async def _start_custody(state: Any) -> None:
    state.custody = custody_context(state.settings)


STARTUP = [_start_intake, _start_custody, start_tracking, start_staff, start_console]
