"""Prepare a checkout for `docker compose up`: write .env and the JWT signing key if missing.

.env is copied from .env.example, with every empty value filled by a fresh random secret.
An existing .env or key is never touched, so running this again is safe.
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def fill_secret(name: str) -> str:
    if name == "AIRFLOW_FERNET_KEY":
        return base64.urlsafe_b64encode(os.urandom(32)).decode()
    return secrets.token_urlsafe(32)


def write_env(example: Path, target: Path) -> None:
    lines = []
    for line in example.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#") and value == "":
            line = f"{name}={fill_secret(name.strip())}"
        lines.append(line)
    target.write_text("\n".join(lines) + "\n")
    target.chmod(0o600)
    print(f"wrote {target.relative_to(ROOT)} with fresh secrets (keep it out of git)")


def read_env(path: Path) -> dict[str, str]:
    pairs = (line.partition("=") for line in path.read_text().splitlines())
    return {k.strip(): v.strip() for k, sep, v in pairs if sep and not k.lstrip().startswith("#")}


def write_signing_key(path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    path.write_bytes(pem)
    # Readable by the container's non-root user (uid 10001), which does not own the file;
    # the folder above stays private to you.
    path.chmod(0o644)
    print(f"wrote {path.relative_to(ROOT)} (Ed25519 JWT signing key)")


def main() -> int:
    env_file = ROOT / ".env"
    if not env_file.exists():
        write_env(ROOT / ".env.example", env_file)
    key = Path(read_env(env_file).get("PA_SIGNING_KEY_PATH", "./var/secrets/jwt-signing-key.pem"))
    key = key if key.is_absolute() else ROOT / key
    if not key.exists():
        write_signing_key(key)
    return 0


if __name__ == "__main__":
    sys.exit(main())
