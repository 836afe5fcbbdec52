"""Phrase tables: reasons about the recipient's mailbox or domain."""
from __future__ import annotations

from . import Table

# Source: go-sisimai reason/why-userunknown.go (IncludedIn["UserUnknown"]).
USERUNKNOWN = Table(
    index=(
        "#5.1.1 bad address", "550 address invalid", "5.1.0 address rejected.",
        "address does not exist", "address not present in directory", "address unknown",
        "can't accept user", "does not exist.", "destination addresses were unknown",
        "destination server rejected recipients", "email address does not exist",
        "email address could not be found", "invalid address", "invalid mailbox",
        "invalid mailbox path", "invalid recipient", "is not a known user",
        "is not a valid mailbox", "is not an active address at this host",
        "mailbox does not exist", "mailbox invalid", "mailbox is inactive",
        "mailbox is unavailable", "mailbox not present", "mailbox not found",
        "mailbox unavaiable", "nessun utente simile in questo indirizzo",
        "no account by that name here", "no existe dicha persona", "no existe ese usuario ",
        "no mail box available for this user", "no mailbox by that name is currently available",
        "no mailbox found", "no such address here", "no such mailbox",
        "no such person at this address", "no such recipient", "no such user",
        "no thank you rejected: account unavailable", "no valid recipients, bye",
        "not a valid recipient", "not a valid user here", "not a local address",
        "not email addresses", "recipient address rejected. (in reply to rcpt to command)",
        "recipient address rejected: access denied", "recipient address rejected: invalid user",
        "recipient address rejected: invalid-recipient",
        "recipient address rejected: unknown user", "recipient address rejected: userunknown",
        "recipient does not exist", "recipient is not accepted", "recipient is not local",
        "recipient not exist", "recipient not found", "recipient not ok",
        "recipient refuses to accept your mail", "recipient unknown",
        "requested action not taken: mailbox unavailable", "resolver.adr.recipient notfound",
        "sorry, user unknown", "sorry, badrcptto", "sorry, no mailbox here by that name",
        "sorry, your envelope recipient has been denied",
        "that domain or user isn't in my list of allowed rcpthosts",
        "the email account that you tried to reach does not exist",
        "the following recipients was undeliverable", "the user's email name is not found",
        "there is no one at this address", "this address no longer accepts mail",
        "this email address is wrong or no longer valid",
        "this recipient is in my badrecipientto list",
        "this recipient is not in my validrcptto list", "this spectator does not exist",
        "unknown mailbox", "unknown recipient", "unknown user", "user does not exist",
        "user missing home directory", "user not active", "user not exist", "user not found",
        "user not known", "user unknown", "utilisateur inconnu !",
        "vdeliver: invalid or unknown virtual user",
        "your envelope recipient is in my badrcptto list",
        # go-sisimai's current list (after the corpus commit): GMX/WEB.DE's German reply
        "weil die adresse nicht gefunden wurde oder keine e-mails empfangen kann",
        # bouncepipe additions: AT&T "550 5.2.1 <...>... Addressee unknown"
        # (https://smtp.codes/550), HCL Domino "User ... not listed in Domino Directory"
        # (Sisimai Lhost/Domino.pm), Exchange Online's NDR text for 5.1.10 "The email address
        # you entered couldn't be found" (https://learn.microsoft.com/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online/fix-error-code-5-1-10-in-exchange-online),
        # qmail-smtpd / vpopmail "no mailbox here by that name"
        "addressee unknown", "not listed in domino directory",
        "email address you entered couldn't be found", "no mailbox here by that name",
    ),
    pairs=(
        ("<", "> not found"), ("<", ">... blocked by "),
        ("account ", " does not exist at the organization"),
        ("adresse d au moins un destinataire invalide. invalid recipient.", "416"),
        ("adresse d au moins un destinataire invalide. invalid recipient.", "418"),
        ("bad", "recipient"), ("mailbox ", "does not exist"),
        ("mailbox ", "unavailable or access denied"), ("no ", " in name directory"),
        ("non", "existent user"), ("rcpt <", " does not exist"), ("rcpt (", "t exist "),
        ("recipient ", " was not found in"),
        ("recipient address rejected: user ", "  does not exist"),
        ("recipient address rejected: user unknown in ", "  table"),
        ("said: 550-5.1.1 ", " user unknown "), ("said: 550 5.1.1 ", " user unknown "),
        ("this user doesn't have a ", " account"), ("unknown e", "mail address"),
        ("unknown local", "part"), ("user ", " was not found"), ("user ", " does not exist"),
        ("user (", ") unknown"),
    ),
)

