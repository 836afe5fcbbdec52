"""Reply-table rows from filtering gateways (Mimecast, Proofpoint, Barracuda, Cisco, Trend
Micro), DNS block lists, greylisting, SPF/DKIM/DMARC checkers, spam/virus filters and the stock
replies of self-hosted MTAs. See reply.py for what a row is; each row names its documentation
(for software, the manual or source that defines the reply text)."""
from __future__ import annotations

from tests.integration.mta.reply import DATA, MIMECAST, RCPT, Reply

POSTCONF = "https://www.postfix.org/postconf.5.html"
CISCO_SPF = "https://manualsbrain.com/en/manuals/1700579/?page=292"
CISCO_GUIDE = ("https://www.cisco.com/c/en/us/td/docs/security/esa/esa14-0/user_guide/"
               "b_ESA_Admin_Guide_14-0/b_ESA_Admin_Guide_12_1_chapter_0111.html")
TRENDMICRO = "https://www.mail-abuse.com/support/bounce-messages/"
SPAMCOP = "https://www.spamcop.net/fom-serve/cache/291.html"
PROOFPOINT = "https://help.proofpoint.com/Proofpoint_Essentials/Email_Security/Administrator_Topics/Error_codes"
BARRACUDA = "https://campus.barracuda.com/product/emailsecuritygateway/doc/3866626/bounce-messages/"
POLICYD_SPF = "https://manpages.debian.org/bookworm/postfix-policyd-spf-python/policyd-spf.1.en.html"
OPENDMARC = "https://github.com/trusteddomainproject/OpenDMARC/blob/master/opendmarc/opendmarc.c"
RSPAMD = "https://rspamd.com/doc/workers/rspamd_proxy.html"
RSPAMD_GREY = "https://rspamd.com/doc/modules/greylisting.html"
SPAMASS_MILTER = "https://manpages.debian.org/bookworm/spamass-milter/spamass-milter.1.en.html"
AMAVIS = "https://www.ijs.si/software/amavisd/amavisd-new-docs.html"
MILTER_GREYLIST = "https://manpages.debian.org/bookworm/milter-greylist/greylist.conf.5.en.html"
RFC7372 = "https://www.rfc-editor.org/rfc/rfc7372"
QMAIL = "https://cr.yp.to/qmail/qmail-smtpd.html"
SENDMAIL = "https://www.sendmail.org/~ca/email/doc8.12/op-sh-5.html"
EXCHANGE = "https://learn.microsoft.com/en-us/exchange/mail-flow/non-delivery-reports-and-bounce-messages/non-delivery-reports-and-bounce-messages"
CPANEL = "https://docs.cpanel.net/knowledge-base/email/how-to-prevent-email-abuse/"

