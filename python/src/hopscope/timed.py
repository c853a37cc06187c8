"""``@timed``: ``<name>_started`` (debug), ``<name>_completed`` (info, duration_ms) and
``<name>_failed`` (error) lines around a function, each in a span of its own (seed 000 FR-8)."""

from __future__ import annotations

import functools
import inspect
import re
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar, overload

from . import otel
from .context import RequestContext, current_context, reset_context, use_context
from .log.logger import Logger, exc_info_fields, get_logger

F = TypeVar("F", bound=Callable[..., Any])
_log = get_logger()
# The Node SDK's rule for timed() names, so both name the same work the same way.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,99}")


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


class _Timing:
    """One call's span: opened on start, logged once on completion or failure."""

    __slots__ = ("name", "log", "ctx", "start")

    def __init__(self, name: str, log: Logger, ids: otel.OtelIds | None = None) -> None:
        self.name, self.log = name, log
        parent = current_context() or RequestContext()
        if ids is not None:  # OpenTelemetry made the span: log its IDs, not a second set
            self.ctx = replace(
                parent, trace_id=ids.trace_id, span_id=ids.span_id, parent_span_id=ids.parent_span_id
            )
        else:
            self.ctx = parent.child()
        self.start = time.perf_counter()
        self._emit("debug", "started")

    def _emit(self, level: str, suffix: str, **fields: Any) -> None:
        ctx = self.ctx
        # The block's own span names the line (the current context is still the caller's).
        self.log.log_in(
            ctx, level, f"{self.name}_{suffix}", parent_span_id=ctx.parent_span_id, **fields
        )

    def completed(self, **fields: Any) -> None:
        self._emit("info", "completed", duration_ms=_ms(self.start), **fields)

    def failed(self, exc: BaseException, **fields: Any) -> None:
        self._emit("error", "failed", duration_ms=_ms(self.start), **exc_info_fields(exc), **fields)


@overload
def timed(name: F) -> F: ...
@overload
def timed(name: str | None = None, *, logger: Logger | None = None) -> Callable[[F], F]: ...


def timed(name: Any = None, *, logger: Logger | None = None) -> Any:
    """Times sync and async functions, and sync and async generators (until exhausted or closed).

    ``@timed``, ``@timed()`` and ``@timed("complexity_analysis")`` all work; the name defaults
    to the function's. Exceptions are logged and re-raised unchanged.
    """
    if callable(name):
        return timed()(name)
    if name is not None and (not isinstance(name, str) or not _NAME.fullmatch(name)):
        raise ValueError("timed() name must be 1-100 characters of letters, digits, _ and .")
    log = logger or _log

    def decorate(func: F) -> F:
        label = name or func.__name__
        if not _NAME.fullmatch(label):
            label = "anonymous"
        if inspect.isasyncgenfunction(func):
            return _wrap_async_gen(func, label, log)  # type: ignore[return-value]
        if inspect.isgeneratorfunction(func):
            return _wrap_gen(func, label, log)  # type: ignore[return-value]
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with otel.span(label) as ids:
                    timing = _Timing(label, log, ids)
                    token = use_context(timing.ctx)
                    try:
                        result = await func(*args, **kwargs)
                    except BaseException as exc:
                        timing.failed(exc)
                        raise
                    finally:
                        reset_context(token)
                    timing.completed()
                    return result

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            with otel.span(label) as ids:
                timing = _Timing(label, log, ids)
                token = use_context(timing.ctx)
                try:
                    result = func(*args, **kwargs)
                except BaseException as exc:
                    timing.failed(exc)
                    raise
                finally:
                    reset_context(token)
                timing.completed()
                return result

        return sync_wrapper  # type: ignore[return-value]

    return decorate


def _wrap_async_gen(func: Callable[..., Any], label: str, log: Logger) -> Callable[..., Any]:
    # A generator body runs in its consumer's context, so the span is made current only while
    # the body runs (each step) and never leaks into the consumer between items.
    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        timing = _Timing(label, log)
        token = use_context(timing.ctx)
        try:
            agen = func(*args, **kwargs)
        finally:
            reset_context(token)
        to_send: Any = None
        to_throw: BaseException | None = None
        while True:
            token = use_context(timing.ctx)
            try:
                if to_throw is not None:
                    item = await agen.athrow(to_throw)
                else:
                    item = await agen.asend(to_send)
            except StopAsyncIteration:
                timing.completed()
                return
            except BaseException as exc:
                timing.failed(exc)
                raise
            finally:
                reset_context(token)
            to_send, to_throw = None, None
            try:
                to_send = yield item
            except GeneratorExit:
                token = use_context(timing.ctx)
                try:
                    await agen.aclose()
                finally:
                    reset_context(token)
                timing.completed(early_exit=True)
                raise
            except BaseException as exc:
                to_throw = exc

    return wrapper


def _wrap_gen(func: Callable[..., Any], label: str, log: Logger) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        timing = _Timing(label, log)
        token = use_context(timing.ctx)
        try:
            gen = func(*args, **kwargs)
        finally:
            reset_context(token)
        to_send: Any = None
        to_throw: BaseException | None = None
        while True:
            token = use_context(timing.ctx)
            try:
                item = gen.throw(to_throw) if to_throw is not None else gen.send(to_send)
            except StopIteration as stop:
                timing.completed()
                return stop.value
            except BaseException as exc:
                timing.failed(exc)
                raise
            finally:
                reset_context(token)
            to_send, to_throw = None, None
            try:
                to_send = yield item
            except GeneratorExit:
                token = use_context(timing.ctx)
                try:
                    gen.close()
                finally:
                    reset_context(token)
                timing.completed(early_exit=True)
                raise
            except BaseException as exc:
                to_throw = exc

    return wrapper
