"""Phrase tables: reasons about the remote system, the network, the queue or the reply."""
from __future__ import annotations

from . import Table

# Source: go-sisimai reason/why-expired.go.
EXPIRED = Table(
    index=(
        "connection timed out", "could not find a gateway for",
        "delivery attempts will continue to be", "delivery expired", "delivery time expired",
        "failed to deliver to domain ", "giving up on", "have been failing for a long time",
        "has been delayed", "it has not been collected after",
        "message expired after sitting in queue for",
        "message expired, cannot connect to remote server",
        "message expired, connection refulsed", "message timed out",
        "retry time not reached for any host after a long failure period",
        "server did not respond", "this message has been in the queue too long",
        "unable to deliver message after multiple retries",
        "was not reachable within the allowed queue period",
        "your message could not be delivered for more than",
    ),
    pairs=(("could not be delivered for", " days"),),
)

# Source: go-sisimai reason/why-mailererror.go.
MAILERERROR = Table(index=(
    " || exit ", "procmail: ", "bin/procmail", "bin/maidrop", "command failed: ",
    "command died with status ", "command output:", "mailer error", "pipe to |/", "x-unix; ",
))

# Source: go-sisimai reason/why-networkerror.go.
NETWORKERROR = Table(index=(
    "could not connect and send the mail to",
    "dns records for the destination computer could not be found",
    "hop count exceeded - possible mail loop", "host is unreachable",
    "host name lookup failure", "host not found, try again", "mail forwarding loop for ",
    "malformed name server reply", "malformed or unexpected name server reply",
    "maximum forwarding loop count exceeded", "message looping",
    "message probably in a routing loop", "no route to host", "too many hops",
    "unable to resolve route ", "unrouteable mail domain",
))

# Source: go-sisimai reason/why-notaccept.go.
NOTACCEPT = Table(index=(
    "does not accept mail (nullmx)", "host/domain does not accept mail",
    "host does not accept mail", "mail receiving disabled", "name server: .: host not found",
    "no mx record found for domain=", "no route for current request",
    "smtp protocol returned a permanent error",
))

# Source: go-sisimai reason/why-systemerror.go.
SYSTEMERROR = Table(
    index=(
        "aliasing/forwarding loop broken", "can't create user output file",
        "could not load drd for domain", "internal error reading data",
        "internal server error: operation now in progress", "interrupted system call",
        "it encountered an error while being processed", "it would create a mail loop",
        "local configuration error", "local error in processing",
        "loop was found in the mail exchanger", "loops back to myself",
        "mail system configuration error", "queue file write error",
        "recipient deferred because there is no mdb", "remote server is misconfigured",
        "server configuration error", "service currently unavailable", "system config error",
        "temporary local problem", "timeout waiting for input", "transaction failed ",
        # bouncepipe additions: Gmail "451 4.3.0 Mail server temporarily rejected message" /
        # "... has temporarily rejected this message" (https://support.google.com/a/answer/
        # 3726730; go-sisimai rhost/for-google.go) under any host
        "mail server temporarily rejected message",
        "mail server has temporarily rejected this message",
    ),
    pairs=(("unable to connect ", "daemon"),),
)

# Source: go-sisimai reason/why-systemfull.go.
SYSTEMFULL = Table(index=(
    "mail system full", "requested mail action aborted: exceeded storage allocation",
))

# Source: go-sisimai reason/why-vacation.go.
VACATION = Table(index=("i am away on vacation", "i am away until", "i am out of the office",
                        "i will be traveling for work on"))

SYSTEM_TABLES: dict[str, Table] = {
    "expired": EXPIRED,
    "mailererror": MAILERERROR,
    "networkerror": NETWORKERROR,
    "notaccept": NOTACCEPT,
    "systemerror": SYSTEMERROR,
    "systemfull": SYSTEMFULL,
    "vacation": VACATION,
}
