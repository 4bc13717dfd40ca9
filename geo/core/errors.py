"""Errors whose message is meant for the user (German, one line)."""


class UserError(Exception):
    """A problem the user can fix; its message is one German line, shown without traceback.

    The CLI prints it and exits with code 2; the app shows it with ``st.error``.
    """


class ImportRefused(UserError):
    """A file cannot be imported at all (unreadable, wrong format, missing columns). Nothing is stored."""
