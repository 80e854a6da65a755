"""Fixtures shared by the integration tests that follow a citizen through the service."""

from tests.integration.journey_support import citizen, fake, sms_settings, world  # noqa: F401
