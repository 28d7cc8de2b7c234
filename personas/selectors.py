"""Reads of persona specs, including the cached active-spec lookup used on every chat request.

The active-spec lookup has two cache levels:
- a *pointer* per twin in Django's cache (LocMem, or Redis when REDIS_URL is set, so every worker
  sees a publish at once): `(spec id, version, spec hash)` of the active version, or "none";
- the *compiled form* of a version, keyed by tenant schema, twin and spec hash. Content-addressed,
  so it can never be stale; kept in process memory and in Django's cache.
A request costs at most one SQL query (cold pointer, or a compiled form missing everywhere) and none
when both levels are warm.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Case, Count, F, Q, QuerySet, Subquery, When, Window

from core.compiled_queries import CompiledQuery
from core.errors import Conflict, NotFound
from core.input_limits import clip
from core.lru import BoundedLRU
from personas.compiler import COMPILER_VERSION, CompiledSpec, precompile
from personas.models import AuditEvent, PersonaSpec
from personas.permissions import SpecAction, may_see_specs_of, require
from personas.spec import MAX_VERSION_PART, format_semver, next_patch
from twins.models import Twin

NO_ACTIVE_SPEC = "none"
FIRST_VERSION = "1.0.0"
LOCAL_COMPILED_LIMIT = 256


@dataclass(frozen=True)
class CompiledPersona:
    """A version's compiled form, with the spec it came from (the offline responder reads it)."""

    compiled: CompiledSpec
    spec: dict


@dataclass(frozen=True)
class ActiveSpecPointer:
    spec_id: str
    version: str
    spec_hash: str


def twin_for_spec_access(user, twin_id) -> Twin:
    """The twin, for a user who may see it or its specs; NotFound otherwise (no existence leak)."""
    try:
        twin = Twin.objects.get(pk=twin_id)
    except (Twin.DoesNotExist, ValueError, ValidationError):
        raise NotFound("Twin not found.") from None
    if not may_see_specs_of(user, twin):
        raise NotFound("Twin not found.")
    return twin


def persona_spec_list(*, twin, user) -> QuerySet[PersonaSpec]:
    """Newest first by semver (never by created_at: ties happen, and 1.0.10 comes after 1.0.9)."""
    require(user, SpecAction.VIEW, twin)
    return PersonaSpec.objects.of_twin(twin).select_related("created_by", "published_by").newest_first()


def persona_spec_page(*, user, twin_id, offset: int, limit: int) -> tuple[list[PersonaSpec], int] | None:
    """Rows `offset` to `offset + limit` of `persona_spec_list` and the twin's number of versions, in
    one query (the twin's owner joined, the total counted over the window): what a list request
    needs, with the same NotFound and PermissionDenied. None when the page is empty (no version, or
    past the end): the caller then asks the twin and the count the usual way. The rows carry the
    usernames as annotations (see `_read_rows`), which `PersonaSpecSerializer` reads."""
    rows = _PAGE_READ.rows({"offset": offset, "limit": limit}, twin_id=_twin_uuid(twin_id))
    if not rows:
        return None
    _require_view(user, rows[0])
    return rows, rows[0].versions_total


def persona_spec_next_version(twin) -> str:
    """The version a new draft gets when none is asked for: the next patch after the twin's highest
    version (numeric order), or 1.0.0 for its first. Callers that store it hold the twin's row lock.

    Conflict when the highest version's patch is already the largest storable one: only the caller
    knows which version should come next, so it must give one."""
    latest = (
        PersonaSpec.objects.of_twin(twin).newest_first()
        .values_list("version_major", "version_minor", "version_patch").first()
    )
    return next_version_after(latest)


@dataclass(frozen=True)
class VersionNeighbours:
    """What a new version of a twin is numbered and judged against, as it stands before it is stored."""

    highest: tuple[int, int, int] | None  # the twin's highest version, numerically
    active_version: str | None
    active_spec: dict | None
    taken: bool  # the version asked for exists already


