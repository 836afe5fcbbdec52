"""The parse speed-ups keep the stdlib's answers: the memoised content type follows header
changes, simple header parameters are read as the stdlib's generic parse reads them, and
the headers-only re-parse reads the same header block as a full parse."""
from __future__ import annotations

import email

from pipeline.mime.parse import parse_email
from pipeline.mime.headers import parse_headers
from pipeline.mime.returned import original_from_headers
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.mime import message as message_module
from pipeline.mime.message import CachedMessage

RETURNED = ("From: Sender <a@sender.example>\nTo: b@example.org\nSubject: hi\n"
            "Message-ID: <m1@sender.example>\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=\"X\"\n\n--X\nContent-Type: text/plain\n\n"
            "Subject: not a header\n--X--\n")


def test_parsed_parts_are_cached_messages_with_the_stdlib_content_type():
    msg = parse_email(b"From MAILER-DAEMON Mon Nov 23 10:00:00 2026\r"
                      b"Content-Type: multipart/report; boundary=\"B\"\r\r--B\r"
                      b"Content-Type: text/plain\r\rx\r--B--\r")
    types = [p.get_content_type() for p in msg.walk()]
    assert types == ["multipart/report", "text/plain"]
    assert all(isinstance(p, CachedMessage) for p in msg.walk())


def test_content_type_memo_follows_every_header_change():
    msg = email.message_from_string("Subject: x\n\nbody\n", _class=CachedMessage)
    assert msg.get_content_type() == "text/plain"
    msg["Content-Type"] = "text/html"
    assert msg.get_content_type() == "text/html"
    msg.replace_header("Content-Type", "message/rfc822")
    assert msg.get_content_type() == "message/rfc822"
    msg.set_type("application/json")
    assert msg.get_content_type() == "application/json"
    del msg["Content-Type"]
    msg.set_default_type("message/rfc822")
    assert msg.get_content_type() == "message/rfc822"
    msg.set_raw("Content-Type", "text/csv")
    assert msg.get_content_type() == "text/csv"


def test_headers_only_parse_reads_the_same_headers_under_every_newline_convention():
    for nl in ("\n", "\r\n", "\r"):
        text = RETURNED.replace("\n", nl)
        full = email.message_from_string(text)
        head = parse_headers(text)
        assert head.items() == full.items()
        original = original_from_headers(head)
        assert (original.message_id, original.sender, original.subject, original.to) == (
            "m1@sender.example", "a@sender.example", "hi", "b@example.org")


PARAM_CHARS = st.sampled_from(list("ab=Z09-_.;\"\\<> \t\n*'/%é"))
PARAM_NAMES = st.sampled_from(["boundary", "Boundary", "BOUNDARY", "charset", "report-type",
                               "name", "filename", "boundary*", "boundary*0", "xboundary",
                               " boundary ", ""])
_SIMPLE_READS = [0]


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(["multipart/mixed", "text/plain", "Multipart/Alternative ",
                        "multipart/mixed=x", "attachment", "charset", ""]),
       st.lists(st.tuples(PARAM_NAMES,
                          st.one_of(st.text(st.sampled_from("abZ09-_.:/ "), max_size=10),
                                    st.text(PARAM_CHARS, max_size=12)),
                          st.booleans(),
                          st.sampled_from([";", "; ", ";\n\t", " ;", ";;"])), max_size=4),
       st.sampled_from(["", ";", " ", ";\n"]),
       st.sampled_from(["Content-Type", "Content-Disposition"]))
def test_parameters_are_the_stdlib_parameters(head, params, tail, header):
    value = head + "".join(sep + name + "=" + (f'"{v}"' if quoted else v)
                           for name, v, quoted, sep in params) + tail
    cached, plain = CachedMessage(), email.message.Message()
    for msg in (cached, plain):
        msg._headers.append((header, value))

    def answers(msg):
        out = []
        for ask in (lambda: [msg.get_param(p, header=header) for p in
                             ("boundary", "charset", "report-type", "name", "filename",
                              "multipart/mixed", "")],
                    msg.get_boundary, msg.get_content_charset, msg.get_filename):
            try:
                out.append(ask())
            except Exception as exc:  # noqa: BLE001 - the same exception is the same answer
                out.append(type(exc))
        return out

    assert answers(cached) == answers(plain)
    if message_module.simple_param(value, "boundary") is not None:
        _SIMPLE_READS[0] += 1


def test_parameters_took_the_direct_read_often():
    # the property test above runs first (file order): it must have exercised the fast path
    assert _SIMPLE_READS[0] > 50


