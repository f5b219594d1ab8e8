"""Rate limits on the contact form, with django-ratelimit.

Two limits, each CONTACT_RATE_LIMIT sends per CONTACT_RATE_WINDOW_SECONDS: one
per client address and one per mailbox. The counters live in the "ratelimit"
cache (settings.CACHES), which every process shares and pages never touch.
django-ratelimit hashes its keys, so no address is stored in clear.
"""

import base64
import pickle
import time

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, models, router, transaction
from django.utils import timezone
from django_ratelimit.core import is_ratelimited


class AtomicDatabaseCache(DatabaseCache):
    """Django's database cache, with an increment that two processes cannot both win.

    The stock `incr` reads, then writes with a new expiry. Here the row is
    locked first (an UPDATE takes the row lock on PostgreSQL and the write lock
    on SQLite), so concurrent increments of one key wait for each other, and
    the counter keeps the expiry it was added with.
    """

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        # Django's database cache answers False when a write fails for any reason (a lock held by another
        # process), and django-ratelimit then counts the request as over its limit. Only a key that is
        # already there is a real "no".
        for attempt in range(5):
            if super().add(key, value, timeout, version):
                return True
            if self.has_key(key, version=version):
                return False
            time.sleep(0.05 * (attempt + 1))
        return False

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        table = connection.ops.quote_name(self._table)
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET value = value WHERE cache_key = %s", [key])  # noqa: S608
            if cursor.rowcount == 0:
                raise ValueError(f"Key '{key}' not found")
            cursor.execute(f"SELECT value, expires FROM {table} WHERE cache_key = %s", [key])  # noqa: S608
            stored, expires = cursor.fetchone()
            expression = models.Expression(output_field=models.DateTimeField())
            for converter in connection.ops.get_db_converters(expression) + expression.get_db_converters(connection):
                expires = converter(expires, expression, connection)
            if expires < timezone.now():
                raise ValueError(f"Key '{key}' not found")
            value = pickle.loads(base64.b64decode(connection.ops.process_clob(stored).encode())) + delta  # noqa: S301
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(f"UPDATE {table} SET value = %s WHERE cache_key = %s", [encoded, key])  # noqa: S608
        return value


def client_address(request) -> str | None:
    """The client's address, or None when it cannot be known.

    CLIENT_IP_HEADER names where it is: REMOTE_ADDR when the site is reached
    directly, or the header our proxy sets. The last entry of X-Forwarded-For
    is the one our own proxy added; earlier entries come from the client and
    could be anything. Left empty behind a proxy (production trusts the proxy's
    X-Forwarded-Proto), every request would seem to come from the proxy, so
    there is no address to count and only the mailbox limit applies.
    """
    header = settings.CLIENT_IP_HEADER or ("" if settings.SECURE_PROXY_SSL_HEADER else "REMOTE_ADDR")
    if not header:
        return None
    value = request.META.get(header, "")
    return value.split(",")[-1].strip() or None


def mailbox(email: str) -> str:
    """One mailbox however it is written: case, and a "+tag" after the name, do not count."""
    local, _at, domain = email.strip().casefold().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def contact_rate_limited(request, *, email: str) -> bool:
    """Counts this send against its client address and its mailbox; True when over either limit."""
    rate = f"{settings.CONTACT_RATE_LIMIT}/{settings.CONTACT_RATE_WINDOW_SECONDS}s"
    over = False
    address = client_address(request)
    if address:
        over |= is_ratelimited(request, group="contact-ip", key=lambda _g, _r: address, rate=rate, increment=True)
    box = mailbox(email)
    over |= is_ratelimited(request, group="contact-email", key=lambda _g, _r: box, rate=rate, increment=True)
    return over


def address_rate_limited(request, *, group: str, per_hour: int) -> bool:
    """Counts this request for its client address in `group`; True when over `per_hour`.
    Without a known address (behind a proxy with no CLIENT_IP_HEADER) there is nothing to count."""
    address = client_address(request)
    if not address:
        return False
    return is_ratelimited(request, group=group, key=lambda _g, _r: address, rate=f"{per_hour}/h", increment=True)
