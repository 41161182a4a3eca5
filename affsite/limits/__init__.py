"""Shared limits on gateway calls: daily quota, speed limiter, ban, circuit breaker, fetch locks.

All state lives in the control store (``affsite.cache``, never evicted), so every worker process
on the machine sees the same numbers; every read-modify-write runs in one store transaction.
Deadlines are stored as epoch seconds of the injected clock and checked against it, so tests
drive them with a fake clock; the store's own expiry is only a real-time safety net for
garbage collection.

One module per limit: ``refusals`` (the errors), ``quota`` (daily counts), ``rate`` (speed
limiter), ``ban``, ``breaker`` (circuit breaker), ``locks`` (single-flight fetch locks), and
``gate``, which applies them all around every gateway attempt. ``stored`` reads their state
back from the store.
"""
