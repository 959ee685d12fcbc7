"""Markdown bodies to sanitised HTML and to plain text.

Images are dropped entirely: a remotely loaded image is a tracking pixel whether meant as one
or not (§2.3: no profiling). Links keep their own target; nothing is rewritten or redirected.
"""

import html
import re
from html.parser import HTMLParser

import markdown
import nh3
from django.utils.translation import gettext_lazy as _

ALLOWED_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote",
    "h1", "h2", "h3", "h4", "code", "pre", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_SCHEMES = {"https", "http", "mailto"}


def _markdown(source: str) -> str:
    return markdown.markdown(source, extensions=["tables", "sane_lists"], output_format="html")


def markdown_to_html(source: str) -> str:
    """Markdown to HTML with only harmless tags, no images, no scripts, no styles."""
    return nh3.clean(
        _markdown(source),
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


# What cleaning removed, in words for the preview -------------------------------------------

REMOVED_TAGS = {
    "img": _("Bilder"),
    "picture": _("Bilder"),
    "svg": _("Grafiken (SVG)"),
    "script": _("Skripte"),
    "style": _("Stilangaben (CSS)"),
    "iframe": _("eingebettete Inhalte (iframe, Video, Formular)"),
    "object": _("eingebettete Inhalte (iframe, Video, Formular)"),
    "embed": _("eingebettete Inhalte (iframe, Video, Formular)"),
    "video": _("eingebettete Inhalte (iframe, Video, Formular)"),
    "audio": _("eingebettete Inhalte (iframe, Video, Formular)"),
    "form": _("eingebettete Inhalte (iframe, Video, Formular)"),
    "input": _("eingebettete Inhalte (iframe, Video, Formular)"),
}


class _Inventory(HTMLParser):
    """What the raw HTML contains that cleaning drops: tags, attributes and unsafe links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def note(self, what) -> None:
        if what not in self.found:
            self.found.append(what)

    def handle_starttag(self, tag, attrs):
        if tag in REMOVED_TAGS:
            self.note(REMOVED_TAGS[tag])
        elif tag not in ALLOWED_TAGS:
            self.note(_("HTML-Elemente (<%(tag)s>)") % {"tag": tag})
        allowed = ALLOWED_ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            if name.startswith("on"):
                self.note(_("Skripte"))
            elif name == "style":
                self.note(_("Stilangaben (CSS)"))
            elif tag in ALLOWED_TAGS and name not in allowed:
                self.note(_("HTML-Attribute (%(name)s)") % {"name": name})
            elif name == "href" and value:
                scheme = value.split(":", 1)[0].lower() if ":" in value else ""
                if scheme and scheme not in ALLOWED_SCHEMES and "/" not in scheme:
                    self.note(_("Links mit „%(scheme)s:“") % {"scheme": scheme})

    def handle_comment(self, data):
        self.note(_("HTML-Kommentare"))


def cleaning_removed(source: str) -> list[str]:
    """What cleaning removes from ``source`` (Markdown with any inline HTML), in words."""
    inventory = _Inventory()
    inventory.feed(_markdown(source))
    inventory.close()
    return [str(item) for item in inventory.found]
