"""The contact form's submission key: one message per filled-in form.

The server makes a key for each rendered form: a random part and a signature
over that part and the visitor's CSRF secret. A key is accepted only from the
browser it was made for, so a key planted in a link, or copied from another
visitor, is refused. The database keeps each key unique
(ContactMessage.submission_key), so a double tap, a reload or two processes
still make one message.
"""

import secrets

from django.middleware.csrf import get_token
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "trials.contact.submission"


def binding(request) -> str:
    """The visitor's CSRF secret (made now for a first visit)."""
    get_token(request)
    return request.META.get("CSRF_COOKIE", "")


def signature(nonce: str, *, binding: str) -> str:
    return salted_hmac(SALT, f"{nonce}:{binding}", algorithm="sha256").hexdigest()[:32]


def new_key(*, binding: str) -> str:
    nonce = secrets.token_urlsafe(12)
    return f"{nonce}.{signature(nonce, binding=binding)}"


def is_own(key: str, *, binding: str) -> bool:
    nonce, _dot, signed = (key or "").partition(".")
    return bool(nonce and binding) and constant_time_compare(signed, signature(nonce, binding=binding))


def key_for_form(posted: str, *, binding: str) -> str:
    """The key to render: the one posted if it is this visitor's, else a new one."""
    return posted if is_own(posted, binding=binding) else new_key(binding=binding)