ROWS: tuple[Reply, ...] = (
    # --- Mimecast ---
    Reply("mimecast-envelope-blocked", "Mimecast", "mimecast-customer.example", RCPT,
          "550 Administrative prohibition envelope blocked - "
          "https://community.mimecast.com/docs/DOC-1369#550 [aB3dEfGhIjKlMnOpQr.uk123]",
          MIMECAST, "soft_bounce", ("rejected", "blocked", "policyviolation", "filtered")),
    Reply("mimecast-ip-blacklisted", "Mimecast", "mimecast-customer.example", RCPT,
          "451 IP temporarily blacklisted - https://community.mimecast.com/docs/DOC-1369#451 "
          "[Xy12abCDefGHij34klMNop.uk98]",
          MIMECAST, "soft_bounce", ("blocked",)),
    Reply("mimecast-user-entry", "Mimecast", "mimecast-customer.example", RCPT,
          "550 Envelope blocked - User Entry - https://community.mimecast.com/docs/DOC-1369#550 "
          "[Zz98yxWVut76srQPon54ml.us201]",
          MIMECAST, "soft_bounce", ("rejected", "blocked", "filtered")),
    Reply("mimecast-dmarc", "Mimecast", "mimecast-customer.example", DATA,
          "550 DMARC Sender Invalid - envelope rejected - https://community.mimecast.com/docs/DOC-1369#550 "
          "[Ab1CdE2fGh3IjK4lMn5oPq.us12]",
          MIMECAST, "auth_failure", ("authfailure",)),
    # --- Proofpoint ---
    Reply("proofpoint-spf", "Proofpoint Essentials", "proofpoint-customer.example", RCPT,
          "550 5.7.1 Message rejected per sender's SPF policy",
          PROOFPOINT, "auth_failure", ("authfailure",)),
    Reply("proofpoint-norecipient", "Proofpoint Essentials", "proofpoint-customer.example", RCPT,
          "550 5.1.1 User Unknown",
          PROOFPOINT, "hard_bounce", ("userunknown",)),
    # --- Barracuda Email Security Gateway ---
    Reply("barracuda-rbl-dnsbl", "Barracuda", "barracuda-customer.example", RCPT,
          "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using "
          "b.barracudacentral.org; http://www.barracudanetworks.com/reputation/?pr=1&ip=192.0.2.1",
          BARRACUDA, "soft_bounce", ("blocked",)),
    Reply("barracuda-blocked-content", "Barracuda", "barracuda-customer.example", DATA,
          "550 permanent failure for one or more recipients "
          "(barracuda-blocked-content@barracuda-customer.example:blocked)",
          BARRACUDA, "soft_bounce", ("filtered", "blocked", "spamdetected", "policyviolation")),
    # --- Cisco Secure Email (IronPort) ---
    Reply("ironport-spf", "Cisco IronPort", "ironport-customer.example", RCPT,
          "550 #5.7.1 SPF unauthorized mail is prohibited.",
          CISCO_SPF, "auth_failure", ("authfailure",)),
    Reply("ironport-unknown", "Cisco IronPort", "ironport-customer.example", RCPT,
          "550 #5.1.0 Address rejected.",
          CISCO_GUIDE, "hard_bounce", ("userunknown",)),
    Reply("ironport-hat-reject", "Cisco IronPort", "ironport-customer.example", RCPT,
          "554 Your access to this mail system has been rejected due to the sending MTA's poor "
          "reputation. If you believe that this failure is in error, please contact the intended "
          "recipient via alternate means.",
          CISCO_GUIDE, "soft_bounce", ("badreputation", "blocked")),
    Reply("ironport-throttled", "Cisco IronPort", "ironport-customer.example", RCPT,
          "452 Too many recipients received this hour",
          CISCO_GUIDE, "soft_bounce", ("ratelimited", "toomanyconn", "speeding")),
    # --- Trend Micro (Email Reputation Services) ---
    Reply("trendmicro-ers", "Trend Micro ERS", "trend-customer.example", RCPT,
          "550 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using Trend Micro RBL+. "
          "Please see http://www.mail-abuse.com/cgi-bin/lookup?ip_address=192.0.2.1",
          TRENDMICRO, "soft_bounce", ("blocked",)),
    Reply("trendmicro-qil", "Trend Micro ERS", "trend-customer.example", RCPT,
          "450 4.7.1 Service unavailable; Client host [192.0.2.1] blocked using Trend Micro Email "
          "Reputation database. Please see http://www.mail-abuse.com/cgi-bin/lookup?192.0.2.1",
          TRENDMICRO, "soft_bounce", ("blocked",)),
    # --- DNS block lists as Postfix's reject_rbl_client / reject_rhsbl_* write them ---
    Reply("spamcop-bl", "SpamCop via Postfix", "selfhosted.example", RCPT,
          "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using bl.spamcop.net; "
          "Blocked - see https://www.spamcop.net/bl.shtml?192.0.2.1",
          SPAMCOP, "soft_bounce", ("blocked",)),
    Reply("spamhaus-dbl-sender", "Spamhaus DBL via Postfix", "selfhosted.example", RCPT,
          "554 5.7.1 Service unavailable; Sender address [sender@bounces.test] blocked using "
          "dbl.spamhaus.org; https://www.spamhaus.org/query/domain/bounces.test",
          POSTCONF + "#reject_rhsbl_sender", "soft_bounce", ("blocked", "rejected")),
    # --- Postfix stock replies ---
    Reply("postfix-local-unknown", "Postfix", "selfhosted.example", RCPT,
          "550 5.1.1 <postfix-local-unknown@selfhosted.example>: Recipient address rejected: "
          "User unknown in local recipient table",
          POSTCONF + "#local_recipient_maps", "hard_bounce", ("userunknown",)),
    Reply("postfix-relay-denied", "Postfix", "selfhosted.example", RCPT,
          "554 5.7.1 <postfix-relay-denied@selfhosted.example>: Relay access denied",
          POSTCONF + "#reject_unauth_destination", "soft_bounce", ("norelaying",)),
    Reply("postfix-no-hostname", "Postfix", "selfhosted.example", RCPT,
          "550 5.7.25 Client host rejected: cannot find your hostname, [192.0.2.1]",
          POSTCONF + "#reject_unknown_client_hostname", "soft_bounce", ("requireptr",)),
    Reply("postfix-unverified", "Postfix", "selfhosted.example", RCPT,
          "550 5.1.1 <postfix-unverified@selfhosted.example>: Recipient address rejected: "
          "undeliverable address: host mail.selfhosted.example[198.51.100.7] said: 550 5.1.1 "
          "<postfix-unverified@selfhosted.example>: Recipient address rejected: User unknown "
          "in virtual mailbox table (in reply to RCPT TO command)",
          "https://www.postfix.org/ADDRESS_VERIFICATION_README.html", "hard_bounce", ("userunknown",)),
    Reply("postfix-domain-not-found", "Postfix", "selfhosted.example", RCPT,
          "550 5.1.2 <postfix-domain-not-found@selfhosted.example>: Recipient address "
          "rejected: Domain not found",
          POSTCONF + "#reject_unknown_recipient_domain", "hard_bounce", ("hostunknown",)),
    Reply("postfix-storage", "Postfix", "selfhosted.example", RCPT,
          "452 4.3.1 Insufficient system storage",
          POSTCONF + "#queue_minfree", "soft_bounce", ("systemfull",)),
    Reply("policyd-spf", "Postfix policyd-spf", "selfhosted.example", RCPT,
          "550 5.7.23 <policyd-spf@selfhosted.example>: Recipient address rejected: Message "
          "rejected due to: SPF fail - not authorized. Please see "
          "http://www.openspf.net/Why?s=mfrom;id=sender@bounces.test;ip=192.0.2.1;r=<UNKNOWN>",
          POLICYD_SPF, "auth_failure", ("authfailure",)),
    # --- Sendmail, qmail, Exim (cPanel), Exchange stock replies ---
    Reply("sendmail-unknown", "Sendmail", "selfhosted.example", RCPT,
          "550 5.1.1 <sendmail-unknown@selfhosted.example>... User unknown",
          SENDMAIL, "hard_bounce", ("userunknown",)),
    Reply("sendmail-relaying", "Sendmail", "selfhosted.example", RCPT,
          "550 5.7.1 <sendmail-relaying@selfhosted.example>... Relaying denied",
          SENDMAIL, "soft_bounce", ("norelaying",)),
    Reply("qmail-rcpthosts", "qmail", "selfhosted.example", RCPT,
          "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
          QMAIL, "soft_bounce", ("norelaying",)),
    Reply("qmail-nomailbox", "qmail", "selfhosted.example", RCPT,
          "550 sorry, no mailbox here by that name. (#5.1.1)",
          "https://www.qmail.org/man/man8/qmail-smtpd.html", "hard_bounce", ("userunknown",)),
    Reply("cpanel-nosuchuser", "Exim (cPanel)", "selfhosted.example", RCPT,
          "550 No Such User Here",
          CPANEL, "hard_bounce", ("userunknown",)),
    Reply("exim-sender-verify", "Exim", "selfhosted.example", RCPT,
          "550-Verification failed for <sender@bounces.test>\n"
          "550-Unrouteable address\n"
          "550 Sender verify failed",
          "https://www.exim.org/exim-html-current/doc/html/spec_html/ch-access_control_lists.html",
          "soft_bounce", ("rejected",)),
    Reply("exchange-unable-relay", "Exchange Server", "selfhosted.example", RCPT,
          "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain",
          EXCHANGE, "soft_bounce", ("norelaying",)),
    Reply("cyrus-overquota", "Cyrus LMTP", "selfhosted.example", RCPT,
          "452 4.2.2 Over quota SESSIONID=<cyrus-1234-1700000000-1>",
          "https://www.cyrusimap.org/imap/reference/manpages/systemcommands/lmtpd.html",
          "soft_bounce", ("mailboxfull",)),
    Reply("dovecot-nouser", "Dovecot LMTP", "selfhosted.example", RCPT,
          "550 5.1.1 <dovecot-nouser@selfhosted.example> User doesn't exist: "
          "dovecot-nouser@selfhosted.example",
          "https://doc.dovecot.org/configuration_manual/protocols/lmtp_server/", "hard_bounce",
          ("userunknown",)),
    # --- Authentication checkers ---
    Reply("opendmarc", "OpenDMARC", "selfhosted.example", DATA,
          "550 5.7.1 rejected by DMARC policy for bounces.test",
          OPENDMARC, "auth_failure", ("authfailure",)),
    Reply("rspamd-dmarc", "Rspamd", "selfhosted.example", DATA,
          "554 5.7.1 Rejected due to DMARC policy",
          "https://rspamd.com/doc/modules/dmarc.html", "auth_failure", ("authfailure",)),
    Reply("dkim-rfc7372", "RFC 7372 DKIM", "selfhosted.example", DATA,
          "550 5.7.20 No passing DKIM signature found",
          RFC7372, "auth_failure", ("authfailure",)),
    # --- Spam and virus filters ---
    Reply("rspamd-spam", "Rspamd", "selfhosted.example", DATA,
          "554 5.7.1 Spam message rejected",
          RSPAMD, "soft_bounce", ("spamdetected",)),
    Reply("spamassassin-milter", "SpamAssassin (spamass-milter)", "selfhosted.example", DATA,
          "550 5.7.1 Blocked by SpamAssassin",
          SPAMASS_MILTER, "soft_bounce", ("spamdetected",)),
    Reply("amavis-spam", "amavisd-new", "selfhosted.example", DATA,
          "554 5.7.0 Reject, id=12345-01 - spam",
          AMAVIS, "soft_bounce", ("spamdetected",)),
    Reply("amavis-virus", "amavisd-new", "selfhosted.example", DATA,
          "554 5.7.0 Reject, id=12345-02 - INFECTED: Eicar-Signature",
          # a virus; Sisimai's spamdetected table claims amavis' "554 5.7.0 Reject, id=" first
          AMAVIS, "soft_bounce", ("virusdetected", "spamdetected")),
    # --- Greylisting (category only: "try again later" says no why) ---
    Reply("milter-greylist", "milter-greylist", "selfhosted.example", RCPT,
          "451 4.7.1 Greylisting in action, please come back later",
          MILTER_GREYLIST, "soft_bounce"),
    Reply("rspamd-greylist", "Rspamd greylisting", "selfhosted.example", DATA,
          "451 4.7.1 Try again later",
          RSPAMD_GREY, "soft_bounce"),
    Reply("postgrey-old", "Postgrey greylisting", "selfhosted.example", RCPT,
          "450 4.7.1 <postgrey-old@selfhosted.example>: Recipient address rejected: Greylisted "
          "for 300 seconds (see http://isg.ee.ethz.ch/tools/postgrey/help/selfhosted.example.html)",
          "https://postgrey.schweikert.ch/", "soft_bounce"),
)
