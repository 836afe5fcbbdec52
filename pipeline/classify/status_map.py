"""Enhanced status code -> reason, and which code to believe when a bounce states two.

Source: go-sisimai `smtp/status/lib.go` (`Name`, the IANA SMTP enhanced status code registry
annotated with Sisimai's reasons) and `smtp/status/prefer.go` (`Prefer`), BSD-2-Clause.
Codes commented out upstream (4.3.0, 4.4.0, 4.5.0, 4.7.0) are deliberately absent: they are
too vague to decide a reason.
"""
from __future__ import annotations

STATUS_REASON: dict[str, str] = {
    "2.1.5": "delivered",
    "4.1.6": "hasmoved", "4.1.7": "rejected", "4.1.8": "rejected", "4.1.9": "systemerror",
    "4.2.1": "blocked", "4.2.2": "mailboxfull", "4.2.3": "exceedlimit", "4.2.4": "filtered",
    "4.3.1": "systemfull", "4.3.2": "notaccept", "4.3.3": "systemerror", "4.3.5": "systemerror",
    "4.4.1": "expired", "4.4.2": "networkerror", "4.4.3": "systemerror", "4.4.4": "networkerror",
    "4.4.5": "systemfull", "4.4.6": "networkerror", "4.4.7": "expired", "4.4.8": "networkerror",
    "4.5.3": "systemerror", "4.5.5": "systemerror",
    "4.6.0": "contenterror", "4.6.2": "contenterror", "4.6.5": "contenterror",
    "4.7.1": "blocked", "4.7.2": "blocked", "4.7.5": "securityerror", "4.7.6": "securityerror",
    "4.7.7": "securityerror", "4.7.12": "securityerror", "4.7.15": "securityerror",
    "4.7.16": "mesgtoobig", "4.7.24": "authfailure", "4.7.25": "requireptr",
    "4.7.26": "authfailure",
    "5.1.0": "userunknown", "5.1.1": "userunknown", "5.1.2": "hostunknown",
    "5.1.3": "userunknown", "5.1.4": "filtered", "5.1.6": "hasmoved", "5.1.7": "rejected",
    "5.1.8": "rejected", "5.1.9": "systemerror", "5.1.10": "notaccept",
    "5.2.0": "filtered", "5.2.1": "filtered", "5.2.2": "mailboxfull", "5.2.3": "exceedlimit",
    "5.2.4": "filtered",
    "5.3.0": "systemerror", "5.3.1": "systemfull", "5.3.2": "notaccept", "5.3.3": "systemerror",
    "5.3.4": "mesgtoobig", "5.3.5": "systemerror",
    "5.4.0": "networkerror", "5.4.3": "systemerror", "5.4.4": "hostunknown",
    "5.5.2": "syntaxerror", "5.5.3": "toomanyconn", "5.5.4": "systemerror",
    "5.5.5": "systemerror", "5.5.6": "syntaxerror",
    "5.6.0": "contenterror", "5.6.1": "contenterror", "5.6.2": "contenterror",
    "5.6.3": "contenterror", "5.6.5": "contenterror", "5.6.6": "contenterror",
    "5.6.7": "contenterror", "5.6.8": "contenterror", "5.6.9": "contenterror",
    "5.7.0": "securityerror", "5.7.1": "securityerror", "5.7.2": "securityerror",
    "5.7.3": "securityerror", "5.7.4": "securityerror", "5.7.5": "securityerror",
    "5.7.6": "securityerror", "5.7.7": "securityerror", "5.7.8": "securityerror",
    "5.7.9": "securityerror", "5.7.10": "securityerror", "5.7.11": "securityerror",
    "5.7.13": "suspend", "5.7.14": "securityerror", "5.7.15": "securityerror",
    "5.7.16": "mesgtoobig", "5.7.17": "hasmoved", "5.7.18": "hasmoved",
    "5.7.19": "securityerror", "5.7.20": "authfailure", "5.7.21": "authfailure",
    "5.7.22": "authfailure", "5.7.23": "authfailure", "5.7.24": "authfailure",
    "5.7.25": "requireptr", "5.7.26": "authfailure", "5.7.27": "notaccept",
    "5.7.28": "spamdetected", "5.7.29": "authfailure", "5.7.30": "failedstarttls",
}


def status_reason(status: str | None) -> str:
    """Reason named by an enhanced status code, "" when the code names none."""
    return STATUS_REASON.get(status or "", "")


def prefer(field: str | None, in_text: str | None, reply: int | None) -> str | None:
    """Which status to believe: the Status: field or the code in the diagnostic text.

    Follows go-sisimai `status.Prefer`: agree with the reply code's class first, then prefer
    the more specific code (X.0.0 / X.Y.0 lose; 4.4.7, 4.7.0, 5.3.Z, X.5.{1,2,4,5} are vague).
    """
    if not field:
        return in_text
    if not in_text:
        return field
    code = str(reply or "")
    if code and field[0] != in_text[0]:
        if code[0] == field[0]:
            return field
        if code[0] == in_text[0]:
            return in_text
    if field == in_text:
        return field
    if ".0.0" in field:
        return field if ".0.0" in in_text else in_text
    if ".0" in field and ".0" not in in_text:
        return in_text
    if ".0.0" in in_text:
        return field
    if field in ("4.4.7", "4.7.0") or field.startswith("5.3."):
        return in_text
    if field[1:4] in (".5.1", ".5.2", ".5.4", ".5.5"):
        return in_text
    if field == "5.1.1":
        return field if (".0" in in_text or in_text.startswith("5.5.")) else in_text
    if field == "5.1.3" and in_text.startswith("5.7."):
        return in_text
    return field
