"""The exceptions amrkit raises (the native module raises these classes)."""


class Error(Exception):
    """Any error amrkit reports: its message is the CLI's one-line message."""


class FileError(Error, OSError):
    """An output, or a file in it, cannot be read (or a file not written).

    The message names the file, the record or line, and what was expected.
    """


class ArgumentError(Error, ValueError):
    """An argument amrkit cannot use: an unknown variable, unit, axis, …"""
