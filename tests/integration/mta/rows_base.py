"""The first 47 rows of the reply table (issue #15's harness): one or two documented replies per
major provider and the self-hosted software defaults. See reply.py for what a row is."""
from __future__ import annotations

from tests.integration.mta.reply import (COMCAST, DATA, GMX, GOOGLE, MICROSOFT, MIMECAST, RCPT,
                                         YANDEX, Reply)

ROWS: tuple[Reply, ...] = (

    # --- Gmail (Google Workspace SMTP error reference) ---
    Reply("gmail-nosuchuser", "Gmail", "gmail.com", RCPT,
          "550-5.1.1 The email account that you tried to reach does not exist. Please try\n"
          "550-5.1.1 double-checking the recipient's email address for typos or\n"
          "550-5.1.1 unnecessary spaces. For more information, go to\n"
          "550 5.1.1  https://support.google.com/mail/?p=NoSuchUser - gsmtp",
          GOOGLE, "hard_bounce", ("userunknown",)),
    Reply("gmail-disabled", "Gmail", "gmail.com", RCPT,
          "550 5.2.1 The email account that you tried to reach is disabled. - gsmtp",
          GOOGLE, "soft_bounce", ("suspend",)),
    Reply("gmail-overquota", "Gmail", "gmail.com", RCPT,
          "452-4.2.2 The email account that you tried to reach is over quota. Please direct\n"
          "452 4.2.2 the recipient to https://support.google.com/mail/?p=OverQuotaTemp - gsmtp",
          GOOGLE, "soft_bounce", ("mailboxfull",)),
    Reply("gmail-rate", "Gmail", "gmail.com", RCPT,
          "450-4.2.1 The user you are trying to contact is receiving mail too quickly. Please\n"
          "450-4.2.1 resend your message at a later time. If the user is able to receive mail\n"
          "450 4.2.1 at that time, your message will be delivered. - gsmtp",
          GOOGLE, "soft_bounce", ("ratelimited", "speeding")),
    Reply("gmail-tempfail", "Gmail", "gmail.com", DATA,
          "451 4.3.0 Mail server temporarily rejected message. - gsmtp",
          # Sisimai's Google table files this one under "undefined"
          GOOGLE, "soft_bounce", ("systemerror", "undefined")),
    Reply("gmail-starttls", "Gmail", "gmail.com", RCPT,
          "530 5.7.0 Must issue a STARTTLS command first. - gsmtp",
          # Sisimai's Google table: failedstarttls
          GOOGLE, "soft_bounce", ("failedstarttls", "securityerror")),
    Reply("gmail-unauth", "Gmail", "gmail.com", DATA,
          "550-5.7.26 This mail is unauthenticated, which poses a security risk to the sender\n"
          "550-5.7.26 and Gmail users, and has been blocked. The sender must authenticate with\n"
          "550-5.7.26 at least one of SPF or DKIM. For this message, DKIM checks did not pass\n"
          "550-5.7.26 and SPF check for [bounces.test] did not pass with ip: [192.0.2.1]. To\n"
          "550 5.7.26 learn more, go to https://support.google.com/mail/answer/81126 - gsmtp",
          GOOGLE, "auth_failure", ("authfailure",)),
    Reply("gmail-dmarc", "Gmail", "gmail.com", DATA,
          "550-5.7.26 Unauthenticated email from bounces.test is not accepted due to domain's\n"
          "550-5.7.26 DMARC policy. Please contact the administrator of bounces.test domain if\n"
          "550-5.7.26 this was a legitimate mail. To learn about the DMARC initiative, go to\n"
          "550 5.7.26  https://support.google.com/mail/?p=DmarcRejection - gsmtp",
          GOOGLE, "auth_failure", ("authfailure",)),
    Reply("gmail-spam", "Gmail", "gmail.com", DATA,
          "550-5.7.1 Our system has detected that this message is likely unsolicited mail. To\n"
          "550-5.7.1 reduce the amount of spam sent to Gmail, this message has been blocked.\n"
          "550 5.7.1 For more information, go to https://support.google.com/mail/?p=UnsolicitedMessageError - gsmtp",
          GOOGLE, "soft_bounce", ("spamdetected",)),
    Reply("gmail-policy", "Gmail", "gmail.com", DATA,
          "550 5.7.1 This message violates example.com email policy. - gcdp 4a2b - gsmtp",
          GOOGLE, "soft_bounce", ("policyviolation",)),
    Reply("gmail-toobig", "Gmail", "gmail.com", DATA,
          "552-5.3.4 Your message exceeded Google's message size limits. For more information,\n"
          "552 5.3.4 go to https://support.google.com/mail/?p=MaxSizeError - gsmtp",
          # Sisimai's Google table says "exceedlimit" for this reply
          GOOGLE, "soft_bounce", ("mesgtoobig", "emailtoolarge", "exceedlimit")),
    # --- Microsoft (Exchange Online / Outlook.com) ---
    Reply("msft-notfound", "Microsoft 365", "contoso.onmicrosoft.com", RCPT,
          "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
          MICROSOFT, "hard_bounce", ("userunknown",)),
    Reply("msft-dmarc", "Microsoft 365", "contoso.onmicrosoft.com", DATA,
          "550 5.7.509 Access denied, sending domain bounces.test does not pass DMARC "
          "verification and has a DMARC policy of reject.",
          MICROSOFT, "auth_failure", ("authfailure",)),
    Reply("msft-quota", "Microsoft 365", "contoso.onmicrosoft.com", RCPT,
          "554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException."
          "MapiExceptionShutoffQuotaExceeded",
          MICROSOFT, "soft_bounce", ("mailboxfull",)),
    Reply("outlook-blocklist", "Outlook.com", "outlook.com", RCPT,
          "550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your "
          "Internet service provider since part of their network is on our block list (S3150). "
          "You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. "
          "[DB3EUR04FT007.eop-eur04.prod.protection.outlook.com]",
          "https://dijitul.uk/live-outlook-hotmail-rejects-emails-550-5-7-1-s3150",
          "soft_bounce", ("blocked",)),
    # --- Yahoo / AOL ---
    Reply("yahoo-nouser", "Yahoo", "yahoo.com", RCPT,
          "554 delivery error: dd This user doesn't have a yahoo.com account "
          "(yahoo-nouser@yahoo.com) [0] - mta1012.mail.gq1.yahoo.com",
          "https://blog.mailchannels.com/2016/06/top-smtp-error-codes-june-2016",
          "hard_bounce", ("userunknown",)),
    Reply("yahoo-disabled", "Yahoo", "yahoo.com", RCPT,
          "554 delivery error: dd Sorry your message to yahoo-disabled@yahoo.com cannot be "
          "delivered. This account has been disabled or discontinued [#102]. - mta1496.mail.bf1.yahoo.com",
          "https://blog.mailchannels.com/2016/06/top-smtp-error-codes-june-2016",
          "soft_bounce", ("suspend",)),
    Reply("yahoo-tss04", "Yahoo", "yahoo.com", RCPT,
          "451 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected "
          "volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
          "https://smtpfieldmanual.com/provider/yahoo/421/4.7.0",
          # "unexpected volume or user complaints": a rate limit or a reputation block
          "soft_bounce", ("ratelimited", "speeding", "badreputation", "blocked")),
    # --- GMX / Web.de (United Internet: no enhanced status codes) ---
    Reply("gmx-blocklisted", "GMX", "gmx.net", RCPT,
          "554-gmx.net (mxgmx104) Nemesis ESMTP Service not available\n"
          "554-No SMTP service\n"
          "554-IP address is block listed.\n"
          "554 For explanation visit https://postmaster.gmx.net/en/case?c=r0201&i=ip&v=192.0.2.1&r=1MNcgj-1ue23t3pyV-00S2YR",
          GMX, "soft_bounce", ("blocked",)),
    Reply("gmx-spf", "GMX", "gmx.net", RCPT,
          "550 <gmx-spf@gmx.net>: Reject due to SPF policy. The originating IP of the message is not permitted "
          "by the domain owner",
          "https://smtp.codes/unitedinternet/", "auth_failure", ("authfailure",)),
    Reply("webde-unavailable", "Web.de", "web.de", RCPT,
          "550 <webde-unavailable@web.de>: Requested action not taken: mailbox unavailable",
          "https://smtp.codes/unitedinternet/", "hard_bounce", ("userunknown",)),
    Reply("webde-storage", "Web.de", "web.de", RCPT,
          "550 Benutzer hat das Speichervolumen ueberschritten. / User has exhausted allowed "
          "storage space.",
          "http://www.sitepackage.de/service/dokumentation/auswertung/typische-fehlermeldungen-bei-unzustellbarkeit.html",
          "soft_bounce", ("mailboxfull",)),
    # --- Mail.ru ---
    Reply("mailru-nouser", "Mail.ru", "mail.ru", RCPT,
          "550 Message was not accepted -- invalid mailbox.  Local mailbox mailru-nouser@mail.ru "
          "is unavailable: user not found",
          "https://mailout.ru/2015/09", "hard_bounce", ("userunknown",)),
    # --- Yandex ---
    Reply("yandex-spam", "Yandex", "yandex.ru", DATA,
          "554 5.7.1 [2] Message rejected under suspicion of SPAM; https://ya.cc/1IrBc 1701234567-aBcDeFgH",
          YANDEX + "yandex/message-rejected-under-suspicion-of-spam.html",
          "soft_bounce", ("spamdetected",)),
    Reply("yandex-full", "Yandex", "yandex.ru", RCPT,
          "552 5.2.2 Mailbox size limit exceeded",
          YANDEX + "yandex/mailbox-size-limit-exceeded.html", "soft_bounce", ("mailboxfull",)),
    Reply("yandex-nouser", "Yandex", "yandex.ru", RCPT,
          "550 5.7.1 No such user!",
          YANDEX + "other.html", "hard_bounce", ("userunknown",)),
    # --- Mimecast ---
    Reply("mimecast-invalid", "Mimecast", "mimecast-customer.example", RCPT,
          "550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550 [aB3dEf.us516]",
          MIMECAST, "hard_bounce", ("userunknown",)),
    Reply("mimecast-spoof", "Mimecast", "mimecast-customer.example", DATA,
          "550 Rejected by header based Anti-Spoofing policy: sender@bounces.test - "
          "https://community.mimecast.com/docs/DOC-1369#550 [aUT_rCR5NlOVu3zyNjaM8g.us516]",
          MIMECAST, "soft_bounce", ("policyviolation", "securityerror", "filtered")),
    Reply("mimecast-greylist", "Mimecast", "mimecast-customer.example", RCPT,
          "451 Internal resource temporarily unavailable - https://community.mimecast.com/docs/DOC-1369#451",
          MIMECAST, "soft_bounce"),
    Reply("mimecast-security", "Mimecast", "mimecast-customer.example", DATA,
          "554 Email rejected due to security policies - https://community.mimecast.com/docs/DOC-1369#554",
          # Mimecast's code page (and Sisimai's Mimecast table): the anti-virus rejection
          MIMECAST, "soft_bounce", ("virusdetected", "policyviolation", "securityerror", "filtered")),
    # --- Proofpoint ---
    Reply("proofpoint-pdr", "Proofpoint", "proofpoint-customer.example", RCPT,
          "554 5.7.0 Blocked - see https://ipcheck.proofpoint.com/?ip=192.0.2.1",
          "https://www.proofpoint.com/us/support-services/ip-blocked-faq", "soft_bounce", ("blocked",)),
    # --- Barracuda ---
    Reply("barracuda-brbl", "Barracuda", "barracuda-customer.example", RCPT,
          "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using Barracuda "
          "Reputation; http://www.barracudanetworks.com/reputation/?pr=1&ip=192.0.2.1",
          "https://campus.barracuda.com/doc/39815000", "soft_bounce", ("blocked",)),
    Reply("barracuda-nsu", "Barracuda", "barracuda-customer.example", RCPT,
          "550 cuda_nsu 5.1.1 <barracuda-nsu@barracuda-customer.example> Recipient address rejected: User unknown",
          "https://smtp.codes/550", "hard_bounce", ("userunknown",)),
    # --- Apple iCloud ---
    Reply("icloud-nouser", "Apple iCloud", "icloud.com", RCPT,
          "550 5.1.1 <icloud-nouser@icloud.com>: user does not exist",
          "https://smtp.codes/icloud", "hard_bounce", ("userunknown",)),
    Reply("icloud-cs01", "Apple iCloud", "icloud.com", DATA,
          "550 5.7.1 [CS01] Message rejected due to local policy. Please visit "
          "https://support.apple.com/en-us/HT204137",
          "https://smtp.codes/icloud", "soft_bounce", ("policyviolation",)),
    Reply("icloud-volume", "Apple iCloud", "icloud.com", RCPT,
          "450 4.7.1 Messages to icloud-volume@icloud.com deferred due to excessive volume. "
          "Try again later - https://support.apple.com/en-us/HT204137",
          "https://smtp.codes/icloud", "soft_bounce", ("ratelimited", "speeding")),
    # --- Comcast ---
    Reply("comcast-dnsbl", "Comcast", "comcast.net", RCPT,
          "554 resimta-ch2-18v.sys.comcast.net resimta-ch2-18v.sys.comcast.net 192.0.2.1 found "
          "on one or more DNSBLs, see http://postmaster.comcast.net/smtp-error-codes.php#BL000001",
          COMCAST, "soft_bounce", ("blocked",)),
    Reply("comcast-notcustomer", "Comcast", "comcast.net", RCPT,
          "550 5.1.1 <comcast-notcustomer@comcast.net> Not our Customer",
          "https://mdpcontent-ho-1p-187062.sys.comcast.net/smtp-error-codes.php",
          "hard_bounce", ("userunknown",)),
    # --- Zoho ---
    Reply("zoho-dmarc", "Zoho", "zoho.com", DATA,
          "550 5.7.1 Email rejected per DMARC policy for bounces.test",
          "https://smtp.codes/zoho", "auth_failure", ("authfailure",)),
    Reply("zoho-tempfail", "Zoho", "zoho.com", RCPT,
          "452 4.3.1 Temporary System Error",
          "https://smtp.codes/zoho", "soft_bounce", ("systemerror", "systemfull")),
    # --- Software defaults every self-hosted receiver gives ---
    Reply("postfix-unknown", "Postfix", "selfhosted.example", RCPT,
          "550 5.1.1 <postfix-unknown@selfhosted.example>: Recipient address rejected: User "
          "unknown in virtual mailbox table",
          "https://www.postfix.org/VIRTUAL_README.html", "hard_bounce", ("userunknown",)),
    Reply("postgrey", "Postgrey greylisting", "selfhosted.example", RCPT,
          "450 4.2.0 <postgrey@selfhosted.example>: Recipient address rejected: Greylisted, see "
          "http://postgrey.schweikert.ch/help/selfhosted.example.html",
          "https://postgrey.schweikert.ch/", "soft_bounce"),
    Reply("dovecot-quota", "Dovecot LMTP", "selfhosted.example", RCPT,
          "552 5.2.2 <dovecot-quota@selfhosted.example> Quota exceeded (mailbox for user is full)",
          "https://doc.dovecot.org/configuration_manual/quota_plugin/", "soft_bounce", ("mailboxfull",)),
    Reply("spamhaus-zen", "Spamhaus via Postfix", "selfhosted.example", RCPT,
          "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; "
          "https://www.spamhaus.org/query/ip/192.0.2.1",
          "https://www.postfix.org/postconf.5.html#reject_rbl_client", "soft_bounce", ("blocked",)),
    Reply("nullmx", "RFC 7505 null MX", "selfhosted.example", RCPT,
          "556 5.1.10 <nullmx@selfhosted.example>: Recipient address rejected: Domain "
          "selfhosted.example does not accept mail (nullMX)",
          "https://www.rfc-editor.org/rfc/rfc7505", "hard_bounce", ("notaccept",)),
    Reply("sender-domain", "Postfix", "selfhosted.example", RCPT,
          "550 5.1.8 <sender@bounces.test>: Sender address rejected: Domain not found",
          "https://www.postfix.org/postconf.5.html#reject_unknown_sender_domain",
          "soft_bounce", ("rejected",)),
    Reply("size-limit", "Postfix", "selfhosted.example", DATA,
          "552 5.3.4 Message size exceeds fixed limit",
          "https://www.postfix.org/postconf.5.html#message_size_limit",
          "soft_bounce", ("mesgtoobig", "emailtoolarge")),
    Reply("rate-limit", "Postfix/policyd", "selfhosted.example", RCPT,
          "450 4.7.1 <rate-limit@selfhosted.example>: Recipient address rejected: Rate limit "
          "exceeded, try again later",
          "https://www.postfix.org/SMTPD_POLICY_README.html", "soft_bounce", ("ratelimited", "speeding")),
)
