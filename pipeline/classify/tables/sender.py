"""Phrase tables: reasons about the sender, its IP, authentication or content policy."""
from __future__ import annotations

from . import Table

# Source: go-sisimai reason/why-blocked.go.
BLOCKED = Table(
    index=(
        " said: 550 blocked", "//www.spamcop.net/bl.", "bad sender ip address",
        "banned sending ip", "blacklisted by", "blocked using ", "blocked - see http",
        "dnsbl:attrbl", "client host rejected: abus detecte gu_eib_02",
        "client host rejected: abus detecte gu_eib_04",
        "client host rejected: may not be mail exchanger",
        "client host rejected: was not authenticated", "confirm this mail server",
        "connection dropped", "connection refused by", "connection reset by peer",
        "connection was dropped by remote host",
        "connections not accepted from ip addresses on spamhaus xbl",
        "currently sending spam see: ", "domain does not exist:",
        "dynamic/zombied/spam ips blocked", "error: no valid recipients from ",
        "esmtp not accepting connections", "extreme bad ip profile", "go away",
        "helo command rejected:", "host network not allowed", "hosts with dynamic ip",
        "invalid ip for sending mail of domain", "is in a black list",
        "is not allowed to send mail from", "no access from mail server",
        "no matches to nameserver query", "not currently accepting mail from your ip",
        "part of their network is on our block list", "please use the smtp server of your isp",
        "refused - see http", "rejected - multi-blacklist",
        "rejected because the sending mta or the sender has not passed validation",
        "rejecting open proxy", "sender ip address rejected",
        "server access forbidden by your ip ",
        "service not available, closing transmission channel",
        "smtp error from remote mail server after initial connection:",
        "sorry, that domain isn't in my list of allowed rcpthosts",
        "sorry, your remotehost looks suspiciously like spammer",
        "temporarily deferred due to unexpected volume or user complaints",
        "to submit messages to this e-mail system has been rejected",
        "too many spams from your ip",
        "too many unwanted messages have been sent from the following ip address above",
        "was blocked by ", "we do not accept mail from dynamic ips",
        "you are not allowed to connect", "you are sending spam",
        "your ip address is listed in the rbl", "your network is temporary blacklisted",
        # bouncepipe additions: GMX / WEB.DE "554-IP address is block listed."
        # (https://postmaster.gmx.com/en/error-messages; older "black listed"), Cloudflare
        # Email Routing "found on one or more DNSBLs" (go-sisimai rhost/for-cloudflare.go)
        "ip address is block listed", "ip address is black listed",
        "found on one or more dnsbls",
        "your server requires confirmation",
        # Gmail "421 4.7.0 IP not in whitelist for RCPT domain, closing connection"
        # (https://support.google.com/a/answer/3726730; go-sisimai rhost/for-google.go: blocked);
        # a recipient's own block list, whatever the code says (Forpsi "550 5.1.1 <sender>
        # sender is blacklisted", https://support.grhosting.cz/kb/a290/; Interia "550 5.7.1
        # Recipient doesn't want your mail", https://pomoc.poczta.interia.pl/): the address
        # exists and refuses this sender, so not userunknown
        "ip not in whitelist for rcpt domain", "sender is blacklisted",
        "recipient doesn't want your mail",
    ),
    pairs=(
        ("(", "@", ":blocked)"), ("access from ip address ", " blocked"),
        ("client host ", " blocked using"),
        ("connections will not be accepted from ", " because the ip is in spamhaus's list"),
        ("dnsbl:rbl ", ">_is_blocked"), ("email blocked by ", ".barracudacentral.org"),
        ("email blocked by ", "spamhaus"), ("host ", " refused to talk to me: ", " blocked"),
        ("ip ", " is blocked by earthlink"), ("is in an ", "rbl on "),
        ("mail server at ", " is blocked"), ("mail from ", " refused:"),
        ("mail from ", " refused, see ", "orbs"), ("message from ", " rejected based on blacklist"),
        ("messages from ", " temporarily deferred due to user complaints"),
        ("server ip ", " listed as abusive"), ("sorry! your ip address", " is blocked by rbl"),
        ("the domain ", " is blacklisted"), ("the email ", " is blacklisted"),
        ("the ip", " is blacklisted"),
        ("veuillez essayer plus tard. service refused, please try later. ", "103"),
        ("veuillez essayer plus tard. service refused, please try later. ", "510"),
        ("your access ip", " has been rejected"),
        ("your sender's ip address is listed at ", ".abuseat.org"),
        # bouncepipe addition: Yahoo "553 5.7.2 [TSS09] All messages from <ip> will be
        # permanently deferred; Retrying will NOT succeed" (https://senders.yahooinc.com/
        # smtp-error-codes/: the sending IP is blocked)
        ("all messages from ", " will be permanently deferred"),
    ),
)

