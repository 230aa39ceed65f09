"""Every page the bad-input sweep reads: the structure the house rules ask of a page.

A cheap static check, no browser: every HTML page (status 200) that the sweep's crawl reads
(tests/core/test_bad_input_sweep.py, signed in as the demo's administrator, following the
links the pages show) is parsed with the standard library's parser, and must have

1. ``<html lang="...">`` and a ``<title>``, neither empty;
2. exactly one ``<h1>``, and no heading level skipped going down (h1 then h3 without an h2
   between; going back up is fine);
3. an accessible name on every ``<input>`` (but hidden, submit, button, reset and image),
   ``<select>`` and ``<textarea>``: a ``<label for>``, a ``<label>`` around it, an
   ``aria-label``, an ``aria-labelledby`` naming ids the page has, or a ``title``;
4. ``id`` values unique on the page;
5. an ``alt`` on every ``<img>``, and a name on every ``<a>`` and ``<button>``: text, an
   ``aria-label``, an ``aria-labelledby`` naming ids the page has, a ``title`` (as axe-core's
   link-name and button-name rules accept), or an ``<img>`` with a non-empty ``alt`` inside.

tests/browser/test_accessibility.py runs axe-core in a browser, on fewer pages.
"""

from __future__ import annotations

import importlib
import pkgutil
from html.parser import HTMLParser

import pytest
from flask_wtf import FlaskForm

import forumapp
from forumapp.core.forms import AppForm

from .test_bad_input_sweep import read_site, sweep_app  # noqa: F401 (a fixture)

UNLABELLED_INPUT_TYPES = {"hidden", "submit", "button", "reset", "image"}
HEADINGS = {f"h{level}": level for level in range(1, 7)}


class StructureParser(HTMLParser):
    """The faults of one page, as ``problems`` once it is fed and closed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.lang: str | None = None
        self.title: list[str] | None = None  # the title's text while it is open or once read
        self._in_title = False
        self.h1s = 0
        self._level = 0
        self.ids: dict[str, int] = {}
        self.label_fors: set[str] = set()
        self._labels = 0  # <label> elements open around the current point
        # Fields with no name of their own: (what, id, ids their aria-labelledby names).
        self._fields: list[tuple[str, str | None, list[str]]] = []
        self._labelledby: list[tuple[str, list[str]]] = []  # (what, ids) to check at the end
        self._named: list[list] = []  # open <a>/<button>: [what, has a name]

    def handle_starttag(self, tag, attrs):
        a = {name: (value if value is not None else "") for name, value in attrs}
        if a.get("id"):
            self.ids[a["id"]] = self.ids.get(a["id"], 0) + 1
        if tag == "html":
            self.lang = a.get("lang", "").strip()
        elif tag == "title":
            self.title, self._in_title = [], True
        elif tag in HEADINGS:
            self._heading(tag)
        elif tag == "label":
            self._labels += 1
            if a.get("for"):
                self.label_fors.add(a["for"])
        elif tag in ("input", "select", "textarea"):
            self._field(tag, a)
        elif tag == "img":
            self._img(a)
        elif tag in ("a", "button"):
            self._named.append([_describe(tag, a), _has_own_name(a)])
            if a.get("aria-labelledby"):
                self._labelledby.append((_describe(tag, a), a["aria-labelledby"].split()))

    def _heading(self, tag: str) -> None:
        level = HEADINGS[tag]
        if level == 1:
            self.h1s += 1
        if level > self._level + 1:
            after = f"h{self._level}" if self._level else "the start of the page"
            self.problems.append(f"<{tag}> after {after}: heading level skipped")
        self._level = level

    def _field(self, tag: str, a: dict) -> None:
        if tag == "input" and (a.get("type") or "text").lower() in UNLABELLED_INPUT_TYPES:
            return
        what = _describe(tag, a)
        if a.get("aria-labelledby"):
            self._labelledby.append((what, a["aria-labelledby"].split()))
        if self._labels or a.get("aria-label", "").strip() or a.get("title", "").strip():
            return
        self._fields.append((what, a.get("id") or None, a.get("aria-labelledby", "").split()))

    def _img(self, a: dict) -> None:
        if "alt" not in a:
            self.problems.append(f"{_describe('img', a)} has no alt attribute")
        elif a["alt"].strip():
            for named in self._named:
                named[1] = True

    def handle_data(self, data):
        if self._in_title and self.title is not None:
            self.title.append(data)
        if data.strip():
            for named in self._named:
                named[1] = True

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        elif tag == "label" and self._labels:
            self._labels -= 1
        elif tag in ("a", "button") and self._named:
            what, has_name = self._named.pop()
            if not has_name:
                self.problems.append(f"{what} has no text, aria-label or image with alt")

    def close(self):
        super().close()
        if not self.lang:
            self.problems.append("<html> has no lang")
        if not "".join(self.title or []).strip():
            self.problems.append("no <title>, or an empty one")
        if self.h1s != 1:
            self.problems.append(f"{self.h1s} <h1> elements, not one")
        for what, ids in self._labelledby:
            if missing := [i for i in ids if i not in self.ids]:
                self.problems.append(f"{what}: aria-labelledby names no element {missing}")
        for what, field_id, labelledby in self._fields:
            if field_id in self.label_fors:
                continue
            if labelledby and all(i in self.ids for i in labelledby):
                continue
            self.problems.append(f"{what} has no label")
        for value, count in self.ids.items():
            if count > 1:
                self.problems.append(f'id="{value}" used {count} times')


def _has_own_name(a: dict) -> bool:
    return any(a.get(name, "").strip() for name in ("aria-label", "aria-labelledby", "title"))


def _describe(tag: str, a: dict) -> str:
    shown = [f'{key}="{a[key]}"' for key in ("id", "name", "type", "href", "src") if a.get(key)]
    return "<" + " ".join([tag, *shown])[:120] + ">"


def page_problems(html: str) -> list[str]:
    parser = StructureParser()
    parser.feed(html)
    parser.close()
    return parser.problems


@pytest.fixture(scope="module")
def pages(sweep_app) -> dict[str, str]:  # noqa: F811 (the fixture imported above)
    """The HTML of every page (status 200, text/html) the sweep's crawl reads, by URL."""
    found: dict[str, str] = {}
    read_site(sweep_app, found)
    return found


