"""Connecting and logging in for `bouncepipe imap` (connectors/sources/imap.py): TLS as
configured, credentials never in clear by accident, and typed refusals that say what to fix.

- imaps:// wraps the connection at once; imap.starttls upgrades imap:// and refuses a server
  that does not offer STARTTLS; a plain connection refuses to send a login the server has
  disabled (LOGINDISABLED). In each refusal nothing secret has been sent.
- The certificate is verified against imap.ssl_cafile, else the system CAs.
- The XOAUTH2 access token is fetched afresh before every login (tokens expire within the
  hour): imap.oauth2_token_command's output, else imap.oauth2_token_file, else the fixed
  imap.oauth2_token; without a token, the password of the URL or of imap.password.
"""
from __future__ import annotations

import shlex
import ssl
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.settings import ImapSettings

if TYPE_CHECKING:
    from imapclient import IMAPClient

    from .imap import MailboxUrl


class ImapRefused(Exception):
    """The server or the TLS layer refused us; retrying the same thing cannot help until a
    setting, a token or the server changes."""


class ImapAuthError(ImapRefused):
    """The login (password or XOAUTH2 token) was refused, or no credential could be had."""


class ImapTlsError(ImapRefused):
    """TLS could not be had as configured (certificate not verified, no STARTTLS), or the
    server disables logins on the plain connection: no credential was sent."""


def open_and_login(box: "MailboxUrl", imap: ImapSettings) -> "IMAPClient":
    """A logged-in client, or ImapRefused / OSError (the connection) with nothing left open."""
    from imapclient import IMAPClient

    context = None
    if box.tls or imap.starttls:
        context = ssl.create_default_context(cafile=imap.ssl_cafile)
    try:
        client = IMAPClient(box.host, port=box.port, ssl=box.tls, ssl_context=context,
                            timeout=60)
    except ssl.SSLCertVerificationError as exc:
        raise _unverified(box, imap, exc) from exc
    try:
        _secure_and_login(client, box, imap, context)
    except BaseException:
        try:
            client.shutdown()
        except OSError:   # a failed TLS handshake leaves the socket half-gone
            pass
        raise
    return client


def _unverified(box: "MailboxUrl", imap: ImapSettings,
                exc: ssl.SSLCertVerificationError) -> ImapTlsError:
    return ImapTlsError(
        f"IMAP {box.host}:{box.port}: the server's certificate was not verified against "
        f"{imap.ssl_cafile or 'the system CAs'} ({exc.verify_message or exc}); set "
        "BOUNCEPIPE_IMAP__SSL_CAFILE to the CA that signed it. Nothing was sent.")


def _secure_and_login(client: "IMAPClient", box: "MailboxUrl", imap: ImapSettings,
                      context: ssl.SSLContext | None) -> None:
    from imapclient.exceptions import LoginError

    if imap.starttls and not box.tls:
        if not client.has_capability("STARTTLS"):
            raise ImapTlsError(
                f"IMAP {box.host}:{box.port} does not offer STARTTLS and imap.starttls is "
                "set: refusing to log in in clear (use imaps:// if the server has an "
                "implicit-TLS port). Nothing was sent.")
        try:
            client.starttls(context)
        except ssl.SSLCertVerificationError as exc:
            raise _unverified(box, imap, exc) from exc
    elif not box.tls and client.has_capability("LOGINDISABLED"):
        raise ImapTlsError(
            f"IMAP {box.host}:{box.port} disables logins before TLS (LOGINDISABLED): use "
            "imaps:// or BOUNCEPIPE_IMAP__STARTTLS=true. The credentials were not sent.")
    token = oauth2_token(imap)
    try:
        if token is not None:
            client.oauth2_login(box.user, token)
        else:
            client.login(box.user, password(box, imap))
    except LoginError as exc:
        how = "XOAUTH2 token" if token is not None else "password"
        raise ImapAuthError(
            f"IMAP {box.host}:{box.port} refused the {how} of {box.user}: {exc}"
            + (" (expired or revoked? refresh imap.oauth2_token_file / _command)"
               if token is not None else "")) from exc


def password(box: "MailboxUrl", imap: ImapSettings) -> str:
    found = box.password or (imap.password.get_secret_value() if imap.password else None)
    if found is None:
        raise ImapAuthError("no IMAP password (BOUNCEPIPE_IMAP__PASSWORD) nor XOAUTH2 token "
                            "(__OAUTH2_TOKEN, __OAUTH2_TOKEN_FILE, __OAUTH2_TOKEN_COMMAND)")
    return found


def oauth2_token(imap: ImapSettings) -> str | None:
    """The XOAUTH2 access token as of now (command, then file, then the fixed setting)."""
    if imap.oauth2_token_command:
        try:
            done = subprocess.run(shlex.split(imap.oauth2_token_command), check=True,
                                  capture_output=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as exc:
            raise ImapAuthError(f"imap.oauth2_token_command failed: {exc}") from exc
        token = done.stdout.decode().strip()
        if not token:
            raise ImapAuthError("imap.oauth2_token_command printed no token")
        return token
    if imap.oauth2_token_file:
        try:
            token = Path(imap.oauth2_token_file).read_text().strip()
        except OSError as exc:
            raise ImapAuthError(f"imap.oauth2_token_file unreadable: {exc}") from exc
        if not token:
            raise ImapAuthError(f"imap.oauth2_token_file {imap.oauth2_token_file} is empty")
        return token
    return imap.oauth2_token.get_secret_value() if imap.oauth2_token is not None else None
