"""Read a built MkDocs site: its pages, and the ids and links of each page (standard-library HTML parser)."""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

LINK_ATTRIBUTES = {("a", "href"), ("link", "href"), ("script", "src"), ("img", "src"), ("source", "src")}


@dataclass
class ParsedPage:
    lang: str | None = None
    ids: set[str] = field(default_factory=set)
    links: list[str] = field(default_factory=list)


class _PageParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page = ParsedPage()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.page.lang = attributes.get("lang")
        if attributes.get("id"):
            self.page.ids.add(attributes["id"])
        if tag == "a" and attributes.get("name"):
            self.page.ids.add(attributes["name"])
        for link_tag, attribute in LINK_ATTRIBUTES:
            if tag == link_tag and attributes.get(attribute):
                self.page.links.append(attributes[attribute])


def parse_page(path: Path) -> ParsedPage:
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.page


def content_pages(site_dir: Path, prefix: str = "") -> list[str]:
    """Relative paths ('glossary/index.html') of a language's pages; prefix '' is English, 'zh-TW/' Chinese."""
    base = site_dir / prefix
    pages = []
    for path in base.rglob("index.html"):
        relative = path.relative_to(base).as_posix()
        top = relative.split("/", 1)[0]
        if top in {"assets", "search"} or (prefix == "" and top == "zh-TW"):
            continue
        pages.append(relative)
    return sorted(pages)
