"""The layer around every request (envelope.py) and the concerns it brings together, a module each."""
