"""`tasheel worker` as production runs it: stopped by SIGTERM, it shuts down cleanly."""

import asyncio
import os
import signal
import sys

import redis.asyncio as aioredis

HEALTH_CHECK = "arq:queue:health-check"  # arq writes it once running and removes it on shutdown


async def test_a_worker_stopped_by_sigterm_closes_everything_and_exits_zero(settings):
    env = {**os.environ, "DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url,
           "TASHEEL_SECRET_KEY": "test-secret", "TASHEEL_DATA_DIR": str(settings.data_dir),
           "LOG_LEVEL": "WARNING"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "delivery.cli", "worker", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    redis = aioredis.from_url(settings.redis_url)
    try:
        for _ in range(300):
            if await redis.exists(HEALTH_CHECK):
                break
            await asyncio.sleep(0.05)
        assert await redis.exists(HEALTH_CHECK), "the worker did not start"
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == 0, stderr.decode()
        assert b"Traceback" not in stderr and b"Unclosed" not in stderr
        assert not await redis.exists(HEALTH_CHECK)  # arq's close ran, and with it our shutdown
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await redis.aclose()
