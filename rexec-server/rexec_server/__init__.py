"""The rexec server: runs one user's remote calls, reached through rexec-broker."""

__version__ = "0.1.0"
