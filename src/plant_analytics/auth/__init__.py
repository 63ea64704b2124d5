"""Auth: users, passwords (argon2id), JWT access tokens (EdDSA, JWKS), rotating refresh tokens."""
