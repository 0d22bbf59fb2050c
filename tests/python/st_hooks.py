"""schemathesis hooks for the example app: MessagePack bodies.

The app parses and renders `application/msgpack`; schemathesis has no MessagePack support of its
own, so without these it skips those request bodies and leaves those responses unchecked.
Loaded by tests/e2e/openapi.rs with SCHEMATHESIS_HOOKS=st_hooks (this directory on PYTHONPATH).
"""

import msgpack
import schemathesis


@schemathesis.serializer("application/msgpack")
def serialize_msgpack(ctx, value):
    return msgpack.packb(value, use_bin_type=True)


@schemathesis.deserializer("application/msgpack")
def deserialize_msgpack(ctx, response):
    return msgpack.unpackb(response.content, raw=False)