def persona_spec_neighbours(twin, version: str | None = None) -> VersionNeighbours:
    """The twin's highest version, its active version (with its spec) and whether `version` is taken,
    in one query (a create reads them under the twin's lock, so they are what the new row follows)."""
    versions = PersonaSpec.objects.of_twin(twin)
    wanted = Q(status=PersonaSpec.Status.ACTIVE) | Q(pk=Subquery(versions.newest_first().values("pk")[:1]))
    if version is not None:
        wanted |= Q(version=version)
    rows = list(
        versions.filter(wanted)
        .annotate(active_spec=Case(When(status=PersonaSpec.Status.ACTIVE, then=F("spec")), default=None))
        .values_list("version", "version_major", "version_minor", "version_patch", "status", "active_spec")
    )
    highest = max((tuple(row[1:4]) for row in rows), default=None)
    active = next((row for row in rows if row[4] == PersonaSpec.Status.ACTIVE), None)
    return VersionNeighbours(
        highest=highest,
        active_version=active[0] if active else None,
        active_spec=active[5] if active else None,
        taken=version is not None and any(row[0] == version for row in rows),
    )


def next_version_after(latest: tuple[int, int, int] | None) -> str:
    """The next patch after `latest`, 1.0.0 without one; Conflict when no patch number is left."""
    if not latest:
        return FIRST_VERSION
    if latest[2] >= MAX_VERSION_PART:
        major, minor, _ = latest
        raise Conflict(
            f"No patch number left after {format_semver(latest)}: give a version explicitly, "
            f"e.g. {major}.{minor + 1}.0.",
            errors=[{"path": "/version", "message": f"no patch number left after {format_semver(latest)}"}],
        )
    return next_patch(latest)


def persona_spec_get(*, twin, user, version: str) -> PersonaSpec:
    try:
        persona_spec = persona_spec_list(twin=twin, user=user).get(version=version)
    except PersonaSpec.DoesNotExist:
        raise version_not_found(version) from None
    persona_spec.twin = twin  # the caller's row: permission checks on it need no second read
    return persona_spec


def version_not_found(version: str) -> NotFound:
    return NotFound(f"Persona spec version {clip(version)} not found.")


def persona_spec_read(*, user, twin_id, version: str) -> PersonaSpec:
    """Version `version` of the twin, for reading: one query when it exists, with the NotFound of
    `twin_for_spec_access` for a twin the user may not see and PermissionDenied without the view
    permission. The row carries the usernames as annotations (see `_read_rows`)."""
    rows = _VERSION_READ.rows(twin_id=_twin_uuid(twin_id), version=version)
    if not rows:
        require(user, SpecAction.VIEW, twin_for_spec_access(user, twin_id))
        raise version_not_found(version)
    _require_view(user, rows[0])
    return rows[0]


def persona_spec_with_twin(*, user, twin_id, version: str) -> tuple[Twin, PersonaSpec | None]:
    """(twin, its version `version` or None) in one query when the version exists, both rows whole
    (a publish acts on them): what `twin_for_spec_access` then `persona_spec_get` answer, with the
    same NotFound for a twin the user may not see, and PermissionDenied without the view permission."""
    try:
        persona_spec = (
            PersonaSpec.objects.of_twin(twin_id).select_related("twin", "created_by", "published_by")
            .get(version=version)  # no ORDER BY: one row at most (unique per twin)
        )
    except PersonaSpec.DoesNotExist:
        twin = twin_for_spec_access(user, twin_id)
        require(user, SpecAction.VIEW, twin)
        return twin, None
    except (ValueError, ValidationError):
        raise NotFound("Twin not found.") from None
    twin = persona_spec.twin
    if not may_see_specs_of(user, twin):
        raise NotFound("Twin not found.")
    require(user, SpecAction.VIEW, twin)
    return twin, persona_spec


