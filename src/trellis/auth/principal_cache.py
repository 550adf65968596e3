"""Who a bearer credential is, remembered for a moment.

Every authenticated request used to read the session (or API token) row and its user: one extra worker-thread hop
and query per request, the largest cost of a simple authenticated read. A burst of requests with one credential (a
page load, an agent's tool calls) now reads it once per `TRELLIS_AUTH_CACHE_SECONDS` (default 1 s).

What this costs: in *this* process nothing, because any change this process commits to sessions, API tokens or
users (sign-out, revocation, deactivation, a role change) empties the cache at once. Another API process sees such
a change, and an access token's or session's expiry, at most that many seconds late. 0 turns the cache off.

Keys are SHA-256 digests of the credential, so the raw token is not kept in memory any longer than the request.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, replace
from itertools import chain

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from trellis.auth.models import ApiToken, AuthSession, User
from trellis.auth.service import Principal
from trellis.core.db import utcnow

_MAX_ENTRIES = 10_000
_IDENTITY_MODELS = (ApiToken, AuthSession, User)
_IDENTITY_TABLES = frozenset(model.__tablename__ for model in _IDENTITY_MODELS)
_CHANGED = "trellis.identity_changed"


@dataclass(frozen=True)
class _Entry:
    deadline: float
    principal: Principal


class PrincipalCache:
    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(bearer: str) -> str:
        return hashlib.sha256(bearer.encode("utf-8")).hexdigest()

    def get(self, bearer: str) -> Principal | None:
        entry = self._entries.get(self._key(bearer))
        if entry is None or entry.deadline <= time.monotonic():
            return None
        return entry.principal

    def put(self, bearer: str, principal: Principal, *, seconds: float) -> None:
        if seconds <= 0:
            return
        now = time.monotonic()
        with self._lock:
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries = {k: e for k, e in self._entries.items() if e.deadline > now}
                if len(self._entries) >= _MAX_ENTRIES:
                    self._entries.clear()
            self._entries[self._key(bearer)] = _Entry(now + seconds, principal)

    def touched(self, bearer: str, principal: Principal, *, seconds: float) -> Principal:
        """After recording an API token's use: the principal with the new time, so the next request does not
        record it again."""
        fresh = replace(principal, token_last_used_at=utcnow())
        if self.get(bearer) is not None:
            self.put(bearer, fresh, seconds=seconds)
        return fresh

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


principal_cache = PrincipalCache()


# Any session of this process that changes an identity row flags itself; the cache is emptied when it commits
# (not earlier: a request reading in between would cache the old row again).


@event.listens_for(Session, "do_orm_execute")
def _flag_bulk_changes(state: ORMExecuteState) -> None:
    table = getattr(state.statement, "table", None)
    if (state.is_update or state.is_delete) and table is not None and table.name in _IDENTITY_TABLES:
        state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_flush")
def _flag_flushed_changes(session: Session, _flush: UOWTransaction) -> None:
    if any(isinstance(obj, _IDENTITY_MODELS) for obj in chain(session.new, session.dirty, session.deleted)):
        session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _clear_on_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        principal_cache.clear()


@event.listens_for(Session, "after_rollback")
def _forget_flag(session: Session) -> None:
    session.info.pop(_CHANGED, None)


__all__ = ["PrincipalCache", "principal_cache"]
