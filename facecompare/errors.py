"""Errors whose message is complete for a user: entry points print them as one line, no traceback."""


class FacecompareError(Exception):
    """Base class of errors that describe a problem with the user's input, config or data."""


class ConfigError(FacecompareError, ValueError):
    """A config value is invalid; the message names the key, the value and what is allowed."""


class NonFiniteLossError(FacecompareError, FloatingPointError):
    """The training loss became NaN or infinite."""
