"""The HTTP layer: the Starlette app, its middleware, and one routes module per resource and dialect."""
