"""Staff passwords: argon2id, memory-hard at the production costs, costs taken from settings."""

import argon2

from delivery.platform.settings import Settings
from delivery.staff import model, services


def test_production_costs_are_memory_hard_argon2id():
    production = Settings.from_env({"TASHEEL_SECRET_KEY": "x"})
    hasher = model.password_hasher(production.argon2_memory_kib, production.argon2_time_cost)
    stored = hasher.hash("correct horse battery")
    params = argon2.extract_parameters(stored)
    assert params.type is argon2.Type.ID
    assert params.memory_cost == 64 * 1024 and params.time_cost == 3
    assert hasher.verify(stored, "correct horse battery")


def test_costs_come_from_the_settings_and_hashes_still_verify(monkeypatch):
    monkeypatch.setattr(model, "_active", list(model._active))  # restored after the test
    cheap = Settings.from_env({"TASHEEL_SECRET_KEY": "x", "ARGON2_MEMORY_KIB": "2048",
                               "ARGON2_TIME_COST": "2"})
    services.configure_hashing(cheap)
    stored = model.hash_password("correct horse battery")
    params = argon2.extract_parameters(stored)
    assert (params.memory_cost, params.time_cost) == (2048, 2)
    assert model.password_matches(stored, "correct horse battery")
    assert not model.password_matches(stored, "wrong horse battery")
    assert not model.password_matches(None, "correct horse battery")