# Source: go-sisimai reason/why-rejected.go.
REJECTED = Table(
    isnot=("5.1.0 address rejected", "recipient address rejected", "sender ip address rejected"),
    index=(
        "access denied (in reply to mail from command)", "access denied (sender blacklisted)",
        "address rejected", "administrative prohibition", "batv failed to verify",
        "batv validation failure",
        "backscatter protection detected an invalid or expired email address",
        "because the sender isn't on the recipient's list of senders to accept mail from",
        "bogus mail from", "can't determine purported responsible address",
        "connections not accepted from servers without a valid sender domain",
        "denied [bouncedeny]", "denied by secumail valid-address-filter",
        "delivery not authorized, message refused", "does not exist e2110",
        "domain of sender address ", "email address is on senderfilterconfig list",
        "emetteur invalide", "empty envelope senders not allowed", "envelope blocked - ",
        "error: no third-party dsns", "from: domain is invalid. please provide a valid from:",
        "fully qualified email address required", "invalid domain, see <url:",
        "invalid sender", "is not a registered gateway user", "mail from not owned by user",
        "message rejected: email address is not verified", "mx records for ",
        "null sender is not allowed", "recipient addresses rejected : access denied",
        "recipient not accepted. (batv: no tag", "returned mail not accepted here",
        "rfc 1035 violation: recursive cname records for", "rule imposed mailbox access for",
        "sending this from a different address or alias using the ",
        "sender address has been blacklisted", "sender email address rejected",
        "sender is in my black list", "sender is spammer", "sender not pre-approved",
        "sender rejected", "sender domain is empty", "sender verify failed",
        "sender was rejected", "spam reporting address", "syntax error: empty email address",
        "the message has been rejected by batv defense", "this server does not accept mail from",
        "transaction failed unsigned dsn for", "unroutable sender address",
        "you are not allowed to post to this mailing list",
        "you are sending to/from an address that has been blacklisted",
        "your access to submit messages to this e-mail system has been rejected",
        "your email address has been blacklisted",
    ),
)

SENDER_TABLES: dict[str, Table] = {
    "blocked": BLOCKED,
    "rejected": REJECTED,
}

