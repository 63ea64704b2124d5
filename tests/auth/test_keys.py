"""Signing keys: generated in development, refused in production, rotated by kid."""

from __future__ import annotations

from pathlib import Path

import pytest

from plant_analytics.auth.keys import KeyConfigError, generate_key_file, load_keystore
from plant_analytics.settings import Settings


def test_development_generates_one_key_and_reuses_it(tmp_path: Path) -> None:
    settings = Settings(env="development", data_dir=tmp_path)
    first = load_keystore(settings)
    second = load_keystore(settings)
    assert first.signing_kid == second.signing_kid
    files = list((tmp_path / "keys").glob("*.pem"))
    assert len(files) == 1
    assert files[0].stat().st_mode & 0o777 == 0o600


def test_production_refuses_to_generate(tmp_path: Path) -> None:
    settings = Settings(
        env="production", data_dir=tmp_path, internal_secret="x", admin_password="a-real-password"
    )
    with pytest.raises(KeyConfigError, match="PA_SIGNING_KEY_FILE"):
        load_keystore(settings)
    assert not (tmp_path / "keys").exists()


def test_rotation_publishes_old_and_new_signs_with_the_configured(tmp_path: Path) -> None:
    old = generate_key_file(tmp_path / "keys" / "2026-01.pem")
    new = generate_key_file(tmp_path / "keys" / "2026-06.pem")
    before = load_keystore(
        Settings(
            env="production",
            signing_key_file=old,
            internal_secret="x",
            admin_password="a-real-password",
        )
    )
    after = load_keystore(
        Settings(
            env="production",
            signing_key_file=new,
            internal_secret="x",
            admin_password="a-real-password",
        )
    )
    assert before.signing_kid != after.signing_kid
    published = {k["kid"] for k in after.jwks()["keys"]}
    assert published == {before.signing_kid, after.signing_kid}
    assert all(
        k["kty"] == "OKP" and k["alg"] == "EdDSA" and "d" not in k for k in after.jwks()["keys"]
    )
