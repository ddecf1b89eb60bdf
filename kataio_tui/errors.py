"""The base of every error kataio reports to a user as one clear line instead of a traceback."""


class KataioError(Exception):
    """An error whose message names the file or field and what is wrong."""