# Source: go-sisimai reason/why-authfailure.go.
AUTHFAILURE = Table(
    index=(
        "//spf.pobox.com", "bad spf records for", "dmarc policy",
        "doesn't meet the required authentication level", "please inspect your spf settings",
        "sender policy framework (spf) fail", "sender policy framework violation",
        "spf (sender policy framework) domain authentication fail", "spf check: fail",
        "the 5322.from address doesn't meet the authentication requirements defined for the "
        "sender",
        # bouncepipe additions: the SPF / DKIM / DMARC result words receivers write into
        # their replies (RFC 7208 s2.6 results "fail", "softfail", "temperror", "permerror";
        # RFC 6376 s6.1 DKIM verification; RFC 7489 s6.6 DMARC), e.g. Postfix policyd-spf
        # "SPF fail - not authorized", Microsoft 5.7.509 "does not pass DMARC verification"
        # (https://learn.microsoft.com/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online/non-delivery-reports-in-exchange-online)
        "spf check failed", "spf fail", "spf softfail", "spf hardfail", "spf permerror",
        "spf temperror", "spf temporary error", "spf validation failed", "failed spf",
        "spf authentication failed", "dkim signature verification failed",
        # GMX / WEB.DE "Reject due to SPF policy" (https://smtp.codes/unitedinternet/),
        # Proofpoint "rejected per sender's SPF policy"
        "due to spf policy", "sender's spf policy",
        "dkim verification failed", "dkim validation failed", "dkim check failed",
        "failed dkim", "dkim authentication failed", "does not pass dmarc",
        "failed dmarc", "dmarc check failed", "dmarc verification failed",
        # Gmail 5.7.26/5.7.27 and Yahoo 5.7.9 "...blocked because the sender is
        # unauthenticated. ... requires all senders to authenticate with SPF / DKIM"
        # (https://support.google.com/a/answer/3726730, https://senders.yahooinc.com/smtp-error-codes/),
        # Gmail 5.7.30 "DKIM does not pass"; Cisco Secure Email's default SPF reject text
        # "SPF unauthorized mail is prohibited" (AsyncOS CLI reference, listenerconfig);
        # Mimecast "SPF/DKIM/DMARC Sender Invalid - envelope rejected"
        # (https://community.mimecast.com/docs/DOC-1369); RFC 7372 s3.1 5.7.20 "No passing
        # DKIM signature found"
        "the sender is unauthenticated", "senders to authenticate with", "dkim does not pass",
        "spf unauthorized mail is prohibited", "spf sender invalid", "dkim sender invalid",
        "dmarc sender invalid", "no passing dkim signature",
        # Forpsi "550 5.1.0 <id> blocked by SPF" (https://support.grhosting.cz/kb/a290/):
        # an SPF rejection under a 5.1.0 status that alone would read as an unknown user
        "blocked by spf",
    ),
    pairs=((" is not allowed to send mail.", "_401"),
           ("is not allowed to send from <", " per it's spf record"),
           # bouncepipe: "SPF: 192.0.2.1 is not allowed to send mail from example.com"
           ("spf", "is not allowed to send mail from")),
)

# Source: go-sisimai reason/why-badreputation.go.
BADREPUTATION = Table(index=(
    "a poor email reputation score",
    "has been temporarily rate limited due to ip reputation", "ip/domain reputation problems",
    "likely suspicious due to the very low reputation", "none/bad reputation",
    "temporarily deferred due to unexpected volume or user complaints",
    "the sending mta's poor reputation",
))

