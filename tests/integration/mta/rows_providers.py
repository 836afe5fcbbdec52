"""Reply-table rows from mailbox providers' own error-code documentation (and, where a provider
publishes no list, from public pages quoting its replies verbatim). See reply.py for what a row
is; each row names the page its text was taken from. Reasons follow the documented meaning in
Sisimai's vocabulary (its rhost tables where it has one for the provider)."""
from __future__ import annotations

from tests.integration.mta.reply import COMCAST, DATA, GMX, GOOGLE, MICROSOFT, RCPT, YANDEX, Reply

MSFT_ACCESS_DENIED = ("https://learn.microsoft.com/en-us/exchange/troubleshoot/email-delivery/"
                      "ndr/fix-error-code-550-5-4-1-in-exchange-online")
MSFT_NDR_CODES = ("https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/"
                  "non-delivery-reports-in-exchange-online/non-delivery-reports-in-exchange-online")
MSFT_BANNED = ("https://learn.microsoft.com/en-us/exchange/troubleshoot/email-delivery/ndr/"
               "fix-error-code-550-5-7-511-in-exchange-online")
MSFT_7XX = ("https://learn.microsoft.com/en-us/exchange/troubleshoot/email-delivery/ndr/"
            "fix-error-code-5-7-700-through-5-7-750")
OUTLOOK_515 = ("https://techcommunity.microsoft.com/blog/microsoftdefenderforoffice365blog/"
               "strengthening-email-ecosystem-outlook%E2%80%99s-new-requirements-for-high%E2%80%90volume-senders/4399730")
YAHOO = "https://senders.yahooinc.com/smtp-error-codes/"
YAHOO_TS03 = "http://help.yahoo.com/kb/index?page=content&y=PROD_MAIL_MOBILE&locale=en_US&id=SLN3436"
SMTPCODES_YAHOO = "https://smtp.codes/yahoo"
ICLOUD = "https://smtp.codes/icloud"
ICLOUD_POLICY = ("https://www.suped.com/learn/email-deliverability/what-does-apples-message-rejected"
                 "-due-to-local-policy-error-mean-and-how-can-it-be-resolved")
TONLINE_BL = "https://www.spamresource.com/2020/06/whoops-t-onlinede-not-accepting-mail.html"
TONLINE_NOWL = "https://timmehosting.de/leitfaden-wenn-t-online-e-mails-blockiert-ursachen-und-loesungen"
TONLINE_DIAL = "https://help.creoline.com/de/doc/t-online-554-dialuptransient-ip-not-allowed-zVwMz4z866"
FRANCE = "https://doc.gadz.org/pages/diffpages.action?originalId=21791317&pageId=21792015"
ORANGE = "https://bentonow.com/smtp-errors/orange"
QQ = "https://smtp.codes/qq"
NETEASE = "https://biecuoliao.com/pa/MBRrwEM.html"
COMCAST_PTR = "https://pastebin.com/6TeyBieB"
GMAIL_PTR = "https://pastebin.com/Rj7iXShc"
GMAIL_IPV6 = "https://pastebin.com/299z5xq8"
MAILRU = "https://help.mail.ru/notspam-support"
ZOHO = "https://smtp.codes/zoho"
MSFT_DELIST = ("https://learn.microsoft.com/en-us/defender-office-365/"
               "external-senders-use-the-delist-portal-to-unblock-yourself")
SEZNAM = "https://napoveda.seznam.cz/uzivatel-neexistuje"
INTERIA = "https://pomoc.poczta.interia.pl/news-dlaczego-wiadomosc-nie-zostala-dostarczona,nId,6589600"
FORPSI = "https://support.grhosting.cz/kb/a290/email-se-vratil-odesilateli-jako-nedorucitelny.aspx"

