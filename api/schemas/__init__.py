"""marshmallow schemas of every request and response, one module per resource; the
OpenAPI document is built from these. Unknown fields are refused (marshmallow's default,
RAISE)."""
