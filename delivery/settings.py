"""Configuration, read from the environment once and passed around as a frozen value."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

import msgspec

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything Tasheel needs to know about its surroundings."""

    database_url: str | None = None
    redis_url: str | None = None
    data_dir: Path = PROJECT_ROOT / ".data"
    public_base_url: str = "http://127.0.0.1:8000"
    secret_key: bytes = b""
    s10_service_indicator: str = "RR"
    log_level: str = "INFO"
    max_body_bytes: int = 16 * 1024 * 1024
    assign_max_nearest_km: float = 25.0
    hold_days: str = ""
    webhook_allow_hosts: tuple[str, ...] = ()
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_from: str | None = None
    twilio_api_base_url: str | None = None
    sms_quiet_hours: str = "22:00-08:00"
    jwt_ttl_s: int = 8 * 3600
    demo_seed: bool = True
    outbox_retry_base_s: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from `env` (the process environment by default)."""
        env = os.environ if env is None else env
        data_dir = Path(env.get("TASHEEL_DATA_DIR") or PROJECT_ROOT / ".data")
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            redis_url=env.get("REDIS_URL") or None,
            data_dir=data_dir,
            public_base_url=env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
            secret_key=_secret_key(env, data_dir),
            s10_service_indicator=env.get("S10_SERVICE_INDICATOR", "RR"),
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            max_body_bytes=int(env.get("MAX_BODY_BYTES", 16 * 1024 * 1024)),
            assign_max_nearest_km=float(env.get("ASSIGN_MAX_NEAREST_KM", 25.0)),
            hold_days=env.get("HOLD_DAYS", ""),
            webhook_allow_hosts=_csv(env.get("WEBHOOK_ALLOW_HOSTS", "")),
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID") or None,
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN") or None,
            twilio_messaging_service_sid=env.get("TWILIO_MESSAGING_SERVICE_SID") or None,
            twilio_from=env.get("TWILIO_FROM") or None,
            twilio_api_base_url=env.get("TWILIO_API_BASE_URL") or None,
            sms_quiet_hours=env.get("SMS_QUIET_HOURS", "22:00-08:00"),
            jwt_ttl_s=int(env.get("JWT_TTL_SECONDS", 8 * 3600)),
            demo_seed=env.get("TASHEEL_DEMO_SEED", "1") not in ("0", "false", "no"),
            outbox_retry_base_s=float(env.get("OUTBOX_RETRY_BASE_SECONDS", 10.0)),
        )


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


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
