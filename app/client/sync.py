"""`Darkroom`, the sync client: the async client run on a private event loop (portal.py).

Nothing here sends a request or decides anything: each method is the async method of the same
name, run to completion, and an operation handle is wrapped so that `wait()` blocks too.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Coroutine, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Concatenate, Generic, ParamSpec, Self, TypeVar

import httpx

from app.client import client as async_client
from app.client import library_files, library_images, library_operations, library_sets, search
from app.client.models import Me, OperationInfo, OpInfo
from app.client.operations import AsyncOp, AsyncOperation, FollowedOperation, OperationFields, OpFields, S
from app.client.portal import Portal
from app.client.transport import DEFAULT_TIMEOUT, EventHook, Retries

P = ParamSpec("P")
R = TypeVar("R")


# Operation handles


class _Blocking(Generic[S]):
    def __init__(self, inner: FollowedOperation[S], portal: Portal) -> None:
        self._inner: FollowedOperation[S] = inner
        self._portal = portal

    @property
    def info(self) -> S:
        return self._inner.info

    @property
    def finished(self) -> bool:
        return self._inner.finished

    @property
    def succeeded(self) -> bool:
        return self._inner.succeeded

    def wait(self, timeout: float = 60.0) -> Self:
        """Block until the operation has finished (see `AsyncOperation.wait`)."""
        self._portal.run(self._inner.wait(timeout))
        return self

    def follow(self) -> Iterator[S]:
        """The operation as it stands, then after each change until it has finished, blocking
        in between (see `AsyncOperation.follow`): one request per change."""
        changes = self._inner.follow()
        try:
            while True:
                try:
                    yield self._portal.run(_next(changes))
                except StopAsyncIteration:
                    return
        finally:
            self._portal.run(changes.aclose())

    def refresh(self) -> Self:
        self._portal.run(self._inner.refresh())
        return self

    def cancel(self) -> Self:
        self._portal.run(self._inner.cancel())
        return self

    def raise_for_failure(self) -> Self:
        self._inner.raise_for_failure()
        return self

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.info!r}>"


async def _next(changes: AsyncGenerator[S]) -> S:
    return await anext(changes)


class Operation(_Blocking[OperationInfo], OperationFields):
    """A library-dialect operation (`/v1/operations/{uuid}`)."""


class Op(_Blocking[OpInfo], OpFields):
    """A search-dialect operation (`/ops/{op_id}`)."""


# Resources: each method is the async one, run on the portal


class _Resource:
    def __init__(self, inner: Any, portal: Portal) -> None:
        self._inner = inner
        self._portal = portal


def _blocking(
    method: Callable[Concatenate[Any, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[_Resource, P], R]:
    def call(self: _Resource, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._portal.run(method(self._inner, *args, **kwargs))

    call.__name__, call.__doc__ = method.__name__, method.__doc__
    return call


def _operation(
    method: Callable[Concatenate[Any, P], Coroutine[Any, Any, AsyncOperation]],
) -> Callable[Concatenate[_Resource, P], Operation]:
    def call(self: _Resource, /, *args: P.args, **kwargs: P.kwargs) -> Operation:
        return Operation(self._portal.run(method(self._inner, *args, **kwargs)), self._portal)

    call.__name__, call.__doc__ = method.__name__, method.__doc__
    return call


def _op(
    method: Callable[Concatenate[Any, P], Coroutine[Any, Any, AsyncOp]],
) -> Callable[Concatenate[_Resource, P], Op]:
    def call(self: _Resource, /, *args: P.args, **kwargs: P.kwargs) -> Op:
        return Op(self._portal.run(method(self._inner, *args, **kwargs)), self._portal)

    call.__name__, call.__doc__ = method.__name__, method.__doc__
    return call


class Images(_Resource):
    _of = library_images.Images
    list = _blocking(_of.list)
    get = _blocking(_of.get)
    versions = _blocking(_of.versions)
    update = _operation(_of.update)
    delete = _operation(_of.delete)
    add_keywords = _operation(_of.add_keywords)
    remove_keyword = _operation(_of.remove_keyword)
    set_metadata = _operation(_of.set_metadata)
    set_rating = _operation(_of.set_rating)
    set_alt_text = _operation(_of.set_alt_text)
    add_credit = _operation(_of.add_credit)
    remove_credit = _operation(_of.remove_credit)
    set_crop = _operation(_of.set_crop)
    delete_crop = _operation(_of.delete_crop)
    extract_metadata = _operation(_of.extract_metadata)
    regenerate = _operation(_of.regenerate)


class Keywords(_Resource):
    _of = library_images.Keywords
    list = _blocking(_of.list)
    namespaces = _blocking(_of.namespaces)
    rename = _operation(_of.rename)


class Sets(_Resource):
    _of = library_sets.Sets
    list = _blocking(_of.list)
    tree = _blocking(_of.tree)
    get = _blocking(_of.get)
    images = _blocking(_of.images)
    snapshots = _blocking(_of.snapshots)
    create = _operation(_of.create)
    update = _operation(_of.update)
    delete = _operation(_of.delete)
    add_images = _operation(_of.add_images)
    remove_images = _operation(_of.remove_images)
    order = _operation(_of.order)
    reorder = _operation(_of.reorder)
    set_visibility = _operation(_of.set_visibility)
    restore = _operation(_of.restore)


class Uploads(_Resource):
    _of = library_files.Uploads
    upload_file = _operation(_of.upload_file)
    upload_bytes = _operation(_of.upload_bytes)
    ticket = _blocking(_of.ticket)
    send = _operation(_of.send)
    from_url = _operation(_of.from_url)


class Downloads(_Resource):
    _of = library_files.Downloads
    link = _blocking(_of.link)
    read = _blocking(_of.read)


class Archives(_Resource):
    _of = library_files.Archives
    create = _operation(_of.create)
    list = _blocking(_of.list)
    get = _blocking(_of.get)


class Operations(_Resource):
    _of = library_operations.Operations
    get = _operation(_of.get)
    list = _blocking(_of.list)
    cancel = _operation(_of.cancel)
    batch = _operation(_of.batch)


class Imgs(_Resource):
    _of = search.Imgs
    create = _op(_of.create)
    create_one = _op(_of.create_one)
    replace = _op(_of.replace)
    replace_one = _op(_of.replace_one)
    modify = _op(_of.modify)
    modify_one = _op(_of.modify_one)
    delete = _op(_of.delete)
    delete_one = _op(_of.delete_one)
    get = _blocking(_of.get)
    search = _blocking(_of.search)


class Ops(_Resource):
    _of = search.Ops
    list = _blocking(_of.list)
    get = _op(_of.get)
    cancel = _op(_of.cancel)


class Darkroom:
    """`Darkroom(url, token)`, the same resources and methods as `AsyncDarkroom`, blocking.
    Use it as `with`, or `close()` it. Event hooks, if any, are async functions."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retries: Retries | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        event_hooks: Mapping[str, Sequence[EventHook]] | None = None,
    ) -> None:
        self._portal = Portal()

        async def make() -> async_client.AsyncDarkroom:
            # Made on the private loop, where all of its requests will run.
            return async_client.AsyncDarkroom(
                url, token, timeout=timeout, retries=retries, transport=transport, event_hooks=event_hooks
            )

        self._async = self._portal.run(make())
        portal, inner = self._portal, self._async
        self.images = Images(inner.images, portal)
        self.keywords = Keywords(inner.keywords, portal)
        self.sets = Sets(inner.sets, portal)
        self.uploads = Uploads(inner.uploads, portal)
        self.downloads = Downloads(inner.downloads, portal)
        self.archives = Archives(inner.archives, portal)
        self.operations = Operations(inner.operations, portal)
        self.imgs = Imgs(inner.imgs, portal)
        self.ops = Ops(inner.ops, portal)

    @property
    def url(self) -> str:
        return self._async.url

    def me(self) -> Me:
        return self._portal.run(self._async.me())

    def healthy(self) -> bool:
        return self._portal.run(self._async.healthy())

    def close(self) -> None:
        self._portal.run(self._async.aclose())
        self._portal.close()

    def __enter__(self) -> Darkroom:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
