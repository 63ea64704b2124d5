"""FastAPI dependencies that authenticate the caller.

CONTRACT (other modules import these names): ``require_principal``, ``require_admin``,
``RequireUser``, ``RequireAdmin``. Tests of routes may override ``require_principal``
with ``app.dependency_overrides``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from plant_analytics.security.principal import Principal


async def require_principal(request: Request) -> Principal:
    """The authenticated caller; 401 otherwise. (Implemented by the auth component.)"""
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, "authentication is not configured")


async def require_admin(principal: Annotated[Principal, Depends(require_principal)]) -> Principal:
    if not principal.is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs the admin role")
    return principal


RequireUser = Annotated[Principal, Depends(require_principal)]
RequireAdmin = Annotated[Principal, Depends(require_admin)]
