"""The signing keys: Ed25519 PEM files; one signs, all of them are published in the JWKS.

Where they come from:
- ``PA_SIGNING_KEY_FILE``: that file signs. Other ``*.pem`` files in the same folder are
  published for verification only: the previous keys during a rotation (docs/security.md).
- otherwise ``PA_DATA_DIR/keys/*.pem``: the newest by name signs. When the folder is empty a
  key is generated there, in development and test only; production refuses to start.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
    load_pem_public_key,
)

from plant_analytics.security.subjects import DeferredSubjects
from plant_analytics.security.tokens import StaticKeys, jwk_entry, key_id
from plant_analytics.settings import Environment, Settings


class KeyConfigError(RuntimeError):
    """The signing keys are missing or unusable; the message says what to do."""


@dataclass(frozen=True)
class KeyStore:
    signing_kid: str
    signing_key: Ed25519PrivateKey
    public_keys: dict[str, Ed25519PublicKey]  # kid -> key, the signing key's included
    # The account check of this process's local verifiers (security/deps.local_security):
    # the auth service that signs with these keys attaches its database when it starts.
    subjects: DeferredSubjects = field(default_factory=DeferredSubjects, compare=False, repr=False)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [jwk_entry(key) for key in self.public_keys.values()]}

    def static_keys(self) -> StaticKeys:
        return StaticKeys(self.public_keys)


def generate_key_file(path: Path) -> Path:
    """Write a new Ed25519 private key as PEM, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return path


def new_key_name() -> str:
    return f"ed25519-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.pem"


def _read_private(path: Path) -> Ed25519PrivateKey:
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise KeyConfigError(f"cannot read the signing key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyConfigError(
            f"{path} is not an Ed25519 key; generate one with: plant-analytics keys generate"
        )
    return key


def _read_public(path: Path) -> Ed25519PublicKey | None:
    """A verification-only key: a private key PEM (its public half) or a public key PEM."""
    data = path.read_bytes()
    try:
        if b"PRIVATE KEY" in data:
            private = load_pem_private_key(data, password=None)
            return private.public_key() if isinstance(private, Ed25519PrivateKey) else None
        public = load_pem_public_key(data)
    except (ValueError, TypeError):
        return None
    return public if isinstance(public, Ed25519PublicKey) else None


def _store(signing: Ed25519PrivateKey, folder: Path) -> KeyStore:
    public_keys: dict[str, Ed25519PublicKey] = {}
    for path in sorted(folder.glob("*.pem")):
        public = _read_public(path)
        if public is not None:
            public_keys[key_id(public)] = public
    signing_kid = key_id(signing.public_key())
    public_keys[signing_kid] = signing.public_key()
    return KeyStore(signing_kid, signing, public_keys)


_generate_lock = threading.Lock()


def load_keystore(settings: Settings) -> KeyStore:
    if settings.signing_key_file is not None:
        path = Path(settings.signing_key_file)
        if not path.is_file():
            raise KeyConfigError(f"PA_SIGNING_KEY_FILE={path} does not exist")
        return _store(_read_private(path), path.parent)
    folder = settings.data_dir / "keys"
    with _generate_lock:
        candidates = sorted(folder.glob("*.pem")) if folder.is_dir() else []
        if not candidates:
            if settings.env is Environment.PRODUCTION:
                raise KeyConfigError(
                    "no signing key: in production set PA_SIGNING_KEY_FILE to an Ed25519 PEM "
                    "(create one with: plant-analytics keys generate --out FILE); keys are never "
                    "generated in production"
                )
            try:
                candidates = [generate_key_file(folder / new_key_name())]
            except FileExistsError:  # another process just made it
                candidates = sorted(folder.glob("*.pem"))
    return _store(_read_private(candidates[-1]), folder)


_cache: dict[tuple[str, str, str], KeyStore] = {}


def get_keystore(settings: Settings) -> KeyStore:
    """The key store for these settings, loaded once per process."""
    cache_key = (str(settings.signing_key_file), str(settings.data_dir.resolve()), settings.env)
    store = _cache.get(cache_key)
    if store is None:
        store = _cache[cache_key] = load_keystore(settings)
    return store
