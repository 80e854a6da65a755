"""Configuration, read from the environment once and passed around as a frozen value."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

from delivery.platform.clientaddr import trusted_networks
from notifications.links import checked_public_base_url
from notifications.quiet_hours import parse_quiet_hours

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything Tasheel needs to know about its surroundings."""

    database_url: str | None = None
    redis_url: str | None = None
    data_dir: Path = PROJECT_ROOT / ".data"
    public_base_url: str = "http://127.0.0.1:8000"
    secret_key: bytes = b""
    anchor_signing_key: bytes = b""  # ANCHOR_SIGNING_KEY; see `anchor_signing_key()`
    # ANCHOR_EARLIER_KEYS: public keys (hex) of signing keys retired, whose anchors still count.
    anchor_earlier_keys: tuple[str, ...] = ()
    s10_service_indicator: str = "RR"
    log_level: str = "INFO"
    max_body_bytes: int = 16 * 1024 * 1024
    assign_max_nearest_km: float = 25.0
    hold_days: str = ""
    webhook_allow_hosts: tuple[str, ...] = ()
    webhook_secret_overlap_h: int = 24  # a replaced webhook secret stays valid this long
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_from: str | None = None
    twilio_api_base_url: str | None = None
    twilio_timeout_s: float = 10.0  # how long a call waits for Twilio's answer
    sms_quiet_hours: str = "22:00-08:00"
    sms_rate_segments_per_s: float = 10.0
    sms_rate_burst: int = 20
    sms_price_per_segment: str = "0"
    sms_max_attempts: int = 8
    sms_validity_period_s: int = 4 * 3600
    sms_feedback_delay_s: int = 7200  # the money question, this long after a hand-over
    jwt_ttl_s: int = 8 * 3600
    console_idle_s: int = 30 * 60  # a console session unused this long ends
    console_session_s: int = 12 * 3600  # and none lasts longer than this
    demo_seed: bool = True
    holidays: tuple[str, ...] = ()  # ISO dates, no deliveries offered (TASHEEL_HOLIDAYS)
    tracking_page_limit: str = "60/60"  # citizen page views per IP: count/seconds
    tracking_form_limit: str = "20/600"  # citizen form posts per IP: count/seconds
    service_name: str | None = None  # SERVICE_NAME on citizens' pages; Iraqi Post's own words
    ministry_name: str | None = None  # MINISTRY_NAME on citizens' pages; the ministry's words
    helpline: str | None = None  # HELPLINE: a phone number citizens may call, a tel: link
    outbox_retry_base_s: float = 10.0
    delivery_max_attempts: int = 2  # failed home deliveries before pickup is offered
    handover_alert_seconds: int = 3600  # an unconfirmed hand-over older than this is an alert
    manifest_alert_seconds: int = 4 * 3600  # a bagged item not scanned at its branch by then
    stuck_after_hours: str = ""  # STUCK_AFTER_HOURS, e.g. `at_branch=48`; see custody/stuck.py
    pii_retention_days: int = 365  # personal data of a finished item is removed after this
    route_plan_hour: int = 6  # Asia/Baghdad hour at which every branch's day is planned
    route_plan_seconds: float = 18.0  # wall-clock budget of a whole branch plan, fallbacks included
    route_plan_workers: int = 1  # branches the morning job solves at once, a process each
    route_service_s: int = 300  # hand-over time at a stop (code and ID check)
    route_delivery_hours: str = "08:00-16:00"  # when a branch's opening hours do not say
    route_morning: str = "08:00-12:00"  # the citizen's "morning" window
    route_afternoon: str = "12:00-16:00"  # the citizen's "afternoon" window
    route_circuity: float = 1.3  # road distance over straight-line distance
    route_speeds_kmh: str = "foot=5,motorcycle=25,car=20"
    osrm_url: str | None = None  # an OSRM-compatible /table service; haversine when unset
    osrm_timeout_s: float = 10.0
    osrm_max_table_size: int = 100  # the server's --max-table-size: larger tables go in blocks
    map_tile_url: str | None = None  # a street map under route plans: https://host/{z}/{x}/{y}.png
    courier_default_vehicle: str = "motorcycle"  # couriers without a profile
    courier_default_capacity: int = 40
    courier_default_shift: str = "08:30-15:30"
    argon2_memory_kib: int = 65536  # staff password hashing (RFC 9106 low-memory profile)
    argon2_time_cost: int = 3
    forwarded_allow_ips: tuple[str, ...] = ()  # trusted proxies (IPs or CIDRs); none by default
    metrics_token: str | None = None  # when set, /metrics needs it as a bearer token
    sms_console_show_codes: bool = False  # the console gateway prints one-time codes in clear

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from `env` (the process environment by default)."""
        env = os.environ if env is None else env
        data_dir = Path(env.get("TASHEEL_DATA_DIR") or PROJECT_ROOT / ".data")
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            redis_url=env.get("REDIS_URL") or None,
            data_dir=data_dir,
            public_base_url=checked_public_base_url(env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000")),
            secret_key=_secret_key(env, data_dir),
            anchor_signing_key=_ed25519_seed(env.get("ANCHOR_SIGNING_KEY") or ""),
            anchor_earlier_keys=_public_keys(env.get("ANCHOR_EARLIER_KEYS") or ""),
            s10_service_indicator=env.get("S10_SERVICE_INDICATOR", "RR"),
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            max_body_bytes=int(env.get("MAX_BODY_BYTES", 16 * 1024 * 1024)),
            assign_max_nearest_km=float(env.get("ASSIGN_MAX_NEAREST_KM", 25.0)),
            hold_days=env.get("HOLD_DAYS", ""),
            webhook_allow_hosts=_csv(env.get("WEBHOOK_ALLOW_HOSTS", "")),
            webhook_secret_overlap_h=_whole("WEBHOOK_SECRET_OVERLAP_HOURS",
                                            env.get("WEBHOOK_SECRET_OVERLAP_HOURS", "24")),
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID") or None,
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN") or None,
            twilio_messaging_service_sid=env.get("TWILIO_MESSAGING_SERVICE_SID") or None,
            twilio_from=env.get("TWILIO_FROM") or None,
            twilio_api_base_url=env.get("TWILIO_API_BASE_URL") or None,
            twilio_timeout_s=float(env.get("TWILIO_TIMEOUT_SECONDS", 10.0)),
            sms_quiet_hours=_quiet_hours(env.get("SMS_QUIET_HOURS", "22:00-08:00")),
            sms_rate_segments_per_s=float(env.get("SMS_RATE_SEGMENTS_PER_SECOND", 10.0)),
            sms_rate_burst=int(env.get("SMS_RATE_BURST", 20)),
            sms_price_per_segment=env.get("SMS_PRICE_PER_SEGMENT", "0"),
            sms_max_attempts=int(env.get("SMS_MAX_ATTEMPTS", 8)),
            sms_validity_period_s=int(env.get("SMS_VALIDITY_PERIOD_SECONDS", 4 * 3600)),
            sms_feedback_delay_s=int(env.get("SMS_FEEDBACK_DELAY_SECONDS", 7200)),
            jwt_ttl_s=int(env.get("JWT_TTL_SECONDS", 8 * 3600)),
            console_idle_s=_positive("CONSOLE_IDLE_MINUTES", env.get("CONSOLE_IDLE_MINUTES", "30"))
            * 60,
            console_session_s=_positive("CONSOLE_SESSION_HOURS",
                                        env.get("CONSOLE_SESSION_HOURS", "12")) * 3600,
            demo_seed=env.get("TASHEEL_DEMO_SEED", "1") not in ("0", "false", "no"),
            holidays=_csv(env.get("TASHEEL_HOLIDAYS", "")),
            tracking_page_limit=env.get("TRACKING_PAGE_LIMIT", "60/60"),
            tracking_form_limit=env.get("TRACKING_FORM_LIMIT", "20/600"),
            service_name=env.get("SERVICE_NAME") or None,
            ministry_name=env.get("MINISTRY_NAME") or None,
            helpline=env.get("HELPLINE") or None,
            outbox_retry_base_s=float(env.get("OUTBOX_RETRY_BASE_SECONDS", 10.0)),
            delivery_max_attempts=int(env.get("DELIVERY_MAX_ATTEMPTS", 2)),
            handover_alert_seconds=int(env.get("HANDOVER_ALERT_SECONDS", 3600)),
            manifest_alert_seconds=int(env.get("MANIFEST_ALERT_SECONDS", 4 * 3600)),
            stuck_after_hours=env.get("STUCK_AFTER_HOURS", ""),
            pii_retention_days=_retention_days(env.get("PII_RETENTION_DAYS", "365")),
            route_plan_hour=int(env.get("ROUTE_PLAN_HOUR", 6)),
            route_plan_seconds=float(env.get("ROUTE_PLAN_SECONDS", 18.0)),
            route_plan_workers=_positive("ROUTE_PLAN_WORKERS",
                                         env.get("ROUTE_PLAN_WORKERS", str(os.cpu_count() or 1))),
            route_service_s=int(env.get("ROUTE_SERVICE_SECONDS", 300)),
            route_delivery_hours=env.get("ROUTE_DELIVERY_HOURS", "08:00-16:00"),
            route_morning=env.get("ROUTE_MORNING", "08:00-12:00"),
            route_afternoon=env.get("ROUTE_AFTERNOON", "12:00-16:00"),
            route_circuity=float(env.get("ROUTE_CIRCUITY", 1.3)),
            route_speeds_kmh=env.get("ROUTE_SPEEDS_KMH", "foot=5,motorcycle=25,car=20"),
            osrm_url=env.get("OSRM_URL") or None,
            osrm_timeout_s=float(env.get("OSRM_TIMEOUT_SECONDS", 10.0)),
            osrm_max_table_size=_table_size(env.get("OSRM_MAX_TABLE_SIZE", "100")),
            map_tile_url=_tile_url(env.get("MAP_TILE_URL") or None),
            courier_default_vehicle=env.get("COURIER_DEFAULT_VEHICLE", "motorcycle"),
            courier_default_capacity=int(env.get("COURIER_DEFAULT_CAPACITY", 40)),
            courier_default_shift=env.get("COURIER_DEFAULT_SHIFT", "08:30-15:30"),
            argon2_memory_kib=int(env.get("ARGON2_MEMORY_KIB", 65536)),
            argon2_time_cost=int(env.get("ARGON2_TIME_COST", 3)),
            forwarded_allow_ips=_trusted_proxies(env.get("FORWARDED_ALLOW_IPS", "")),
            metrics_token=env.get("METRICS_TOKEN") or None,
            sms_console_show_codes=env.get("SMS_CONSOLE_SHOW_CODES", "0") in ("1", "true", "yes"),
        )


def _positive(name: str, value: str) -> int:
    """A whole number above zero, or a refusal naming the variable."""
    if not value.strip().isdigit() or int(value) <= 0:
        raise ValueError(f"{name} must be a whole number above zero, not {value!r}")
    return int(value)


def _whole(name: str, value: str) -> int:
    """A whole number, zero or more, or a refusal naming the variable."""
    if not value.strip().isdigit():
        raise ValueError(f"{name} must be a whole number, not {value!r}")
    return int(value)


def _table_size(value: str) -> int:
    size = _positive("OSRM_MAX_TABLE_SIZE", value)
    if size < 2:  # a block is two halves of a table
        raise ValueError(f"OSRM_MAX_TABLE_SIZE must be at least 2, not {value!r}")
    return size


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _trusted_proxies(value: str) -> tuple[str, ...]:
    trusted_networks(value)  # a malformed entry stops the process at start, naming the setting
    return _csv(value)


def _quiet_hours(value: str) -> str:
    parse_quiet_hours(value)  # a malformed window stops the process at start, naming the setting
    return value


def _secret_key(env: Mapping[str, str], data_dir: Path) -> bytes:
    """The server secret keying OTP and national-ID hashes.

    Production sets TASHEEL_SECRET_KEY; a local install keeps a generated one in its data folder
    so that codes and hashes survive restarts.
    """
    if env.get("TASHEEL_SECRET_KEY"):
        return env["TASHEEL_SECRET_KEY"].encode()
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()


def anchor_signing_key(settings: Settings) -> bytes:
    """The Ed25519 private key (its 32-byte seed) that signs the daily custody anchors.

    Production sets ANCHOR_SIGNING_KEY (64 hex digits) and keeps it out of the database's
    reach; a local install generates one into its data folder, once, when first needed.
    """
    if settings.anchor_signing_key:
        return settings.anchor_signing_key
    path = settings.data_dir / "anchor_signing_key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return _ed25519_seed(path.read_text())


def _public_keys(text: str) -> tuple[str, ...]:
    keys = tuple(k.lower() for k in text.replace(",", " ").split())
    for key in keys:
        if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError(f"ANCHOR_EARLIER_KEYS holds Ed25519 public keys, 64 hex digits each,"
                             f" separated by commas: {key[:16]}… is not one")
    return keys


def _ed25519_seed(text: str) -> bytes:
    if not text.strip():
        return b""
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ValueError("ANCHOR_SIGNING_KEY must be 64 hex digits (an Ed25519 private key)")
    return key


def _tile_url(text: str | None) -> str | None:
    # The page's Content-Security-Policy names the host: it must be one, over HTTP(S).
    if text is None:
        return None
    parts = urlsplit(text.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname or not all(
            f"{{{k}}}" in text for k in "zxy"):
        raise ValueError("MAP_TILE_URL must be an http(s) URL with {z}, {x} and {y}")
    return text.strip()


def _retention_days(text: str) -> int:
    days = int(text)
    if days < 1:  # 0 would purge an item the moment it is delivered, before any complaint
        raise ValueError("PII_RETENTION_DAYS must be a whole number of days, at least 1")
    return days