# Source: go-sisimai reason/why-spamdetected.go.
SPAMDETECTED = Table(
    index=(
        " - spam", "//www.spamhaus.org/help/help_spam_16.htm", "//dsbl.org/help/help_spam_16.htm",
        "//mail.163.com/help/help_spam_16.htm", "554 5.7.0 reject, id=",
        "appears to be unsolicited", "blacklisted url in message", "block for spam",
        "blocked by policy: no spam please", "blocked by spamassassin",
        "blocked for abuse. see http://att.net/blocks",
        "cannot be forwarded because it was detected as spam",
        "considered unsolicited bulk e-mail (spam) by our mail filters",
        "content filter rejection",
        "cyberoam anti spam engine has identified this email as a bulk email",
        "denied due to spam list", "high probability of spam",
        "is classified as spam and is rejected", "listed in work.drbl.imedia.ru",
        "the mail server detected your message as spam and has prevented delivery.",
        "mail appears to be unsolicited", "mail content denied", "may consider spam",
        "message considered as spam or virus", "message contains spam or virus",
        "message content rejected", "message detected as spam", "message filtered",
        "message filtered. please see the faqs section on spam",
        "message filtered. refer to the troubleshooting page at ", "message looks like spam",
        "message is being rejected as it seems to be a spam",
        "message refused by mailmarshal spamprofiler",
        "message refused by trustwave seg spamprofiler", "message rejected as spam",
        "message rejected because of unacceptable content",
        "message rejected due to suspected spam content", "message rejected for policy reasons",
        "message was rejected for possible spam/virus content",
        "our email server thinks this email is spam",
        "our system has detected that this message is ", "probable spam",
        "reject bulk.advertising", "rejected: spamassassin score ", "rejected - bulk email",
        "rejecting banned content", "rejecting mail content",
        "related to content with spam-like characteristics", "sender domain listed at ",
        "sending address not accepted due to spam filter", "spam blocked", "spam check",
        "spam content matched", "spam detected", "spam email", "spam email not accepted",
        "spam message rejected.", "spam not accepted", "spam refused", "spam rejection",
        "spam score ", "spambouncer identified spam", "spamming not allowed",
        "too many spam complaints", "too much spam.", "the email message was detected as spam",
        "the message has been rejected by spam filtering engine",
        "the message was rejected due to classification as bulk mail",
        "the content of this message looked like spam", "this message appears to be spam",
        "this message has been identified as spam",
        "this message has been scored as spam with a probability",
        "this message was classified as spam",
        "this message was rejected by recurrent pattern detection system",
        "transaction failed spam message not queued", "we dont accept spam",
        "your email appears similar to spam we have received before",
        "your email breaches local uribl policy", "your email had spam-like ",
        "your email is considered spam", "your email is probably spam",
        "your email was detected as spam", "your message as spam and has prevented delivery",
        "your message has been temporarily blocked by our filter",
        "your message has been rejected because it appears to be spam",
        "your message has triggered a spam block", "your message may contain the spam contents",
        "your message failed several antispam checks",
        # bouncepipe additions: Yandex "Message rejected under suspicion of SPAM", "Sorry,
        # message looks like SPAM to me" (https://yandex.com/support/mail/bounces/other.html)
        "under suspicion of spam", "message looks like spam",
        # Rspamd's reject reply "Spam message rejected" (no full stop; https://rspamd.com/doc/
        # workers/rspamd_proxy.html milter mode)
        "spam message rejected",
        # Gmail "421 4.7.0 This message is suspicious due to the nature of the content or the
        # links within" (https://support.google.com/a/answer/3726730; go-sisimai
        # rhost/for-google.go: spamdetected), quoted by any host
        "due to the nature of the content or the links within",
    ),
    pairs=(
        ("greylisted", " please try again in"), ("mail score (", " over "),
        ("mail rejete. mail rejected. ", "506"),
        ("our filters rate at and above ", " percent probability of being spam"),
        ("rejected by ", " (spam)"), ("rejected due to spam ", "classification"),
        ("rejected due to spam ", "content"), ("rule imposed as ", " is blacklisted on"),
        ("spam ", " exceeded"), ("this message scored ", " spam points"),
    ),
)

# Source: go-sisimai reason/why-virusdetected.go.
VIRUSDETECTED = Table(index=(
    "it has a potentially executable attachment",
    "the message was rejected because it contains prohibited virus or spam content",
    "this form of attachment has been used by recent viruses or other malware",
    "virus detected", "virus phishing/malicious_url detected",
    "your message was infected with a virus",
))

