"""Schemathesis hooks for liftrescue.

- Credentials: a bearer token per operation from its `x-roles` (the first role with a token),
  and the HMAC signature of the signed machine routes (IoT intake, delivery receipts). The
  `run` script exports one token per role (`CONFORMANCE_TOKEN_<ROLE>`) and the secret its
  configuration gives every signed sender (`CONFORMANCE_SECRET`). The signature covers the
  exact bytes sent, so the body is serialised here and passed as the request's data.
- Rules a schema cannot state, kept in generated data so that "schema-valid" also means
  "valid": exactly one lift identifier in a lookup, a crew token names a unit (others do not),
  a contact plan's channels appear once and in time order, a review period's bounds are dates
  or RFC 3339 times in order, a lift flagged as having no
  maintenance unit names none, times are not in the future, and
  integers are written as integers. Each is a documented rule the server enforces with a 400
  naming the field; the hooks change generated data only as far as that rule needs.
"""

import datetime
import hashlib
import hmac
import json
import os
import re
import time

import schemathesis
from schemathesis.core import NotSet

FUTURE_TIMES = ("occurred_at", "taken")


def _token(roles):
    for role in roles or []:
        token = os.environ.get(f"CONFORMANCE_TOKEN_{role.upper()}")
        if token:
            return token
    return None


def _parse_time(value):
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except (TypeError, ValueError):
        return None


def _no_future_times(value):
    """Times at most now: the server refuses a clock running ahead (5 minutes for alarms)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    if isinstance(value, list):
        return [_no_future_times(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, v in value.items():
        if key in FUTURE_TIMES and isinstance(v, str):
            t = _parse_time(v)
            if t is not None and (t.tzinfo is None or t > now):
                v = now.isoformat()
        out[key] = _no_future_times(v)
    return out


def _integers_as_integers(value):
    """JSON Schema counts 75.0 an integer; serde (like most decoders) reads it as a float and
    the server refuses it with a 400. Requests send integers as integers."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, list):
        return [_integers_as_integers(v) for v in value]
    if isinstance(value, dict):
        return {k: _integers_as_integers(v) for k, v in value.items()}
    return value


DEFAULT_PLAN = "push:0s,sms:30s,voice:60s,repeat:60s"
PLAN_ENTRY = re.compile(r"^(\w+):(\d+)s$")


def _plan_is_sound(plan):
    """Channels once each and in time order (the schema gives only the entries' shape)."""
    seen, last = set(), -1
    for entry in plan.split(","):
        m = PLAN_ENTRY.match(entry)
        if m is None:
            return True  # not the schema's shape: a broken case, left to the server
        name, secs = m.group(1), int(m.group(2))
        if name == "repeat":
            continue
        if name in seen or secs < last:
            return False
        seen.add(name)
        last = secs
    return True


PERIOD_PATHS = {
    "/api/v1/review/incidents",
    "/api/v1/stats",
    "/api/v1/quality/lifts",
    "/api/v1/quality/lists/{list}",
    "/api/v1/export",
}


def _bound(value, end):
    """A period bound as the server reads it: a date (China time; as `to`, through its end) or
    an RFC 3339 time with its offset; None when it is neither."""
    if not isinstance(value, str):
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            d = datetime.date.fromisoformat(value)
        except ValueError:
            return None
        t = datetime.datetime(d.year, d.month, d.day, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
        return t + datetime.timedelta(days=1) if end else t
    rfc3339 = r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})"
    if not re.fullmatch(rfc3339, value):
        return None
    t = _parse_time(value)
    return t if t is not None and t.tzinfo is not None else None


def _sound_period(query):
    """A period is a date or an RFC 3339 time each, `to` after `from`, at most 10 years: a
    generated pair that is not gets a sound one (both bounds, so a default cannot contradict it)."""
    if not any(query.get(k) is not None for k in ("from", "to")):
        return query
    f, t = _bound(query.get("from"), False), _bound(query.get("to"), True)
    if f is None or t is None or not (f < t <= f + datetime.timedelta(days=3650)):
        query = {**query, "from": "2026-01-01", "to": "2026-06-30"}
    return query


def _cross_field_rules(case):
    """Rules between fields that a schema cannot state, applied to the generated data."""
    path, body = case.operation.path, case.body
    if path in PERIOD_PATHS and isinstance(case.query, dict):
        case.query = _sound_period(case.query)
    if path == "/api/v1/lifts/lookup" and isinstance(case.query, dict):
        # Exactly one identifier: keep the first given, or look up by a rescue code.
        given = [k for k, v in case.query.items() if v is not None]
        case.query = {given[0]: case.query[given[0]]} if given else {"rescue_code": "000001"}
    if path == "/api/v1/tokens" and isinstance(body, dict) and "role" in body:
        # A crew token names its unit (one that exists); other roles name none.
        body = dict(body)
        if body.get("role") == "crew":
            body["unit"] = 1
        else:
            body.pop("unit", None)
        case.body = body
    if path == "/api/v1/lifts" and isinstance(body, list):
        # A lift flagged as having no maintenance unit names none.
        case.body = [
            {**l, "maintainer": None}
            if isinstance(l, dict) and isinstance(l.get("flags"), dict)
            and l["flags"].get("no_maintenance_unit") is True
            else l
            for l in body
        ]
    if path == "/api/v1/units" and isinstance(body, list):
        case.body = [
            {**u, "contact_plan": DEFAULT_PLAN}
            if isinstance(u, dict) and isinstance(u.get("contact_plan"), str)
            and not _plan_is_sound(u["contact_plan"])
            else u
            for u in body
        ]


@schemathesis.hook
def before_call(context, case, kwargs):
    definition = case.operation.definition.raw
    if case.headers is None:
        case.headers = {}
    headers = case.headers
    token = _token(definition.get("x-roles"))
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if not isinstance(case.body, (NotSet, bytes)) and case.media_type == "application/json":
        case.body = _integers_as_integers(_no_future_times(case.body))
        # Generated extra headers may include a `Content-Type` of their own; the document's
        # body is JSON, so a valid request says so.
        for name in [n for n in headers if n.lower() == "content-type"]:
            del headers[name]
        headers["Content-Type"] = "application/json"
    _cross_field_rules(case)
    names = {p.get("name") for p in definition.get("parameters", []) if p.get("in") == "header"}
    if "X-Liftrescue-Signature" in names:
        body = b""
        if isinstance(case.body, bytes):
            body = case.body
        elif not isinstance(case.body, NotSet):
            body = json.dumps(case.body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        kwargs["data"] = body
        stamp = str(int(time.time()))
        secret = os.environ["CONFORMANCE_SECRET"].encode()
        mac = hmac.new(secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        headers["X-Liftrescue-Timestamp"] = stamp
        headers["X-Liftrescue-Signature"] = f"sha256={mac}"
