"""User-facing errors. The CLI prints these as one clear message (no traceback); anything else is a bug."""


class VidsynthError(Exception):
    """Base class: the message says what was wrong, with which file, and what to do."""


class DatasetError(VidsynthError):
    """A dataset is missing, empty, unreadable or does not fit the requested clips."""


class ConfigError(VidsynthError):
    """An option or config key is unknown, ill-typed or impossible."""


class CheckpointError(VidsynthError):
    """A checkpoint or model file is missing, corrupt, unsafe, or of the wrong method/shape."""