def audit_event_list(*, twin, user) -> QuerySet[AuditEvent]:
    """The twin's governance history, newest first; visible to whoever may view its specs."""
    require(user, SpecAction.VIEW, twin)
    return AuditEvent.objects.filter(twin=twin).order_by("-created_at", "-id")


def persona_spec_active(*, twin, user) -> PersonaSpec | None:
    return persona_spec_list(twin=twin, user=user).active().first()


def persona_spec_active_of(*, user, twin_id) -> PersonaSpec | None:
    """`twin_for_spec_access` then `persona_spec_active`, in one query when the twin has an active
    version, with the same NotFound and PermissionDenied. The row carries the usernames as
    annotations (see `_read_rows`)."""
    rows = _ACTIVE_READ.rows(twin_id=_twin_uuid(twin_id))
    if not rows:
        require(user, SpecAction.VIEW, twin_for_spec_access(user, twin_id))
        return None
    _require_view(user, rows[0])
    return rows[0]


# --- the reads every client polls, compiled once per process -------------------------------------
# List, retrieve and GET active answer from one query each. Compiling those queries was most of their
# CPU time (~0.85 ms a request against ~0.15 ms to run them), so they are compiled once per process
# (core.compiled_queries) and return rows with what the response and the permission check need
# from the related rows as annotations: no related object is loaded.

@dataclass(frozen=True)
class TwinOwnership:
    """What the permission rules (personas.permissions) read of a twin: whose it is."""

    owner_id: int


def _read_rows(twin_id) -> QuerySet[PersonaSpec]:
    return PersonaSpec.objects.of_twin(twin_id).annotate(
        twin_owner_id=F("twin__owner_id"),
        created_by_username=F("created_by__username"),
        published_by_username=F("published_by__username"),
    )


# Stand-ins the queries are compiled with; no request has them (versions are digits and dots).
_ANY_TWIN, _ANY_VERSION = uuid.UUID(int=0), "compiled-query-placeholder"
_ACTIVE_READ = CompiledQuery(  # one row at most (one active version per twin): no ORDER BY needed
    lambda twin_id: _read_rows(twin_id).active().order_by(), placeholders={"twin_id": _ANY_TWIN})
_VERSION_READ = CompiledQuery(  # one row at most (versions are unique per twin)
    lambda twin_id, version: _read_rows(twin_id).filter(version=version).order_by(),
    placeholders={"twin_id": _ANY_TWIN, "version": _ANY_VERSION})
_PAGE_READ = CompiledQuery(
    lambda twin_id, offset, limit: _read_rows(twin_id).annotate(versions_total=Window(Count("pk")))
    .newest_first()[offset:offset + limit],
    placeholders={"twin_id": _ANY_TWIN})


def _twin_uuid(twin_id) -> uuid.UUID:
    """The twin id as the compiled queries take it; NotFound for anything that is not a UUID."""
    try:
        return twin_id if isinstance(twin_id, uuid.UUID) else uuid.UUID(str(twin_id))
    except ValueError:
        raise NotFound("Twin not found.") from None


def _require_view(user, row: PersonaSpec) -> None:
    """NotFound for a twin the user may not see, PermissionDenied without the view permission."""
    twin = TwinOwnership(row.twin_owner_id)
    if not may_see_specs_of(user, twin):
        raise NotFound("Twin not found.")
    require(user, SpecAction.VIEW, twin)


# --- the cached hot path -------------------------------------------------------------------------

def _pointer_key(twin_id) -> str:
    return f"persona:active:{connection.schema_name}:{twin_id}"


def _compiled_key(twin_id, spec_hash: str) -> str:
    return f"persona:compiled:v{COMPILER_VERSION}:{connection.schema_name}:{twin_id}:{spec_hash}"


# Compiled forms already unpickled in this process: one cache round trip per request is enough.
_local_compiled: BoundedLRU[CompiledPersona] = BoundedLRU(LOCAL_COMPILED_LIMIT)


