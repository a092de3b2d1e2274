"""Assertions over the SDK's answers that say what the sandbox sent when they fail.

The SDK turns an error body into an APIException object instead of raising, and returns
None for an empty (204) answer; a bare isinstance check would hide both.
"""

from zohocrmsdk.src.com.zoho.crm.api.util.choice import Choice


def describe(obj):
    """The code, message and details of an SDK error object, or its type."""
    parts = []
    for getter in ("get_status", "get_code", "get_message", "get_details"):
        if hasattr(obj, getter):
            value = getattr(obj, getter)()
            parts.append(str(value.get_value() if isinstance(value, Choice) else value))
    return type(obj).__name__ + (": " + " | ".join(parts) if parts else "")


def value(choice):
    """The plain value of a Choice (the SDK wraps enum-like fields in one)."""
    return choice.get_value() if isinstance(choice, Choice) else choice


def unwrap(response, expected, status=(200,)):
    """The response's object, which must be an `expected` and come with one of `status`."""
    assert response is not None, "the sandbox answered without a body (204/304)"
    obj = response.get_object()
    assert isinstance(obj, expected), (
        f"HTTP {response.get_status_code()}: expected {expected.__name__}, got {describe(obj)}"
    )
    assert response.get_status_code() in status, (
        f"HTTP {response.get_status_code()}, expected one of {status}"
    )
    return obj


def successes(items, success_cls, count=None):
    """Every item of an action answer is a success; returns their `details` dicts."""
    items = list(items)
    if count is not None:
        assert len(items) == count, f"{len(items)} results, expected {count}"
    for item in items:
        assert isinstance(item, success_cls), describe(item)
        assert value(item.get_code()) == "SUCCESS", describe(item)
    return [item.get_details() for item in items]
