"""Darkroom: a self-hosted image API server where every write is an operation."""
