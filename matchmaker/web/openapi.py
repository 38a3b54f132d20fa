"""The OpenAPI document, as strict as the API itself.

Litestar describes a msgspec Struct by its fields; this plugin adds what the decoder also
enforces: a Struct that forbids unknown fields is a closed object (``additionalProperties:
false``), the constraints of list items (GCM objectives 1–23, ISO code patterns) are kept,
and a decimal amount is a JSON number or a decimal string, as requests may send it.
``problems`` documents an operation's RFC 9457 error responses.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

# Litestar's own Struct plugin (not re-exported): extended, not copied.
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIType, Reference, Schema

from matchmaker.web.problems import PROBLEM_JSON, Problem

DECIMAL_PATTERN = r"^[0-9]+(\.[0-9]+)?$"  # amounts are positive
# What each error status means in this API (the body is always a ``Problem``).
_MEANINGS = {
    400: "Malformed request: the body is not valid JSON.",
    401: "Missing, invalid or expired bearer token.",
    403: "The caller's role or organisation may not do this.",
    404: "No such resource, or not visible to the caller.",
    409: "Conflicts with the resource's current state (e.g. a transition from the wrong status, "
         "or an amount beyond what remains).",
    422: "Invalid input: `errors` names each offending field.",
    429: "Too many failed attempts: retry after the `Retry-After` header's seconds.",
    503: "Saturated or without its database: retry after the `Retry-After` header's seconds; nothing was changed.",
}


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """The error responses of an operation; a malformed body (400) and a saturated or
    disconnected service (503) can reach any of them."""
    return {
        status: ResponseSpec(data_container=Problem, media_type=PROBLEM_JSON, description=_MEANINGS[status],
                             generate_examples=False)
        for status in sorted({400, 503, *statuses})
    }


def _present(info: msgspec.inspect.Type) -> tuple[msgspec.inspect.Type, bool]:
    """(the type a field holds when given, whether it may be null)."""
    nullable = False
    if isinstance(info, msgspec.inspect.UnionType):  # (``UNSET`` is not part of it)
        types = [t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)]
        nullable = len(types) < len(info.types)
        info = types[0] if len(types) == 1 else info
    if isinstance(info, msgspec.inspect.Metadata):
        info = info.type
    return info, nullable


def _constrain(schema: Schema, info: msgspec.inspect.Type) -> None:
    """Copy an item type's constraints (from its ``msgspec.Meta``) onto its schema."""
    if isinstance(info, (msgspec.inspect.IntType, msgspec.inspect.FloatType)):
        schema.minimum, schema.maximum = info.ge, info.le
        schema.exclusive_minimum, schema.exclusive_maximum = info.gt, info.lt
    elif isinstance(info, msgspec.inspect.StrType):
        schema.pattern, schema.min_length, schema.max_length = info.pattern, info.min_length, info.max_length


def _decimal(description: str | None, nullable: bool) -> Schema:
    types = [OpenAPIType.NUMBER, OpenAPIType.STRING] + ([OpenAPIType.NULL] if nullable else [])
    return Schema(type=types, pattern=DECIMAL_PATTERN, description=description)


class StrictStructSchemaPlugin(StructSchemaPlugin):
    def to_openapi_schema(self, field_definition: Any, schema_creator: Any) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        info = msgspec.inspect.type_info(field_definition.type_)
        assert isinstance(info, msgspec.inspect.StructType)  # the plugin handles Structs only
        if info.forbid_unknown_fields:
            schema.additional_properties = False
        for field in info.fields:
            prop = (schema.properties or {}).get(field.encode_name)
            if schema.properties is None or prop is None or isinstance(prop, Reference):
                continue
            held, nullable = _present(field.type)
            # ``Money`` in bodies, ``Decimal`` in responses (msgspec describes the two differently).
            if isinstance(held, msgspec.inspect.DecimalType) or (
                    isinstance(held, msgspec.inspect.CustomType) and issubclass(held.cls, Decimal)):
                schema.properties[field.encode_name] = _decimal(prop.description, nullable)
            elif isinstance(held, msgspec.inspect.ListType):
                for array in (prop, *(s for s in prop.one_of or () if isinstance(s, Schema))):
                    if isinstance(array.items, Schema):
                        _constrain(array.items, _present(held.item_type)[0])
        return schema