def test_simple_parameters_read_common_forms_and_refuse_hard_ones():
    simple = message_module.simple_param
    value = 'multipart/report; report-type=delivery-status;\n\tboundary="B:1 x"'
    assert simple(value, "boundary") == "B:1 x"
    assert simple(value, "Report-Type") == "delivery-status"
    assert simple(value, "charset") is message_module._MISSING
    assert simple("multipart/mixed; BOUNDARY = abc ;", "boundary") == "abc"
    assert simple('multipart/mixed; boundary="<abc>"', "boundary") == "<abc>"
    assert simple('multipart/mixed; boundary*0="a"; boundary*1="b"', "boundary") is None
    assert simple('multipart/mixed; boundary="a\\"b"', "boundary") is None
    msg = CachedMessage()
    msg["Content-Type"] = 'multipart/mixed; boundary="<abc>"'
    assert msg.get_boundary() == "abc"  # get_boundary unquotes once more, as the stdlib does


@settings(max_examples=800, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["Content-Type", "content-type", "Content-Disposition",
                                           "CONTENT-DISPOSITION", "Content-Typo", "X-Name",
                                           "Content-Transfer-Encoding"]),
                          st.sampled_from(["text/plain", "application/zip; name=r.zip",
                                           'text/xml; NAME="a.xml"', "attachment",
                                           "inline; filename=x.xml.gz", "text/plain; charset=x",
                                           "attachment; filename*=us-ascii''r%2Exml",
                                           "application/gzip; x=1;\n\tname=b.gz", "namely/x",
                                           "Base64", 'text/plain; charset="UTF-8"',
                                           "multipart/mixed; boundary=\"<b>\" ", ""])),
                max_size=4))
def test_filenames_and_root_parameters_are_the_stdlibs(headers):
    # fastparse keeps each part's raw Content-Type / Content-Transfer-Encoding and whether a
    # file name is possible (get_param, get_filename and transfer_encoding skip header scans),
    # and MailView.get_param reads the root's index: all answer as the stdlib does
    from pipeline.mime.view import MailView

    head = "".join(f"{name}: {value}\n" for name, value in headers)
    text = (f"Subject: s\n{head}MIME-Version: 1.0\n\n" if headers else "Subject: s\n\n") + "body\n"
    parsed = parse_email(text.encode())
    plain = email.message_from_string(text)
    assert parsed.get_filename() == plain.get_filename()
    assert parsed.get_boundary() == plain.get_boundary()
    assert parsed.get_content_charset() == plain.get_content_charset()
    for absent in ("", "8bit"):   # an empty header is not an absent one
        assert parsed.transfer_encoding(absent) == str(plain.get("content-transfer-encoding",
                                                                 absent))
    view = MailView.of(parsed)
    for param in ("name", "report-type", "charset", "filename"):
        for header in ("content-type", "content-disposition"):
            assert view.get_param(param, "none", header) == plain.get_param(param, "none", header)


def test_header_memos_are_dropped_when_headers_change_but_not_their_count():
    msg = parse_email(b"Subject: s\nContent-Type: text/plain\n\nbody\n")
    assert msg.get_filename() is None
    del msg["Subject"]
    msg["Content-Disposition"] = "attachment; filename=r.xml"   # same header count as before
    assert msg.get_filename() == "r.xml"
    other = parse_email(b"Subject: s\n\nbody\n")
    other.set_raw("Content-Disposition", "attachment; filename=late.zip")   # a new count
    assert other.get_filename() == "late.zip"
    charset = parse_email(b"Subject: s\nContent-Type: text/plain; charset=utf-8\n\nbody\n")
    assert charset.get_content_charset() == "utf-8"
    del charset["Content-Type"]
    charset["Content-Type"] = "text/plain; charset=koi8-r"   # same count, new value
    assert charset.get_content_charset() == "koi8-r"


def test_walk_parts_is_list_of_walk_including_its_refusals():
    from pipeline.mime.view import walk_parts

    nested = ("Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: text/plain\n\nx\n"
              "--a\nContent-Type: message/rfc822\n\nContent-Type: multipart/alternative; "
              "boundary=b\n\n--b\n\ny\n--b\nContent-Type: text/html\n\n<p>z\n--b--\n--a--\n")
    msg = parse_email(nested.encode())
    assert walk_parts(msg) == list(msg.walk())
    assert [p.get_content_type() for p in walk_parts(msg)] == [
        "multipart/mixed", "text/plain", "message/rfc822", "multipart/alternative",
        "text/plain", "text/html"]
    # a payload item that is no Message: walk() raises, and so must walk_parts
    odd = email.message.Message()
    odd.set_payload([email.message.Message(), "not a part"])
    for walker in (lambda m: list(m.walk()), walk_parts):
        try:
            walker(odd)
        except AttributeError:
            continue
        raise AssertionError("walk() raised but the walker did not")
    # deeper than the flat walk goes: the stdlib's own answer (here, a RecursionError)
    deep = root = email.message.Message()
    for _ in range(5000):
        child = email.message.Message()
        deep.set_payload([child])
        deep = child
    outcomes = []
    for walker in (lambda m: list(m.walk()), walk_parts):
        try:
            outcomes.append(len(walker(root)))
        except RecursionError:
            outcomes.append("RecursionError")
    assert outcomes == ["RecursionError", "RecursionError"]
