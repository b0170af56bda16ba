"""The browser client's templates and static files, shipped as package data (read by server.app)."""
