"""Per-request context that services read without threading it through every call."""

import contextvars
import uuid

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("fangpin_request_id", default="")


def current_request_id() -> str:
    return request_id_var.get()


def new_request_id() -> str:
    return uuid.uuid4().hex

source_var: contextvars.ContextVar[str] = contextvars.ContextVar("fangpin_source", default="")


def current_source() -> str:
    return source_var.get()
