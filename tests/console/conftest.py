"""Fixtures of the console's tests: a Baghdad world with a citizen's phone at the fake Twilio,
for pages about items moved through the front door."""

from tests.integration.journey_support import citizen, fake, sms_settings, world  # noqa: F401