def test_the_parser_finds_each_fault():
    good = (
        '<html lang="en"><head><title>T</title></head><body><h1>A</h1><h2>B</h2><h3>C</h3>'
        '<h2>D</h2><label for="n">Name</label><input id="n"><label>Age <input></label>'
        '<input aria-label="x"><span id="l">L</span><select aria-labelledby="l"></select>'
        '<textarea title="t"></textarea><input type="hidden"><img alt="">'
        '<a href="/"><img alt="Home"></a><button aria-label="Close"></button>'
        "<a href='/x'>x</a></body></html>"
    )
    assert page_problems(good) == []
    bad = (
        "<html><head><title> </title></head><body><h1>A</h1><h3>B</h3><h1>C</h1>"
        '<input id="n"><input id="n"><select aria-labelledby="gone"></select><img src="x">'
        '<a href="/"><img alt=""></a><button></button></body></html>'
    )
    assert len(page_problems(bad)) == 12, page_problems(bad)


def test_every_page_has_a_sound_structure(pages):
    assert len(pages) > 100, f"the crawl read only {len(pages)} pages"
    faults = [f"{url}: {problem}" for url, html in pages.items() for problem in page_problems(html)]
    assert not faults, f"{len(faults)} fault(s) on {len(pages)} pages:\n" + "\n".join(faults)


def test_every_form_renders_its_csrf_token_without_an_id():
    """A page with several forms would repeat the token's id; the crawl only sees the pages
    the demo's state shows, so every form class is held to it here."""
    for module in pkgutil.walk_packages(forumapp.__path__, "forumapp."):
        if module.name != "forumapp.wsgi":  # builds the production app on import
            importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [form for form in subclasses(FlaskForm) if form.__module__.startswith("forumapp.")]
    assert len(ours) > 50
    assert [form.__qualname__ for form in ours if not issubclass(form, AppForm)] == []
