"""The anchors' signing key: from ANCHOR_SIGNING_KEY, or generated once into the data folder."""

import pytest

from delivery.platform.settings import Settings, anchor_signing_key


def test_a_configured_key_is_used_and_nothing_is_written(tmp_path):
    settings = Settings.from_env({"TASHEEL_DATA_DIR": str(tmp_path),
                                  "TASHEEL_SECRET_KEY": "s", "ANCHOR_SIGNING_KEY": "ab" * 32})
    assert anchor_signing_key(settings) == bytes.fromhex("ab" * 32)
    assert list(tmp_path.iterdir()) == []


def test_without_one_a_key_is_generated_once_and_kept(tmp_path):
    settings = Settings.from_env({"TASHEEL_DATA_DIR": str(tmp_path), "TASHEEL_SECRET_KEY": "s"})
    assert list(tmp_path.iterdir()) == []  # only when first needed
    first = anchor_signing_key(settings)
    assert len(first) == 32 and anchor_signing_key(settings) == first
    assert (tmp_path / "anchor_signing_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("bad", ["xyz", "ab" * 31, "ab" * 33])
def test_a_malformed_key_is_refused_at_start(tmp_path, bad):
    with pytest.raises(ValueError, match="64 hex digits"):
        Settings.from_env({"TASHEEL_DATA_DIR": str(tmp_path), "TASHEEL_SECRET_KEY": "s",
                           "ANCHOR_SIGNING_KEY": bad})
