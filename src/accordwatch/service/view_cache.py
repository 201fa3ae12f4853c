"""Views computed once per signed checkpoint, kept per worker process.

Every view (a dashboard page, its JSON twin, a chart, an evaluation of the
API) reads the log through one `Snapshot`, which fixes one signed checkpoint:
the same checkpoint, the same query and the same reader give the same
answer. A view is therefore kept under the key (checkpoint size and root,
view, its parameters with `as_of` resolved to a date, the reader's party and
role or None) and computed again only when the log has moved on. Anonymous
requests have the reader None and never share an entry with a signed-in
reader, so confidential content never crosses readers through the cache.

What is kept is bounded twice, least recently used out first: answers as
they are sent (JSON, SVG, HTML bytes) up to `MAX_BYTES` in all, and the
evaluations they are made from (Python objects, whose size is not known) up
to `MAX_OBJECTS`. Once a newer checkpoint is seen the views of older ones are
dropped: `Snapshot.default` never reads them again. Concurrent requests for
the same missing view wait for the one computing it rather than compute it
too. A computation that fails is not kept: the next request tries again.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from fastapi import Response
from fastapi.encoders import jsonable_encoder

from accordwatch.log.access import Reader
from accordwatch.sources.snapshot import Snapshot

T = TypeVar("T")

#: bytes of encoded answers kept per worker process
MAX_BYTES = 128 << 20
#: evaluations (objects) kept per worker process
MAX_OBJECTS = 8


@dataclass(frozen=True)
class ViewKey:
    """What a view's answer depends on."""

    size: int
    root: bytes
    view: str
    params: tuple[Hashable, ...]
    #: (party, role) of the reader, None for an anonymous request
    reader: tuple[str, str] | None


def reader_key(reader: Reader | None) -> tuple[str, str] | None:
    return None if reader is None else (reader.party, str(reader.role))


def json_bytes(data: Any) -> bytes:
    """`data` as FastAPI's JSON response would encode it, byte for byte."""
    try:
        # most views are plain JSON already: encoding them directly is many times faster
        text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except TypeError:  # dates, models: what FastAPI makes of them
        text = json.dumps(
            jsonable_encoder(data), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        )
    return text.encode("utf-8")


def _weight(value: object) -> int:
    return len(value) if isinstance(value, bytes) else 1


class _Shelf:
    """One least-recently-used store, with the total weight it may hold."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.weight = 0
        self.items: OrderedDict[ViewKey, object] = OrderedDict()

    def take(self, key: ViewKey) -> tuple[bool, object]:
        if key not in self.items:
            return False, None
        self.items.move_to_end(key)
        return True, self.items[key]

    def put(self, key: ViewKey, value: object) -> None:
        weight = _weight(value)
        if weight > self.budget:
            return  # larger than the whole shelf: answered, never kept
        self.items[key] = value
        self.weight += weight
        while self.weight > self.budget:
            _, out = self.items.popitem(last=False)
            self.weight -= _weight(out)

    def drop_before(self, size: int) -> None:
        for key in [k for k in self.items if k.size < size]:
            self.weight -= _weight(self.items.pop(key))


class ViewCache:
    """Views by `ViewKey`: encoded answers and the evaluations they are made from."""

    def __init__(self, max_bytes: int = MAX_BYTES, max_objects: int = MAX_OBJECTS) -> None:
        self._encoded = _Shelf(max_bytes)
        self._objects = _Shelf(max_objects)
        self._lock = threading.Lock()
        self._computing: dict[ViewKey, threading.Lock] = {}
        self._newest = -1
        #: views computed and views served from the cache, since the process started
        self.computed = 0
        self.hits = 0

    def key(
        self, log: Snapshot, view: str, params: tuple[Hashable, ...], reader: Reader | None
    ) -> ViewKey:
        root = log.ledger.opened(log.checkpoint).root
        return ViewKey(log.size, root, view, params, reader_key(reader))

    def view(
        self,
        log: Snapshot,
        view: str,
        params: tuple[Hashable, ...],
        reader: Reader | None,
        compute: Callable[[Snapshot], T],
    ) -> T:
        """The view `view` of `log` for `params` and `reader`: kept, or `compute(log)` now.

        `compute` must read the log through the snapshot it is given and
        nothing else, and give what `reader` may see and nothing more. What
        it returns is shared by every later request: callers must not change it.

        A reader who signed in is computed for every time: what it may read
        includes confidential payloads, and each payload handed out is to
        be opened (and written to the access log) for that request.
        """
        if reader is not None:
            return compute(log)
        key = self.key(log, view, params, reader)
        with self._lock:
            found, value = self._take(key)
            if found:
                return cast(T, value)
            gate = self._computing.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                found, value = self._take(key)
                if found:
                    return cast(T, value)
            try:
                computed = compute(log)
            finally:
                with self._lock:
                    self._computing.pop(key, None)
            with self._lock:
                self.computed += 1
                self._keep(key, computed)
        return computed

    def json(
        self,
        log: Snapshot,
        view: str,
        params: tuple[Hashable, ...],
        reader: Reader | None,
        compute: Callable[[Snapshot], Any],
    ) -> Response:
        """A view as a JSON answer, encoded once per checkpoint; only the bytes are kept."""
        data = self.view(log, view + " json", params, reader, lambda log: json_bytes(compute(log)))
        return Response(data, media_type="application/json")

    def __len__(self) -> int:
        return len(self._encoded.items) + len(self._objects.items)

    @property
    def encoded_bytes(self) -> int:
        return self._encoded.weight

    def _take(self, key: ViewKey) -> tuple[bool, object]:
        for shelf in (self._encoded, self._objects):
            found, value = shelf.take(key)
            if found:
                self.hits += 1
                return True, value
        return False, None

    def _keep(self, key: ViewKey, value: object) -> None:
        if key.size < self._newest:
            return  # read at a checkpoint already superseded: nobody will ask again
        if key.size > self._newest:
            self._newest = key.size
            self._encoded.drop_before(key.size)
            self._objects.drop_before(key.size)
        (self._encoded if isinstance(value, bytes) else self._objects).put(key, value)
