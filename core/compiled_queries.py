"""Querysets compiled to SQL once per process, then run with each request's values.

Django turns a queryset into SQL every time it is evaluated. For a read endpoint whose query is a few
joins and annotations, that compilation is most of the request: on the persona spec reads it was
~0.85 ms of CPU per request, where sending the SQL and reading the row took ~0.15 ms. The SQL depends
only on the query's *shape*; its values are parameters. A `CompiledQuery` asks the ORM for the SQL
once, with placeholder values, remembers where each placeholder went in the parameters, and from then
on runs that SQL through `Model.objects.raw` with the real values: rows come back as model instances
(JSON fields decoded, annotations as attributes), exactly as the queryset would give them.

Use it only for a hot query whose shape is fixed by code: the SQL never sees a schema name (django-
tenants routes by `search_path`), so one compiled form serves every tenant; a shape that varies (a
page's LIMIT and OFFSET) is part of the cache key. Annotate what the caller needs from related rows
(`raw` does not follow `select_related`), and pass each value as the database adapter takes it
(`uuid.UUID` for a UUID column, `str` for text): it replaces its placeholder by equality.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections, models
from django.db.models import QuerySet

from core.lru import BoundedLRU

M = TypeVar("M", bound=models.Model)


class CompiledQuery(Generic[M]):
    """`build(**values, **shape)` compiled once per `shape`; `rows(shape, **values)` runs it.

    `placeholders` name each value and give the stand-in it is compiled with: a value of the same
    type that no real request uses, so it can be found again among the compiled parameters.
    """

    def __init__(self, build: Callable[..., QuerySet[M]], *, placeholders: Mapping[str, Any], shapes: int = 32):
        self._build = build
        self._placeholders = dict(placeholders)
        self._compiled: BoundedLRU[tuple[type[M], str, tuple]] = BoundedLRU(shapes)
        self._lock = threading.Lock()

    def rows(self, shape: Mapping[str, Hashable] | None = None, *, using: str = "default", **values) -> list[M]:
        if values.keys() != self._placeholders.keys():
            raise TypeError(f"expected the values {sorted(self._placeholders)}, got {sorted(values)}")
        shape = dict(shape or {})
        model, sql, slots = self._compiled_for(shape, using)
        params = [values[slot.name] if isinstance(slot, _Value) else slot for slot in slots]
        return list(model._default_manager.db_manager(using).raw(sql, params))

    def sql(self, shape: Mapping[str, Hashable] | None = None, *, using: str = "default") -> str:
        """The compiled SQL (for tests and for reading)."""
        return self._compiled_for(dict(shape or {}), using)[1]

    def _compiled_for(self, shape: dict, using: str) -> tuple[type[M], str, tuple]:
        key = repr((using, sorted(shape.items())))
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:  # two threads compiling the same shape would only waste the work
                compiled = self._compiled.get(key) or self._compile(shape, using)
                self._compiled.put(key, compiled)
        return compiled

    def _compile(self, shape: dict, using: str) -> tuple[type[M], str, tuple]:
        queryset = self._build(**self._placeholders, **shape)
        sql, params = queryset.query.get_compiler(connection=connections[using]).as_sql()
        slots, found = [], set()
        for param in params:
            name = next((name for name, stand_in in self._placeholders.items() if param == stand_in), None)
            slots.append(param if name is None else _Value(name))
            if name is not None:
                found.add(name)
        if missing := self._placeholders.keys() - found:
            raise ValueError(f"placeholders {sorted(missing)} are not parameters of the compiled SQL")
        return queryset.model, sql, tuple(slots)


@dataclass(frozen=True, slots=True)
class _Value:
    """Where a compiled query's parameters take the value of this name."""

    name: str
