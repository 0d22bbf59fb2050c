"""schemathesis hooks for the example app: MessagePack and CSV bodies.

The app parses and renders `application/msgpack`; schemathesis has no MessagePack support of its
own, so without these it skips those request bodies and leaves those responses unchecked. It has
no CSV serializer either: a body is written as the app's CSV parser reads it, a header row and one
row per object (a create or an update is a table of one row).
Loaded by tests/e2e/openapi.rs with SCHEMATHESIS_HOOKS=st_hooks (this directory on PYTHONPATH).
"""

import json
import re

import msgpack
import schemathesis


def _fits_msgpack(value):
    """The value with every integer past 64 bits as a float (MessagePack has no larger
    integer; a JSON reader takes such a number as a float too)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and not -(2**63) <= value < 2**64:
        return float(value)
    if isinstance(value, dict):
        return {k: _fits_msgpack(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fits_msgpack(v) for v in value]
    return value


@schemathesis.serializer("application/msgpack")
def serialize_msgpack(ctx, value):
    return msgpack.packb(_fits_msgpack(value), use_bin_type=True)


@schemathesis.deserializer("application/msgpack")
def deserialize_msgpack(ctx, response):
    return msgpack.unpackb(response.content, raw=False)


def _flatten(value, prefix, out):
    """A body as CSV columns, as the app's CSV parser reads them back: dotted names for nested
    objects, numeric segments for lists, empty cells for null."""
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _flatten(item, f"{prefix}.{i}" if prefix else str(i), out)
    elif value is None:
        out[prefix] = ""
    elif isinstance(value, bool):
        out[prefix] = "true" if value else "false"
    else:
        out[prefix] = str(value)


@schemathesis.serializer("text/csv")
def serialize_csv(ctx, value):
    """One object is a table of one row; anything else (a list of rows) one row per item."""
    import csv
    import io

    rows = value if isinstance(value, list) else [value]
    flat = []
    for row in rows:
        cells = {}
        _flatten(row, "", cells)
        flat.append(cells)
    header = []
    for cells in flat:
        for name in cells:
            if name not in header:
                header.append(name)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for cells in flat:
        writer.writerow([cells.get(name, "") for name in header])
    return out.getvalue().encode()


@schemathesis.serializer("application/x-www-form-urlencoded")
def serialize_form(ctx, value):
    """A form as a browser sends it, and as the app (and DRF) read it: null is an empty field,
    booleans are `true`/`false`, a list is the field repeated. (schemathesis's own writes
    `null` and `True`, text no form holds.)"""
    from urllib.parse import urlencode

    if isinstance(value, bytes):
        return value
    if not isinstance(value, dict):
        return (value if isinstance(value, str) else json.dumps(value)).encode()

    def text(item):
        if item is None:
            return ""
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, (dict, list)):
            return json.dumps(item)
        return str(item)

    pairs = []
    for key, item in value.items():
        for one in item if isinstance(item, list) else [item]:
            pairs.append((str(key), text(one)))
    return urlencode(pairs).encode()


# The tool artefacts the issue-14 check excepts, each by name (tests/e2e/openapi.rs,
# tracks_and_users_pass_every_schemathesis_check). Everything else it finds fails the test.
#
# Forms, CSV and XML are text only: no types, and no null but an empty text. schemathesis knows
# part of this for forms and XML, nothing of it for CSV:
#   A. a value of the wrong type (`false` or null for a title) reaches the app as the valid
#      text "false" or "null" (schemathesis skips some of these for forms and XML, not all, and
#      none for CSV), and an empty text stands for null: such "invalid" bodies are valid ones.
#   B. forms and XML: schemathesis writes null as the text `null` (which the app rightly reads
#      as text, not as null) and XML names it cannot build (an empty property name, spaces) as
#      mangled element names that collide.

TEXT_ONLY = ("text/csv", "application/x-www-form-urlencoded", "application/xml", "text/xml")
XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")


XML_UNHOLDABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _has(value, pattern):
    """Whether a text anywhere in the value (keys included) matches `pattern`."""
    if isinstance(value, str):
        return pattern.search(value) is not None
    if isinstance(value, dict):
        return any(_has(k, pattern) or _has(v, pattern) for k, v in value.items())
    if isinstance(value, list):
        return any(_has(v, pattern) for v in value)
    return False


def _mutations(case):
    data = getattr(getattr(case.meta, "phase", None), "data", None) if case.meta else None
    return tuple(getattr(data, "mutations", ()) or ()), (getattr(data, "description", "") or "")


def _blank(value):
    """Whether an empty text or a null is anywhere in the value (CSV writes both as nothing)."""
    if value is None or value == "":
        return True
    if isinstance(value, dict):
        return any(_blank(v) for v in value.values())
    if isinstance(value, list):
        return any(_blank(v) for v in value)
    return False


def _csv_cannot_tell(case):
    """A: the case's only mutations change a type, or the body holds an empty text or a null
    (one CSV cell, empty, for both)."""
    if _blank(case.body):
        return True
    mutations, description = _mutations(case)
    if mutations:
        return all("type" in tuple(m.keywords) for m in mutations)
    return "type" in description.lower()


def _unwritable(value, xml):
    """B: a null anywhere, or (XML) an empty text or a name that is no XML name."""
    if value is None:
        return True
    if isinstance(value, dict):
        return any(
            (xml and not XML_NAME.match(str(k))) or _unwritable(v, xml) for k, v in value.items()
        )
    if isinstance(value, list):
        return any(_unwritable(v, xml) for v in value)
    return xml and value == ""


@schemathesis.hook
def filter_failure(ctx, failure, case, response):
    media = (case.media_type or "").split(";")[0].strip().lower()
    code = getattr(failure, "code", None)
    if media not in TEXT_ONLY:
        return True
    if code == "ST201" and _csv_cannot_tell(case):
        return False
    # C. XML cannot hold every character (NUL and most control characters): schemathesis drops
    #    them, so what arrives is not what it meant to send (valid where it meant invalid, too
    #    short where it meant long enough).
    if code in ("ST201", "ST202") and "xml" in media and _has(case.body, XML_UNHOLDABLE):
        return False
    if code == "ST202" and media != "text/csv" and _unwritable(case.body, "xml" in media):
        return False
    return True
