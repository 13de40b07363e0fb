#!/usr/bin/env python3
"""Checks a generated results site (tools/results_site.py) as a reader's
browser would need it: every page well-formed, every internal link
resolving to a page and, with a #fragment, to an element of it, and nothing
fetched or linked from outside the site (no http:, https:, protocol-relative
or file: URL), so it reads offline.

    python3 tools/site_check.py SITE_DIR

Exit status 0 and one summary line when it holds; 1 and one line per
problem otherwise. Python 3 standard library only.
"""

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

# Elements with no end tag (HTML's void elements).
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# SVG elements the generator writes self-closed (<rect/>, <line/>).
SELF_CLOSING_ALLOWED = {"rect", "line", "path", "circle"}
URL_ATTRIBUTES = {"href", "src", "action", "xlink:href", "srcset", "poster", "data"}


class Page(HTMLParser):
    """One page's structure: its ids, its URLs, and its nesting problems."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open = []
        self.ids = set()
        self.urls = []
        self.problems = []
        self.has_doctype = False

    def handle_decl(self, decl):
        self.has_doctype |= decl.lower() == "doctype html"

    def handle_starttag(self, tag, attrs):
        self.note(tag, attrs)
        if tag not in VOID:
            self.open.append((tag, self.getpos()[0]))

    def handle_startendtag(self, tag, attrs):
        self.note(tag, attrs)
        if tag not in VOID and tag not in SELF_CLOSING_ALLOWED:
            self.problems.append(f"line {self.getpos()[0]}: <{tag}/> is not a void element")

    def handle_endtag(self, tag):
        if not self.open or self.open[-1][0] != tag:
            expected = f"</{self.open[-1][0]}> (opened line {self.open[-1][1]})" if self.open else "nothing"
            self.problems.append(f"line {self.getpos()[0]}: </{tag}> where {expected} closes")
            return
        self.open.pop()

    def note(self, tag, attrs):
        for name, value in attrs:
            if name == "id":
                if value in self.ids:
                    self.problems.append(f"line {self.getpos()[0]}: id {value!r} twice")
                self.ids.add(value)
            elif name in URL_ATTRIBUTES and value is not None:
                self.urls.append((self.getpos()[0], value))

    def finish(self):
        self.close()
        self.problems += [f"<{tag}> opened line {line} never closed" for tag, line in self.open]
        if not self.has_doctype:
            self.problems.append("no <!DOCTYPE html>")


def parse(path):
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.finish()
    return page


def problems(site_dir):
    """Every problem of the site, as 'page: what'."""
    site_dir = Path(site_dir).resolve()
    pages = {path: parse(path) for path in sorted(site_dir.rglob("*.html"))}
    found = []
    if site_dir / "index.html" not in pages:
        found.append("index.html: missing")
    for path, page in pages.items():
        name = path.relative_to(site_dir)
        found += [f"{name}: {problem}" for problem in page.problems]
        for line, url in page.urls:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc:
                found.append(f"{name}: line {line}: external URL {url}")
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target not in pages:
                found.append(f"{name}: line {line}: {url} leads to no page of the site")
            elif parts.fragment and unquote(parts.fragment) not in pages[target].ids:
                found.append(f"{name}: line {line}: {url} names no element of {target.relative_to(site_dir)}")
    return found, len(pages)


def main(argv):
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    found, count = problems(argv[0])
    for problem in found:
        print(problem)
    if found:
        return 1
    print(f"site_check: {count} pages well-formed, every internal link resolves, no external URL")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
