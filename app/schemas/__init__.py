"""The shapes of requests and responses, as msgspec Structs on one base."""