ROWS: tuple[Reply, ...] = (
    # --- Gmail (the Workspace SMTP error reference; wrapping as gsmtp sends it) ---
    Reply("gmail-lowrep-ip", "Gmail", "gmail.com", DATA,
          "550-5.7.1 Our system has detected that this message is likely suspicious due to\n"
          "550-5.7.1 the very low reputation of the sending IP address. To best protect our\n"
          "550-5.7.1 users from spam, the message has been blocked. For more information, go to\n"
          "550 5.7.1  https://support.google.com/mail/answer/188131 - gsmtp",
          GOOGLE, "soft_bounce", ("badreputation",)),
    Reply("gmail-lowrep-domain", "Gmail", "gmail.com", DATA,
          "550-5.7.1 Our system has detected that this message is likely suspicious due to\n"
          "550-5.7.1 the very low reputation of the sending domain. To best protect our users\n"
          "550-5.7.1 from spam, the message has been blocked. For more information, go to\n"
          "550 5.7.1  https://support.google.com/mail/answer/188131 - gsmtp",
          GOOGLE, "soft_bounce", ("badreputation",)),
    Reply("gmail-unusual-rate", "Gmail", "gmail.com", RCPT,
          "421-4.7.28 Our system has detected an unusual rate of unsolicited mail originating\n"
          "421-4.7.28 from your IP address. To protect our users from spam, mail sent from your\n"
          "421-4.7.28 IP address has been temporarily rate limited. For more information, go to\n"
          "421 4.7.28  https://support.google.com/mail/?p=UnsolicitedRateLimitError - gsmtp",
          GOOGLE, "soft_bounce", ("blocked", "ratelimited", "speeding")),
    Reply("gmail-ptr", "Gmail", "gmail.com", DATA,
          "550-5.7.25 The IP address sending this message does not have a PTR record setup, or\n"
          "550-5.7.25 the corresponding forward DNS entry does not point to the sending IP. As a\n"
          "550-5.7.25 policy, Gmail does not accept messages from IPs with missing PTR records.\n"
          "550 5.7.25 For more information, go to https://support.google.com/mail/answer/81126 - gsmtp",
          GOOGLE, "soft_bounce", ("requireptr",)),
    Reply("gmail-ptr-legacy", "Gmail", "gmail.com", DATA,
          "550-5.7.1 [192.0.2.1] The IP address sending this message does not have a PTR\n"
          "550-5.7.1 record setup. As a policy, Gmail does not accept messages from IPs\n"
          "550-5.7.1 with missing PTR records. Please visit\n"
          "550-5.7.1 https://support.google.com/mail/answer/81126#authentication for more\n"
          "550 5.7.1 information. p1si12051002jaj.114 - gsmtp",
          GMAIL_PTR, "soft_bounce", ("requireptr",)),
    Reply("gmail-ipv6", "Gmail", "gmail.com", DATA,
          "550-5.7.1 [2001:db8::25] Our system has detected that this message does\n"
          "550-5.7.1 not meet IPv6 sending guidelines regarding PTR records and\n"
          "550-5.7.1 authentication. Please review\n"
          "550-5.7.1 https://support.google.com/mail/?p=ipv6_authentication_error for more\n"
          "550 5.7.1 information. fu17si11474705wjc.73 - gsmtp",
          GMAIL_IPV6, "soft_bounce", ("requireptr",)),
    Reply("gmail-spf", "Gmail", "gmail.com", DATA,
          "550-5.7.27 Your email has been blocked because the sender is unauthenticated. Gmail\n"
          "550-5.7.27 requires all senders to authenticate with SPF. SPF check for\n"
          "550-5.7.27 [bounces.test] did not pass with ip: [192.0.2.1]. For more information, go\n"
          "550 5.7.27 to https://support.google.com/mail/answer/81126#authentication - gsmtp",
          GOOGLE, "auth_failure", ("authfailure",)),
    Reply("gmail-spf-hardfail", "Gmail", "gmail.com", DATA,
          "550-5.7.26 This message fails to pass SPF checks for an SPF record with a hard fail\n"
          "550-5.7.26 policy (-all). To best protect our users from spam and phishing, the\n"
          "550-5.7.26 message has been blocked. For more information, go to\n"
          "550 5.7.26  https://support.google.com/mail/answer/81126#authentication - gsmtp",
          GOOGLE, "auth_failure", ("authfailure",)),
    Reply("gmail-dkim", "Gmail", "gmail.com", DATA,
          "550-5.7.30 Your email has been blocked because DKIM does not pass. Gmail requires\n"
          "550-5.7.30 all bulk email senders to authenticate with DKIM. For more information,\n"
          "550 5.7.30 go to https://support.google.com/mail/answer/81126#authentication - gsmtp",
          GOOGLE, "auth_failure", ("authfailure",)),
    Reply("gmail-inactive", "Gmail", "gmail.com", RCPT,
          "550-5.2.1 The email account that you tried to reach is inactive. For more\n"
          "550 5.2.1 information, go to https://support.google.com/mail/?p=DisabledUser - gsmtp",
          GOOGLE, "soft_bounce", ("suspend",)),
    Reply("gmail-outofstorage", "Gmail", "gmail.com", RCPT,
          "452-4.2.2 The recipient's inbox is out of storage space. Please direct the\n"
          "452 4.2.2 recipient to https://support.google.com/mail/?p=OverQuotaTemp - gsmtp",
          GOOGLE, "soft_bounce", ("mailboxfull",)),
    Reply("gmail-outofstorage-perm", "Gmail", "gmail.com", RCPT,
          "552-5.2.2 The recipient's inbox is out of storage space and inactive. Please\n"
          "552 5.2.2 direct the recipient to https://support.google.com/mail/?p=OverQuotaPerm - gsmtp",
          GOOGLE, "soft_bounce", ("mailboxfull",)),
    Reply("gmail-receiving-rate", "Gmail", "gmail.com", RCPT,
          "550-5.2.1 The user you are trying to contact is receiving mail at a rate that\n"
          "550-5.2.1 prevents additional messages from being delivered. For more\n"
          "550 5.2.1 information, go to https://support.google.com/mail/?p=ReceivingRatePerm - gsmtp",
          GOOGLE, "soft_bounce", ("ratelimited", "speeding")),
    Reply("gmail-messageid", "Gmail", "gmail.com", DATA,
          "550-5.7.1 [192.0.2.1] Messages missing a valid Message-ID: header are not\n"
          "550-5.7.1 accepted. For more information, go to\n"
          "550 5.7.1  https://support.google.com/mail/?p=RfcMessageNonCompliant - gsmtp",
          GOOGLE, "soft_bounce", ("notcompliantrfc",)),
    Reply("gmail-from-header", "Gmail", "gmail.com", DATA,
          "550-5.7.1 [192.0.2.1] Messages missing a valid address in the From: header, or\n"
          "550-5.7.1 having no From: header, are not accepted. For more information, go to\n"
          "550 5.7.1  https://support.google.com/mail/?p=RfcMessageNonCompliant - gsmtp",
          GOOGLE, "soft_bounce", ("notcompliantrfc",)),
    Reply("gmail-security-content", "Gmail", "gmail.com", DATA,
          "552-5.7.0 This message was blocked because its content presents a potential\n"
          "552-5.7.0 security issue. Please visit\n"
          "552-5.7.0  https://support.google.com/mail/?p=BlockedMessage to review our\n"
          "552 5.7.0 message content and attachment content guidelines. - gsmtp",
          GOOGLE, "soft_bounce", ("securityerror", "virusdetected", "policyviolation")),
    Reply("gmail-suspicious-links", "Gmail", "gmail.com", DATA,
          "421-4.7.0 This message is suspicious due to the nature of the content or the\n"
          "421-4.7.0 links within. To best protect our users from spam, the message has been\n"
          "421 4.7.0 blocked. https://support.google.com/mail/answer/188131 - gsmtp",
          GOOGLE, "soft_bounce", ("spamdetected",)),
    Reply("gmail-prohibited", "Gmail", "gmail.com", DATA,
          "550 5.7.1 The user or domain that you are sending to (or from) has a policy that "
          "prohibited the mail that you sent. Please contact your domain administrator for "
          "further details. - gsmtp",
          GOOGLE, "soft_bounce", ("policyviolation",)),
    Reply("gmail-hops", "Gmail", "gmail.com", DATA,
          "554 5.4.6 Message exceeded 50 hops, this may indicate a mail loop. - gsmtp",
          GOOGLE, "soft_bounce", ("networkerror",)),
    Reply("gmail-tls-required", "Gmail", "gmail.com", RCPT,
          "421 4.7.0 TLS required for RCPT domain, closing connection. - gsmtp",
          GOOGLE, "soft_bounce", ("failedstarttls", "securityerror")),
    # --- Microsoft: Exchange Online / EOP and Outlook.com ---
    Reply("msft-accessdenied", "Microsoft 365", "contoso.onmicrosoft.com", RCPT,
          "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) "
          "[BN1NAM02FT022.eop-nam02.prod.protection.outlook.com]",
          MSFT_ACCESS_DENIED, "hard_bounce", ("userunknown",)),
    Reply("msft-exrecipnotfound", "Microsoft 365", "contoso.onmicrosoft.com", RCPT,
          "550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found",
          MSFT_NDR_CODES, "hard_bounce", ("userunknown",)),
    Reply("outlook-mailbox-unavailable", "Outlook.com", "hotmail.com", RCPT,
          "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). "
          "[AM1PEPF000252DE.eurprd07.prod.outlook.com]",
          "https://smtp.codes/outlook", "hard_bounce", ("userunknown",)),
    Reply("outlook-s3140", "Outlook.com", "outlook.com", RCPT,
          "550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your "
          "Internet service provider since part of their network is on our block list (S3140). "
          "You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. "
          "[VI1EUR06FT012.eop-eur06.prod.protection.outlook.com]",
          "https://smtp.codes/outlook", "soft_bounce", ("blocked",)),
    Reply("msft-banned-sender", "Microsoft 365", "contoso.onmicrosoft.com", RCPT,
          "550 5.7.511 Access denied, banned sender[192.0.2.1]. To request removal from this list, "
          "forward this message to delist@microsoft.com. For more information, go to "
          "https://go.microsoft.com/fwlink/?LinkId=526653. AS(1410)",
          MSFT_BANNED, "soft_bounce", ("blocked",)),
    Reply("msft-traffic-not-accepted", "Microsoft 365", "contoso.onmicrosoft.com", RCPT,
          "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. "
          "For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653 AS(7230)",
          MSFT_7XX, "soft_bounce", ("ratelimited", "speeding", "blocked")),
    Reply("msft-spf", "Microsoft 365", "contoso.onmicrosoft.com", DATA,
          "550 5.7.23 The message was rejected because of Sender Policy Framework violation",
          MSFT_NDR_CODES, "auth_failure", ("authfailure",)),
    Reply("outlook-auth-level", "Outlook.com", "outlook.com", DATA,
          "550 5.7.515 Access denied, sending domain bounces.test doesn't meet the required "
          "authentication level.",
          OUTLOOK_515, "auth_failure", ("authfailure",)),
    Reply("msft-sender-not-authenticated", "Microsoft 365", "contoso.onmicrosoft.com", RCPT,
          "550 5.7.133 RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication required; "
          "Delivery restriction check failed as sender not authenticated for group",
          MSFT_NDR_CODES, "soft_bounce", ("rejected", "securityerror")),
    Reply("msft-receive-limit", "Microsoft 365", "contoso.onmicrosoft.com", RCPT,
          "550 5.2.122 The recipient has exceeded their limit for the number of messages they "
          "can receive per hour. For more information go to https://go.microsoft.com/fwlink/?LinkId=526653",
          MSFT_NDR_CODES, "soft_bounce", ("ratelimited", "toomanyconn", "speeding")),
    Reply("msft-server-busy", "Microsoft 365", "contoso.onmicrosoft.com", RCPT,
          "451 4.7.500 Server busy. Please try again later from [192.0.2.1]. (S77719) "
          "[DB5EUR03FT055.eop-EUR03.prod.protection.outlook.com]",
          "https://learn.microsoft.com/en-us/exchange/troubleshoot/email-delivery/ndr/"
          "fix-error-code-451-4-7-500-699-asxxx-in-exchange-online",
          "soft_bounce", ("systemerror", "blocked", "ratelimited")),
    Reply("msft-mailbox-full-550", "Microsoft 365", "contoso.onmicrosoft.com", RCPT,
          "550 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException."
          "MapiExceptionShutoffQuotaExceeded; Failed to process message due to a permanent "
          "exception with message Cannot open mailbox.",
          MSFT_NDR_CODES, "soft_bounce", ("mailboxfull",)),
    # --- Yahoo / AOL (Yahoo Sender Hub error codes) ---
    Reply("yahoo-policy", "Yahoo", "yahoo.com", DATA,
          "554 5.7.9 Message not accepted for policy reasons.  See "
          "https://senders.yahooinc.com/error-codes",
          YAHOO, "soft_bounce", ("policyviolation",)),
    Reply("yahoo-unauthenticated", "Yahoo", "yahoo.com", DATA,
          "550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo "
          "requires all senders to authenticate with either SPF or DKIM.",
          YAHOO, "auth_failure", ("authfailure",)),
    Reply("yahoo-tss09", "Yahoo", "yahoo.com", RCPT,
          "553 5.7.2 [TSS09] All messages from 192.0.2.1 will be permanently deferred; Retrying "
          "will NOT succeed. See https://senders.yahooinc.com/error-codes",
          # Sisimai's Yahoo table: "will be permanently deferred" is "rejected"
          YAHOO, "soft_bounce", ("rejected", "blocked")),
    Reply("yahoo-ts03", "Yahoo", "yahoo.com", RCPT,
          "421 4.7.1 [TS03] All messages from 192.0.2.1 will be permanently deferred; Retrying "
          "will NOT succeed. See https://senders.yahooinc.com/error-codes",
          YAHOO_TS03, "soft_bounce", ("rejected", "blocked")),
    Reply("yahoo-mailboxfull", "Yahoo", "yahoo.com", RCPT,
          "552 1 Requested mail action aborted, mailbox full",
          YAHOO, "soft_bounce", ("mailboxfull",)),
    Reply("yahoo-receiving-fast", "Yahoo", "yahoo.com", RCPT,
          "450 User is receiving mail too quickly",
          SMTPCODES_YAHOO, "soft_bounce", ("ratelimited", "speeding")),
    Reply("aol-nouser", "AOL", "aol.com", RCPT,
          "554 delivery error: dd This user doesn't have a aol.com account (aol-nouser@aol.com) "
          "[0] - mta1234.mail.gq1.yahoo.com",
          YAHOO, "hard_bounce", ("userunknown",)),
    # --- Apple iCloud ---
    Reply("icloud-hm08", "Apple iCloud", "icloud.com", DATA,
          "554 5.7.1 [HM08] Message rejected due to local policy. Please visit "
          "https://support.apple.com/en-us/HT204137",
          ICLOUD_POLICY, "soft_bounce", ("policyviolation",)),
    Reply("icloud-dmarc", "Apple iCloud", "icloud.com", DATA,
          "550 5.7.1 Your message was rejected due to bounces.test's DMARC policy. See "
          "https://support.apple.com/en-us/HT204137",
          ICLOUD, "auth_failure", ("authfailure",)),
    Reply("icloud-spamhaus-dbl", "Apple iCloud", "me.com", DATA,
          "550 5.7.1 Your email was rejected due to having a domain present in the Spamhaus DBL "
          "-- see https://www.spamhaus.org/dbl/",
          ICLOUD, "soft_bounce", ("blocked",)),
    Reply("icloud-inactive", "Apple iCloud", "icloud.com", RCPT,
          "550 5.1.1 <icloud-inactive@icloud.com>: inactive email address",
          "https://bentonow.com/smtp-errors/apple", "hard_bounce", ("userunknown",)),
    Reply("icloud-overquota", "Apple iCloud", "mac.com", RCPT,
          "552 5.2.2 <icloud-overquota@mac.com>: user is over quota",
          ICLOUD, "soft_bounce", ("mailboxfull",)),
    # --- Comcast ---
    Reply("comcast-bl000010", "Comcast", "comcast.net", RCPT,
          "554 resimta-po-36v.sys.comcast.net comcast 192.0.2.1 found on one or more DNSBLs, see "
          "http://postmaster.comcast.net/smtp-error-codes.php#BL000010",
          COMCAST, "soft_bounce", ("blocked",)),
    Reply("comcast-ptr", "Comcast", "comcast.net", RCPT,
          "554 imta28.emeryville.ca.mail.comcast.net comcast 192.0.2.1 Comcast requires that all "
          "mail servers must have a PTR record with a valid Reverse DNS entry. Currently your mail "
          "server does not fill that requirement. For more information, refer to: "
          "http://help.comcast.net/content/faq/PTR",
          COMCAST_PTR, "soft_bounce", ("requireptr",)),
    # --- AT&T ---
    Reply("att-rbl", "AT&T", "att.net", RCPT,
          "553 5.3.0 flpd575 DNSBL:RBL 521< 192.0.2.1 >_is_blocked.For assistance forward this "
          "error to abuse_rbl@abuse-att.net",
          "https://smtpfieldmanual.com/provider/att", "soft_bounce", ("blocked",)),
    # --- Deutsche Telekom (T-Online) ---
    Reply("tonline-bl", "T-Online", "t-online.de", RCPT,
          "554 IP=192.0.2.1 - A problem occurred. (Ask your postmaster for help or to contact "
          "tosa@rx.t-online.de to clarify.) (BL)",
          TONLINE_BL, "soft_bounce", ("blocked",)),
    Reply("tonline-nowl", "T-Online", "t-online.de", RCPT,
          "554 IP=192.0.2.1 - None/bad reputation. Ask your postmaster for help or to contact "
          "<postmaster@rx.t-online.de> for reset. (NOWL)",
          TONLINE_NOWL, "soft_bounce", ("badreputation", "blocked")),
    Reply("tonline-dialup", "T-Online", "t-online.de", RCPT,
          "554 IP=192.0.2.1 - Dialup/transient IP not allowed. Use a mailgateway or contact "
          "toda@rx.t-online.de if obsolete. (DIAL)",
          TONLINE_DIAL, "soft_bounce", ("blocked",)),
    # --- Orange / Wanadoo, Free, SFR, La Poste (France) ---
    Reply("orange-ofr506", "Orange", "orange.fr", DATA,
          "550 5.2.0 Mail rejete. Mail rejected. ofr_506 [506]",
          FRANCE, "soft_bounce", ("blocked", "spamdetected", "rejected")),
    Reply("orange-too-many-conn", "Orange", "wanadoo.fr", RCPT,
          "421 mwinf5c10 ME Trop de connexions, veuillez verifier votre configuration. "
          "Too many connections, slow down. OFR004_104 [104]",
          ORANGE, "soft_bounce", ("toomanyconn", "ratelimited")),
    Reply("free-spam", "Free", "free.fr", DATA,
          "550 spam detected",
          FRANCE, "soft_bounce", ("spamdetected",)),
    Reply("sfr-content", "SFR", "sfr.fr", DATA,
          "550 5.7.1 Message content rejected",
          FRANCE, "soft_bounce", ("contenterror", "spamdetected", "policyviolation")),
    Reply("laposte-lpn007", "La Poste", "laposte.net", DATA,
          "550 5.5.0 Service refuse. Veuillez essayer plus tard. service refused, please try "
          "later. LPN007_510",
          FRANCE, "soft_bounce", ("blocked",)),
    # --- GMX / Web.de (United Internet) ---
    Reply("gmx-policy", "GMX", "gmx.de", DATA,
          "554-Transaction failed\n"
          "554-Reject due to policy restrictions.\n"
          "554 For explanation visit https://postmaster.gmx.net/en/case?c=hi&i=ip&v=192.0.2.1&r=0MKuxg-1nPbXT2ZUa-000QzB",
          GMX, "soft_bounce", ("policyviolation", "blocked", "rejected")),
    Reply("webde-nouser", "Web.de", "web.de", RCPT,
          "550 Requested action not taken: mailbox unavailable",
          GMX, "hard_bounce", ("userunknown",)),
    # --- Mail.ru ---
    Reply("mailru-spam", "Mail.ru", "mail.ru", DATA,
          "550 spam message rejected. Please visit http://help.mail.ru/notspam-support/id?c="
          "AbCdEf or report details to abuse@corp.mail.ru. Error code: 0123456789ABCDEF. ID: "
          "00000001FEDCBA98.",
          MAILRU, "soft_bounce", ("spamdetected",)),
    # --- Yandex ---
    Reply("yandex-policy", "Yandex", "yandex.ru", RCPT,
          "550 5.7.1 Policy rejection on the target address",
          YANDEX + "yandex/policy-rejection-on-the-target-address.html", "soft_bounce", ("suspend",)),
    Reply("yandex-dmarc", "Yandex", "ya.ru", DATA,
          "550 5.7.1 Email rejected per DMARC policy for bounces.test",
          YANDEX + "other.html", "auth_failure", ("authfailure",)),
    # --- QQ / Tencent ---
    Reply("qq-notfound", "QQ Mail", "qq.com", RCPT,
          "550 Mailbox not found. http://service.exmail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000728",
          QQ, "hard_bounce", ("userunknown",)),
    Reply("qq-content", "QQ Mail", "qq.com", DATA,
          "550 Mail content denied. http://service.exmail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000726",
          QQ, "soft_bounce", ("spamdetected",)),
    Reply("qq-ip-frequency", "QQ Mail", "qq.com", RCPT,
          "550 Ip frequency limited. http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000725",
          QQ, "soft_bounce", ("ratelimited", "speeding", "toomanyconn")),
    Reply("qq-dmarc", "QQ Mail", "qq.com", DATA,
          "550 DMARC check failed http://service.mail.qq.com/cgi-bin/help?subtype=1&&no=1001508&&id=16.",
          QQ, "auth_failure", ("authfailure",)),
    # --- NetEase (163.com) ---
    Reply("netease-spam", "NetEase", "163.com", DATA,
          "554 DT:SPM 163 mx14,QMCowAAH_0Ab2dNlAA--.1 1708392475,please see "
          "http://mail.163.com/help/help_spam_16.htm?ip=192.0.2.1&hostid=mx14&time=1708392475",
          NETEASE, "soft_bounce", ("spamdetected",)),
    Reply("netease-rbl", "NetEase", "163.com", RCPT,
          "450 DT:RBL 163 mx14,QMCowAAH_0Ab2dNlAA--.2 1708392475,please see "
          "http://mail.163.com/help/help_spam_16.htm?ip=192.0.2.1&hostid=mx14&time=1708392475",
          NETEASE, "soft_bounce", ("blocked",)),
    # --- Zoho ---
    Reply("zoho-unknown", "Zoho", "zohomail.com", RCPT,
          "550 5.1.1 <zoho-unknown@zohomail.com> User unknown",
          ZOHO, "hard_bounce", ("userunknown",)),
    Reply("zoho-domain-filter", "Zoho", "zoho.com", DATA,
          "541 5.4.1 Mail rejected by destination domain",
          ZOHO, "soft_bounce", ("filtered", "rejected", "policyviolation", "blocked")),
    Reply("zoho-restricted", "Zoho", "zoho.eu", RCPT,
          "452 <zoho-restricted@zoho.eu> Mailbox delivery restricted by policy error",
          ZOHO, "soft_bounce", ("policyviolation", "filtered", "rejected")),
    Reply("zoho-virus", "Zoho", "zoho.com", DATA,
          "552 5.7.1 virus Win.Test.EICAR_HDB-1 detected by Zoho Mail",
          ZOHO, "soft_bounce", ("virusdetected",)),
    # --- Seznam (Czech) and Czech hosting (qmail chkuser) ---
    Reply("seznam-unknown", "Seznam", "seznam.cz", RCPT,
          "550 5.1.1 szn; User hasn't got the service mapped",
          SEZNAM, "hard_bounce", ("userunknown",)),
    Reply("chkuser-full", "Forpsi (qmail chkuser)", "forpsi-customer.cz", RCPT,
          "552 5.1.1 5.2.2 sorry, final recipient mailbox is full (chkuser)",
          FORPSI, "soft_bounce", ("mailboxfull",)),
    Reply("forpsi-spf", "Forpsi", "forpsi-customer.cz", DATA,
          "550 5.1.0 0bcW1i00G0jifNx01bcmHa blocked by SPF",
          FORPSI, "auth_failure", ("authfailure",)),
    Reply("forpsi-spam", "Forpsi", "forpsi-customer.cz", DATA,
          "552 5.2.0 0biL1i00V1cmcpM01biL4w spam detected",
          FORPSI, "soft_bounce", ("spamdetected",)),
    Reply("forpsi-sender-blacklisted", "Forpsi", "forpsi-customer.cz", RCPT,
          "550 5.1.1 <sender@bounces.test> sender is blacklisted",
          FORPSI, "soft_bounce", ("filtered", "rejected", "blocked")),
    # --- Interia (Poland) ---
    Reply("interia-notfound", "Interia", "interia.pl", RCPT,
          "550 5.1.1 Account not found",
          INTERIA, "hard_bounce", ("userunknown",)),
    Reply("interia-unwanted", "Interia", "interia.pl", RCPT,
          "550 5.7.1 Recipient doesn't want your mail",
          INTERIA, "soft_bounce", ("filtered", "rejected", "blocked")),
    Reply("interia-spf", "Interia", "interia.pl", RCPT,
          "550 5.7.0 [SPF] 192.0.2.1 is not allowed to send mail from bounces.test",
          INTERIA, "auth_failure", ("authfailure",)),
    # --- Gmail, more of the reference ---
    Reply("gmail-ip-whitelist", "Gmail", "googlemail.com", RCPT,
          "421 4.7.0 IP not in whitelist for RCPT domain, closing connection. - gsmtp",
          GOOGLE, "soft_bounce", ("blocked",)),
    Reply("gmail-too-many-rcpts", "Gmail", "gmail.com", RCPT,
          "452 4.5.3 Your message has too many recipients. For more information regarding "
          "Google's sending limits, go to https://support.google.com/mail/?p=TooManyRecipientsError - gsmtp",
          GOOGLE, "soft_bounce", ("toomanyconn", "ratelimited")),
    # --- transient replies bounced at once (category only: "try later" says no why) ---
    Reply("yahoo-resources", "Yahoo", "yahoo.com", RCPT,
          "451 mta1012.mail.gq1.yahoo.com Resources temporarily unavailable. Please try again "
          "later [#4.16.1].",
          SMTPCODES_YAHOO, "soft_bounce"),
    Reply("yahoo-internal", "Yahoo", "ymail.com", DATA,
          "451 4.3.2 Internal server error",
          SMTPCODES_YAHOO, "soft_bounce"),
    Reply("icloud-unavailable", "Apple iCloud", "icloud.com", RCPT,
          "451 4.7.1 Service unavailable - try again later",
          ICLOUD, "soft_bounce"),
    Reply("icloud-too-many-errors", "Apple iCloud", "me.com", RCPT,
          "421 4.7.0 me.com Error: too many errors",
          ICLOUD, "soft_bounce"),
    Reply("outlook-spamhaus", "Outlook.com", "outlook.com", RCPT,
          "550 5.7.1 Service unavailable, Client host [192.0.2.1] blocked using Spamhaus. To "
          "request removal from this list see https://www.spamhaus.org/query/ip/192.0.2.1 "
          "(AS3130). [BN8NAM11FT066.eop-nam11.prod.protection.outlook.com]",
          MSFT_DELIST, "soft_bounce", ("blocked",)),
)
