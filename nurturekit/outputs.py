"""Pure encoders for what leaves the site: mailto links, .eml drafts, the .ics calendar, safe Markdown."""
from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

from markdown_it import MarkdownIt

MAILTO_LIMIT = 1800
SAFE_SCHEMES = ("http://", "https://", "mailto:", "tel:")


def mailto(to, subject, body, bcc=()) -> str | None:
    """An RFC 6068 mailto: URI, or None when it would pass about 1,800 characters."""
    addrs = ",".join(quote(e, safe="@") for _, e in to if e)
    params = []
    if bcc:
        params.append("bcc=" + ",".join(quote(e, safe="@") for _, e in bcc if e))
    params.append("subject=" + quote(subject, safe=""))
    params.append("body=" + quote(body.replace("\r\n", "\n").replace("\n", "\r\n"), safe=""))
    uri = f"mailto:{addrs}?" + "&".join(params)
    return uri if len(uri) <= MAILTO_LIMIT else None


def _header(value: str, name: str = "To") -> str:
    """A header value: as is when ASCII, else RFC 2047 encoded words folded to 76 columns."""
    if value.isascii():
        return value
    from email.header import Header
    return Header(value, "utf-8", header_name=name).encode(linesep="\r\n")


def _addr(name, mail):
    mail = (mail or "").strip()
    user, _, domain = mail.partition("@")
    if not user or not domain or any(c in mail for c in ' <>(),;:"\\\r\n'):
        return None
    name = (name or "").replace("\\", "").replace('"', "").replace("\r", " ").replace("\n", " ").strip()
    if not name:
        return mail
    shown = _header(name) if not name.isascii() else (f'"{name}"' if any(c in name for c in '()<>[]:;@,."') else name)
    return f"{shown} <{mail}>"


def eml(sender, to, subject, body, bcc=()) -> bytes:
    """A draft message that mail clients open for editing (Outlook honours X-Unsent)."""
    import quopri
    headers = []
    frm = _addr(*sender)
    if frm:
        headers.append(f"From: {frm}")
    tos = [a for a in (_addr(n, e) for n, e in to) if a]
    if tos:
        headers.append("To: " + ",\r\n ".join(tos))
    bccs = [a for a in (_addr(n, e) for n, e in bcc) if a]
    if bccs:
        headers.append("Bcc: " + ",\r\n ".join(bccs))
    headers += [f"Subject: {_header(subject.replace(chr(13), ' ').replace(chr(10), ' '), 'Subject')}", "X-Unsent: 1",
                "MIME-Version: 1.0", 'Content-Type: text/plain; charset="utf-8"',
                "Content-Transfer-Encoding: quoted-printable"]
    text = body.replace("\r\n", "\n").replace("\n", "\r\n")
    encoded = quopri.encodestring(text.encode("utf-8")).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return ("\r\n".join(headers) + "\r\n\r\n").encode("ascii") + encoded


def _ics_text(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 character."""
    if line.isascii():   # one byte per character: plain slices
        if len(line) <= 75:
            return line
        return "\r\n ".join([line[:75]] + [line[i:i + 74] for i in range(75, len(line), 74)])
    if len(line.encode("utf-8")) <= 75:
        return line
    out, current = [], b""
    for ch in line:
        enc = ch.encode("utf-8")
        limit = 75 if not out else 74
        if len(current) + len(enc) > limit:
            out.append(current.decode("utf-8"))
            current = b""
        current += enc
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def ics(events, now: datetime, name: str) -> bytes:
    """events: dicts with uid, start (date), end (date, exclusive), summary, description."""
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//nurturekit//referral nurture calendar//EN",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", f"X-WR-CALNAME:{_ics_text(name)}"]
    for e in events:
        end = e["end"] if e["end"] > e["start"] else e["start"] + timedelta(days=1)
        lines += ["BEGIN:VEVENT", f"UID:{e['uid']}", f"DTSTAMP:{stamp}",
                  f"DTSTART;VALUE=DATE:{e['start'].strftime('%Y%m%d')}",
                  f"DTEND;VALUE=DATE:{end.strftime('%Y%m%d')}",
                  f"SUMMARY:{_ics_text(e['summary'])}", f"DESCRIPTION:{_ics_text(e['description'])}",
                  "TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(x) for x in lines) + "\r\n").encode("utf-8")


def _markdown():
    md = MarkdownIt("commonmark", {"html": False, "linkify": False})
    default_validate = md.validateLink

    def validate(url: str) -> bool:
        return url.strip().lower().startswith(SAFE_SCHEMES) and default_validate(url)

    md.validateLink = validate
    return md


_MD = _markdown()


def markdown(text: str) -> str:
    """Markdown notes as inert HTML: raw HTML is shown as text, only http(s)/mailto/tel links."""
    return _MD.render(text or "")


def safe_url(url: str | None, scheme: str | None = None) -> str | None:
    if not url:
        return None
    url = url.strip()
    if scheme == "mailto":
        return "mailto:" + quote(url, safe="@.+-_") if "@" in url and ":" not in url else None
    if scheme == "tel":
        digits = "".join(ch for ch in url if ch.isdigit() or ch == "+")
        return f"tel:{digits}" if digits else None
    return url if url.lower().startswith(("http://", "https://")) else None
