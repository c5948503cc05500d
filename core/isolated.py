"""Run one function call in a fresh child process and hand back its result (or its exception).

Training imports PyTorch and sentence-transformers, fits cross-validated classifiers and holds every
embedding at once: a process that trained keeps ~1.2 GB resident afterwards, since neither Python nor
the allocator gives that memory back. A serving process that trains in a child stays at the size of
the model it serves. The child is started with ``spawn`` (a fork of a process with threads, an event
loop and ONNX sessions is unsafe) and is a daemon, so it dies with its parent instead of keeping a
stopping server alive.
"""

from __future__ import annotations

import multiprocessing
import pickle
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from core import logs

T = TypeVar("T")


class ChildDied(RuntimeError):
    """The child died without an answer (killed, out of memory) or its exception could not be sent back."""


def call(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a child process: its return value, or its exception raised here."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    # The child logs like its parent, with the parent's log context (the worker's task, a request id).
    target_args = (send, function, args, logs.context())
    child = context.Process(target=_run, args=target_args, daemon=True, name="faqdesk-child")
    child.start()
    send.close()  # the child holds the only sending end: EOF when it exits without answering
    try:
        ok, value = receive.recv()
    except EOFError:
        child.join()
        raise ChildDied(f"the child process stopped without an answer (exit code {child.exitcode})") from None
    except Exception as exc:  # an answer that does not unpickle here
        child.join()
        raise ChildDied(f"the child process's answer could not be read: {exc!r}") from None
    finally:
        receive.close()
    child.join()
    if ok:
        return value
    raise value


def _run(send: Connection, function: Callable[..., Any], args: tuple[Any, ...], context: dict[str, Any]) -> None:
    logs.configure_from_environment()
    logs.bind(**context)
    try:
        answer: tuple[bool, Any] = (True, function(*args))
    except BaseException as exc:  # sent to the parent, which raises it
        answer = (False, exc)
    try:
        send.send(answer)
    except (pickle.PicklingError, TypeError, AttributeError):  # an exception that does not pickle
        text = "".join(traceback.format_exception(answer[1])) if not answer[0] else "unpicklable result"
        send.send((False, ChildDied(text)))
    finally:
        send.close()