# Source: go-sisimai reason/why-policyviolation.go.
POLICYVIOLATION = Table(
    index=(
        "an illegal attachment on your message",
        "because the recipient is not accepting mail with ",
        "by non-member to a members-only list", "closed mailing list", "denied by policy",
        "email not accepted for policy reasons", "email rejected due to security policies",
        "header are not accepted", "header error", "local policy violation",
        "message bounced due to organizational settings", "message given low priority",
        "message not accepted for policy reasons", "message rejected due to local policy",
        "messages with multiple addresses", "rejected for policy reasons", "protocol violation",
        "the email address used to send your message is not subscribed to this group",
        "the message was rejected by organization policy",
        "this message was blocked because its content presents a potential",
        "we do not accept messages containing images or other attachments",
        "you're using a mass mailer",
        # bouncepipe additions: Mimecast "Rejected by header based Anti-Spoofing policy" /
        # "Anti-Spoofing policy - Inbound not allowed" (https://community.mimecast.com/docs/
        # DOC-1369, go-sisimai rhost/for-mimecast.go: policyviolation) under any host
        "anti-spoofing policy",
        # Gmail "550 5.7.1 The user or domain that you are sending to (or from) has a policy
        # that prohibited the mail that you sent" (https://support.google.com/a/answer/3726730;
        # go-sisimai rhost/for-google.go files it under policyviolation)
        "has a policy that prohibited",
    ),
    pairs=(("you have exceeded the", "allowable number of posts without solving a captcha"),
           # Gmail "550 5.7.1 This message violates <domain> email policy" (a receiving
           # domain's own rule: https://support.google.com/a/answer/3726730)
           ("this message violates ", " email policy")),
)

# Source: go-sisimai reason/why-norelaying.go.
NORELAYING = Table(index=(
    "as a relay", "email address is not verified.", "insecure mail relay",
    "is not permitted to relay through this server without authentication",
    "mail server requires authentication when attempting to send to a non-local e-mail address",
    "no relaying", "not a gateway", "not allowed to relay through this machine",
    "not an open relay, so get lost", "not local host", "relay access denied", "relay denied",
    "relaying mail to ", "relay not permitted", "relaying denied",
    "specified domain is not allowed", "that domain isn't in my list of allowed rcpthost",
    "this system is not configured to relay mail", "unable to relay for",
    "we don't handle mail for",
    # bouncepipe addition: Exchange Server "550 5.7.54 SMTP; Unable to relay recipient in
    # non-accepted domain" (https://learn.microsoft.com/en-us/exchange/mail-flow/
    # non-delivery-reports-and-bounce-messages/non-delivery-reports-and-bounce-messages)
    "unable to relay recipient in non-accepted domain",
))

# Source: go-sisimai reason/why-requireptr.go.
REQUIREPTR = Table(
    index=(
        "access denied. ip name lookup failed",
        "all mail servers must have a ptr record with a valid reverse dns entry",
        "bad dns ptr resource record", "cannot find your hostname",
        "cannot resolve your address.", "client host rejected: cannot find your hostname",
        "fix reverse dns for ", "ips with missing ptr records", "no ptr record found.",
        "please get a custom reverse dns name from your isp for your host", "ptr record setup",
        "reverse dns failed", "reverse dns required", "sender ip reverse lookup rejected",
        "the ip address sending this message does not have a ptr record setup",
        "the corresponding forward dns entry does not point to the sending ip",
        "this system will not accept messages from servers/devices with no reverse dns",
        "unresolvable relay host name",
        "we do not accept mail from hosts with dynamic ip or generic dns ptr-records",
        # bouncepipe addition: Gmail "550 5.7.1 ... does not meet IPv6 sending guidelines
        # regarding PTR records and authentication" (go-sisimai rhost/for-google.go: requireptr)
        "sending guidelines regarding ptr records",
    ),
    pairs=(
        ("domain ", " mismatches client ip"), ("dns lookup failure: ", " try again later"),
        ("reverse dns lookup for host ", " failed permanently"),
        ("server access ", " forbidden by invalid rdns record of your mail server"),
        ("service permits ", " unverifyable sending ips"),
    ),
)

