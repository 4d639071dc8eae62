"""Text safe inside Markdown: the one escaping function every Markdown writer uses (score report and rectification
templates through the ``md`` / ``md_lines`` filters, ``diff --format md``, the package README of ``init``).

Evidence text must never become markup. ``md_text`` makes any text inert in CommonMark and GitHub-flavoured
Markdown, in a table cell, a list item, a heading or a paragraph:

- line breaks (``\\r``, ``\\n``, vertical tab, form feed, NEL, U+2028/2029) become spaces: no new block, heading,
  table row or list item can start;
- ``\\`` `` ` `` ``*`` ``_`` ``[`` ``]`` ``|`` ``~`` ``!`` ``#`` ``$`` are backslash-escaped (CommonMark: an escaped ASCII
  punctuation character is literal): no link, image, reference, code span, emphasis, strikethrough, table break;
- ``&``, ``<``, ``>`` become entities: no raw HTML, autolink (``<http://…>``) or entity smuggling (``&#60;``);
- the pieces a bare-URL autolinker (GFM extended autolinks, linkify) looks for are escaped: ``:`` after http, https,
  ftp, mailto (``http\\://``), ``.`` after www and before a common or two-letter top-level domain (``evil\\.com``,
  ``gov\\.cn``), ``@`` and the second ``/`` of ``//`` (a protocol-relative link); ordinary text such as ``94.74%``, ``10:00``, ``files/方案.docx`` is left as it is;
- leading blanks are dropped (four would start a code block) and a leading ``-``, ``+`` or ``=`` (list item,
  setext underline) is escaped.

The result is inline text: writers place it after a table pipe, a heading marker or list bullet and their own
words, never as the first thing on a line (so ``22. 合法性审核率`` keeps its plain form instead of ``22\\.``).

Imports nothing of the project (a foundation: any layer may use it).
"""

from __future__ import annotations

import re

_BREAKS = re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]")
_PUNCT = re.compile(r"[\\`*_\[\]|~!#$]")
# what bare-URL autolinkers look for (GFM: http(s)://, www., e-mail; linkify: also ftp:, mailto:, domain.tld with a
# common or two-letter top-level domain): the ``:`` after such a scheme, the ``.`` before such a TLD or after www, ``@``
_LINKY = re.compile(r"(?i)(?:(?<=http)|(?<=https)|(?<=ftp)|(?<=ftps)|(?<=mailto)):|(?<=www)\."
                    r"|\.(?=(?:com|net|org|edu|gov|mil|int|info|biz|pro|name|aero|asia|coop|museum|shop|xxx|web"
                    r"|[a-z]{2})(?![a-z0-9-]))|@|(?<=/)/")
_LEADING = re.compile(r"^[-+=]")


def md_text(value) -> str:
    """``value`` as inert Markdown text on one line (``None`` gives an empty string)."""
    text = "" if value is None else str(value)
    text = _BREAKS.sub(" ", text)
    text = _PUNCT.sub(lambda m: "\\" + m.group(), text)
    text = _LINKY.sub(lambda m: "\\" + m.group(), text)
    text = _LEADING.sub(lambda m: "\\" + m.group(), text.lstrip(" \t"), count=1)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def md_lines(value) -> str:
    """Multi-line text in one table cell: each line escaped by ``md_text``, joined with ``<br>``."""
    return "<br>".join(md_text(line) for line in ("" if value is None else str(value)).splitlines() or [""])
