"""Markdown bodies to sanitised HTML and to plain text.

Images are dropped entirely: a remotely loaded image is a tracking pixel whether meant as one
or not (§2.3: no profiling). Links keep their own target; nothing is rewritten or redirected.
"""

import html
import re
from html.parser import HTMLParser

import markdown
import nh3

ALLOWED_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote",
    "h1", "h2", "h3", "h4", "code", "pre", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_SCHEMES = {"https", "http", "mailto"}


def markdown_to_html(source: str) -> str:
    """Markdown to HTML with only harmless tags, no images, no scripts, no styles."""
    raw = markdown.markdown(source, extensions=["tables", "sane_lists"], output_format="html")
    return nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


class _TextWriter(HTMLParser):
    """Turns the sanitised HTML into readable plain text; a link shows its target."""

    BLOCKS = {"p", "ul", "ol", "blockquote", "pre", "table", "h1", "h2", "h3", "h4", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.href: str | None = None
        self.link_text: list[str] = []
        self.heading: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self.parts.append("\n\n")
        if tag == "li":
            self.parts.append("\n- ")
        elif tag == "br" or tag == "tr":
            self.parts.append("\n")
        elif tag == "hr":
            self.parts.append("----------")
        elif tag == "a":
            self.href = dict(attrs).get("href")
            self.link_text = []
        elif tag in {"h1", "h2", "h3", "h4"}:
            self.heading = tag

    def handle_endtag(self, tag):
        if tag == "a" and self.href is not None:
            text = "".join(self.link_text).strip()
            href = self.href.removeprefix("mailto:")
            self.parts.append(text if text == href else f"{text} <{href}>")
            self.href = None
        elif tag == self.heading:
            line = self.parts[-1] if self.parts else ""
            underline = "=" if tag == "h1" else "-"
            self.parts.append("\n" + underline * len(line.strip()))
            self.heading = None
        elif tag in {"td", "th"}:
            self.parts.append("  ")

    def handle_data(self, data):
        if "\n" in data and not data.strip():
            return  # layout whitespace between tags
        if self.href is not None:
            self.link_text.append(data)
        else:
            self.parts.append(data)

    def text(self) -> str:
        joined = "".join(self.parts)
        joined = re.sub(r"[ \t]+\n", "\n", joined)
        return re.sub(r"\n{3,}", "\n\n", joined).strip() + "\n"


def html_to_text(markup: str) -> str:
    writer = _TextWriter()
    writer.feed(markup)
    writer.close()
    return html.unescape(writer.text())


def markdown_to_text(source: str) -> str:
    return html_to_text(markdown_to_html(source))