# Source: go-sisimai reason/why-securityerror.go.
SECURITYERROR = Table(
    index=(
        "account not subscribed to ses", "authentication credentials invalid",
        "authentication failure", "authentication required",
        "authentication turned on in your email client",
        "executable files are not allowed in compressed files", "insecure mail relay",
        "recipient address rejected: access denied",
        "sorry, you don't authenticate or the domain isn't in my list of allowed rcpthosts",
        "unauthenticated senders not allowed", "verification failure",
        "you are not authorized to send mail, authentication is required",
    ),
    pairs=(
        ("authentication failed; server ", " said: "), ("authentification invalide", "305"),
        ("authentification requise", "402"), ("domain ", " is a dead domain"),
        ("user ", " is not authorized to perform ses:sendrawemail on resource"),
    ),
)

# Source: go-sisimai reason/why-speeding.go (first phrase lower-cased here: upstream has
# "IP" in capitals, which can never match the lower-cased diagnostic).
SPEEDING = Table(index=(
    "mail sent from your ip address has been temporarily rate limited",
    "please try again slower",
    "receiving mail at a rate that prevents additional messages from being delivered",
    # bouncepipe additions: Gmail "450 4.2.1 The user you are trying to contact is receiving
    # mail too quickly" (https://support.google.com/a/answer/3726730; Yahoo writes the same),
    # a Postfix policy server's "Recipient address rejected: Rate limit exceeded"
    # (https://www.postfix.org/SMTPD_POLICY_README.html): the receiver throttles this flow
    "receiving mail too quickly", "rate limit exceeded",
), isnot=(
    "connection rate limit exceeded",   # toomanyconn's: too many connections, not mail
))

# Source: go-sisimai reason/why-toomanyconn.go.
TOOMANYCONN = Table(index=(
    "all available ips are at maximum connection limit", "connection rate limit exceeded",
    "exceeds per-domain connection limit for", "has exceeded the max emails per hour ",
    "throttling failure: daily message quota exceeded",
    "throttling failure: maximum sending rate exceeded", "too many connections",
    "too many connections from your host.", "too many concurrent smtp connections",
    "too many errors from your ip", "too many recipients",
    "too many smtp sessions for this host", "trop de connexions, ",
    "we have already made numerous attempts to deliver this message",
))

# Source: go-sisimai reason/why-failedstarttls.go.
FAILEDSTARTTLS = Table(index=("starttls is required to send mail",
                              "tls required but not supported",
                              # bouncepipe: Gmail "421 4.7.0 TLS required for RCPT domain,
                              # closing connection" (https://support.google.com/a/answer/3726730;
                              # go-sisimai rhost/for-google.go: failedstarttls)
                              "tls required for rcpt domain"))

# Source: go-sisimai reason/why-notcompliantrfc.go.
NOTCOMPLIANTRFC = Table(
    index=("duplicate header", "this message is not rfc 5322 compliant",
           "https://support.google.com/mail/?p=rfcmessagenoncompliant"),
    pairs=((" multiple ", " header"),),
)

# Source: go-sisimai reason/why-contenterror.go.
CONTENTERROR = Table(index=(
    "duplicate header", "header size exceeds maximum permitted",
    "improper use of 8-bit data in message header",
    "message header size, or recipient list, exceeds policy limit",
    "message mime complexity exceeds the policy maximum",
    "routing loop detected -- too many received: headers",
    "this message contain invalid mime headers",
    "this message contain improperly-formatted binary content",
    "this message contain text that uses unnecessary base64 encoding",
))

SENDER_TABLES.update({
    "authfailure": AUTHFAILURE,
    "badreputation": BADREPUTATION,
    "spamdetected": SPAMDETECTED,
    "virusdetected": VIRUSDETECTED,
    "policyviolation": POLICYVIOLATION,
    "norelaying": NORELAYING,
    "requireptr": REQUIREPTR,
    "securityerror": SECURITYERROR,
    "speeding": SPEEDING,
    "toomanyconn": TOOMANYCONN,
    "failedstarttls": FAILEDSTARTTLS,
    "notcompliantrfc": NOTCOMPLIANTRFC,
    "contenterror": CONTENTERROR,
})