# Source: go-sisimai reason/why-mailboxfull.go.
MAILBOXFULL = Table(index=(
    "452 insufficient disk space",
    "account disabled temporarly for exceeding receiving limits",
    "account is exceeding their quota", "account is over quota",
    "account is temporarily over quota", "boite du destinataire pleine",
    "delivery failed: over quota", "disc quota exceeded", "diskspace quota",
    "does not have enough space", "exceeded storage allocation", "exceeding its mailbox quota",
    "full mailbox", "is over disk quota", "is over quota temporarily",
    "mail file size exceeds the maximum size allowed for mail delivery", "mail quota exceeded",
    "mailbox exceeded the local limit", "mailbox full",
    "mailbox has exceeded its disk space limit", "mailbox is full", "mailbox over quota",
    "mailbox quota usage exceeded", "mailbox size limit exceeded", "maildir over quota",
    "maildir delivery failed: userdisk quota ", "maildir delivery failed: domaindisk quota ",
    "mailfolder is full", "no space left on device", "not enough disk space",
    "not enough storage space in", "not sufficient disk space", "over the allowed quota",
    "quota exceeded", "quota violation for", "recipient reached disk quota",
    "recipient rejected: mailbox would exceed maximum allowed storage",
    "the recipient mailbox has exceeded its disk space limit",
    "the user's space has been used up", "the user you are trying to reach is over quota",
    "too much mail data", "user has exceeded quota, bouncing mail",
    "user has too many messages on the server", "user is over quota", "user is over the quota",
    "user over quota", "user over quota. (#5.1.1)", "was automatically rejected: quota exceeded",
    "would be over the allowed quota",
    # bouncepipe additions: the "mailbox full" wordings (RFC 3463 X.2.2) of receivers'
    # replies outside Sisimai's list, e.g. Gmail's "The email account that you tried to reach
    # is over quota" (https://support.google.com/a/answer/3726730) under any host, Yandex's
    # "Account is full" (https://yandex.com/support/mail/bounces/other.html); the text wins
    # over a 5.1.1 / 5.2.1 code, as Sisimai's probe order makes it (mailboxfull first)
    "over quota", "exceeded its quota", "exceeds its quota", "inbox is full", "account is full",
    "storage is full", "out of storage space",
    # WEB.DE / GMX "Benutzer hat das Speichervolumen ueberschritten. / User has exhausted
    # allowed storage space." (http://www.sitepackage.de/service/dokumentation/auswertung/
    # typische-fehlermeldungen-bei-unzustellbarkeit.html), any host in front
    "exhausted allowed storage space", "speichervolumen ueberschritten",
))

# Source: go-sisimai reason/why-hostunknown.go.
HOSTUNKNOWN = Table(
    index=(
        "domain does not exist", "domain is not reachable", "domain must exist",
        "host or domain name not found", "host unknown", "host unreachable",
        "mail domain mentioned in email address is unknown", "name or service not known",
        "no such domain", "recipient address rejected: unknown domain name",
        "recipient domain must exist", "the account or domain may not exist", "unknown host",
        "unroutable address", "unrouteable address",
    ),
    pairs=(("553 ", " does not exist"),),
)

# Source: go-sisimai reason/why-filtered.go.
FILTERED = Table(index=(
    "because the recipient is only accepting mail from specific email addresses",
    "bounced address",
    "due to extended inactivity new mail is not currently being accepted for this mailbox",
    "has restricted sms e-mail", "is not accepting any mail", "message filtered",
    "message rejected due to user rules", "not found recipient account",
    "refused due to recipient preferences", "resolver.rst.notauthorized",
    "this account is protected by", "user not found", "user refuses to receive this mail",
    "user reject",
    "we failed to deliver mail because the following address recipient id refuse to receive mail",
    "you have been blocked by the recipient",
))

# Source: go-sisimai reason/why-suspend.go.
SUSPEND = Table(index=(
    " is currently suspended", " temporary locked", "archived recipient",
    "boite du destinataire archivee", "email account that you tried to reach is disabled",
    "has been suspended", "inactive account", "invalid/inactive user",
    "is a deactivated mailbox", "is unavailable: user is terminated",
    "mailbox currently suspended", "mailbox disabled", "mailbox is frozen",
    "mailbox unavailable or access denied", "recipient rejected: temporarily inactive",
    "recipient suspend the service", "the email account that you tried to reach is inactive",
    "this account has been disabled or discontinued",
    "this account has been temporarily suspended", "this address no longer accepts mail",
    "this mailbox is disabled", "user or domain is disabled", "user suspended",
    "vdelivermail: account is locked email bounced",
    # bouncepipe additions: Mail.Ru "Local mailbox ... is unavailable: account is disabled"
    # (Sisimai Lhost/MailRu.pm), Postfix access-map style "Recipient address rejected:
    # Account disabled", Yandex "Policy rejection on the target address" (the account is
    # blocked: https://yandex.com/support/mail/bounces/yandex/policy-rejection-on-the-target-address.html)
    "account is disabled", "account disabled", "policy rejection on the target address",
))

# Source: go-sisimai reason/why-hasmoved.go.
HASMOVED = Table(index=(" has been replaced by ",))

# Source: go-sisimai reason/why-exceedlimit.go.
EXCEEDLIMIT = Table(index=("message header size exceeds limit", "message too large"))

# Source: go-sisimai reason/why-mesgtoobig.go (later renamed emailtoolarge).
MESGTOOBIG = Table(index=(
    "exceeded maximum inbound message size", "exceeded the maximum incoming message size",
    "line limit exceeded", "max message size exceeded", "message file too big",
    "message length exceeds administrative limit", "message size exceeds fixed limit",
    "message size exceeds fixed maximum message size", "message size exceeds maximum value",
    "message too big", "message too large for this ", "size limit",
    "taille limite du message atteinte",
))

RECIPIENT_TABLES: dict[str, Table] = {
    "suspend": SUSPEND,
    "hasmoved": HASMOVED,
    "exceedlimit": EXCEEDLIMIT,
    "mesgtoobig": MESGTOOBIG,
    "userunknown": USERUNKNOWN,
    "mailboxfull": MAILBOXFULL,
    "hostunknown": HOSTUNKNOWN,
    "filtered": FILTERED,
}
