"""Credentials out of URLs before they are shown: in error messages, logs and CLI output.

Base URLs may carry a password (`http://user:secret@host/v1`, a proxy in front of a
provider); an error that names the URL must not print it.
"""

from __future__ import annotations

import re

# scheme://userinfo@ — userinfo is everything up to the last "@" before the host part.
_URL_WITH_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/\s?#]*@)")


def redact_url(url: str) -> str:
    """`postgresql://bob:pw@db/cm` -> `postgresql://bob:***@db/cm`; a URL without a
    password is returned unchanged."""
    return redact_urls(url)


def redact_urls(text: str) -> str:
    """Every password in every URL inside `text` replaced by `***` (the user name stays:
    it helps finding the configuration to fix and is not a secret)."""
    return _URL_WITH_USERINFO.sub(_hide_password, text)


def _hide_password(match: re.Match[str]) -> str:
    userinfo = match.group("userinfo")[:-1]
    user, has_password, _ = userinfo.partition(":")
    if not has_password:
        # A bare token as the user name (`https://TOKEN@host`) is a credential too.
        return f"{match.group('scheme')}***@" if user else match.group(0)
    return f"{match.group('scheme')}{user}:***@"