def _active_row(twin_id):
    """(id, version, spec_hash, spec) of the twin's active version, or None: one query."""
    return (
        PersonaSpec.objects.of_twin(twin_id).active()
        .values_list("id", "version", "spec_hash", "spec")
        .first()
    )


def active_spec_pointer(twin_id) -> tuple[ActiveSpecPointer | None, dict | None]:
    """The twin's active version, and its spec when the lookup had to read it from the database."""
    cached = cache.get(_pointer_key(twin_id))
    if cached is not None:
        return (None if cached == NO_ACTIVE_SPEC else ActiveSpecPointer(*cached)), None
    row = _active_row(twin_id)
    if row is None:
        cache.add(_pointer_key(twin_id), NO_ACTIVE_SPEC)
        return None, None
    pointer = ActiveSpecPointer(str(row[0]), row[1], row[2])
    # add, not set: a publish that commits meanwhile sets the new pointer, and must win.
    cache.add(_pointer_key(twin_id), (pointer.spec_id, pointer.version, pointer.spec_hash))
    return pointer, row[3]


def compiled_persona(twin_id, pointer: ActiveSpecPointer, spec: dict | None = None) -> CompiledPersona:
    """The compiled form of `pointer`'s version; raises SpecValidationError if it does not compile."""
    key = _compiled_key(twin_id, pointer.spec_hash)
    compiled = _local_compiled.get(key)
    if compiled is not None:
        return compiled
    compiled = cache.get(key)
    if compiled is None:
        if spec is None:
            spec = PersonaSpec.objects.values_list("spec", flat=True).get(pk=pointer.spec_id)
        compiled = CompiledPersona(precompile(spec), spec)
        cache.set(key, compiled)
    _local_compiled.put(key, compiled)
    return compiled


def active_compiled_persona(twin_id) -> tuple[ActiveSpecPointer | None, CompiledPersona | None]:
    """(pointer, compiled form) of the twin's active version, or (None, None) when it has none.

    Raises SpecValidationError when the active version does not compile (the caller falls back).
    """
    pointer, spec = active_spec_pointer(twin_id)
    if pointer is None:
        return None, None
    return pointer, compiled_persona(twin_id, pointer, spec)


def active_spec_cache_refresh(twin_id) -> None:
    """Point the cache at the twin's current active version (called after a publish commits)."""
    row = _active_row(twin_id)
    if row is None:
        cache.set(_pointer_key(twin_id), NO_ACTIVE_SPEC)
        return
    pointer = ActiveSpecPointer(str(row[0]), row[1], row[2])
    compiled_persona(twin_id, pointer, row[3])  # warm before the pointer moves: the next request is fast
    cache.set(_pointer_key(twin_id), (pointer.spec_id, pointer.version, pointer.spec_hash))


def active_spec_cache_set(twin_id, *, spec_id, version: str, spec_hash: str, spec: dict,
                          compiled: CompiledSpec | None = None) -> None:
    """Point the cache at a version a publish has just made active (called once it commits).

    The publish knows the row and compiled it under the twin's lock, so no query and no second
    compile; the compiled form is stored before the pointer moves, so the next request is fast."""
    pointer = ActiveSpecPointer(str(spec_id), version, spec_hash)
    key = _compiled_key(twin_id, spec_hash)
    if compiled is not None and _local_compiled.get(key) is None:
        persona = CompiledPersona(compiled, spec)
        cache.set(key, persona)
        _local_compiled.put(key, persona)
    compiled_persona(twin_id, pointer, spec)
    cache.set(_pointer_key(twin_id), (pointer.spec_id, pointer.version, pointer.spec_hash))


def clear_local_compiled_cache() -> None:
    """Forget the compiled forms held by this process (tests; a deploy restarts workers anyway)."""
    _local_compiled.clear()
