# SPDX-License-Identifier: MIT
# Checks the DOM of modelrun's docs page as a browser built it
# (chromium --headless --dump-dom), against what the project holds:
#
#   docsdom.py DOM MANIFEST DQCHECK_JSON ESCAPED_TEXT
#
# - every model, seed and source of the manifest has its section, and
#   every test dqcheck ran has its row, with its verdict;
# - every internal link (href="#id", in the page and in the SVG) names an
#   element that exists, and the SVG links every node of the graph;
# - nothing is fetched from elsewhere (no src, no external href, no
#   <link>), and the only <script> is the page's own;
# - ESCAPED_TEXT (a description holding markup) is shown as text.
# Prints what is wrong, one line each, and exits 1; prints a summary and
# exits 0 when all holds.
import json
import sys
from html.parser import HTMLParser


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.links = []        # (href, in_svg)
        self.svg_links = []
        self.external = []
        self.scripts = 0
        self.svgs = 0
        self.stack = []
        self.text = []
        self.rows = {}         # test row id -> its text
        self.row = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.stack.append(tag)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "svg":
            self.svgs += 1
        if tag == "script":
            self.scripts += 1
            if "src" in a:
                self.external.append("script src=" + a["src"])
        if tag == "link":
            self.external.append("link " + str(a))
        if "src" in a:
            self.external.append(tag + " src=" + a["src"])
        in_svg = "svg" in self.stack
        for k in ("href", "xlink:href"):
            if k in a:
                h = a[k]
                if not h.startswith("#"):
                    self.external.append(tag + " " + k + "=" + h)
                elif in_svg:
                    self.svg_links.append(h)
                else:
                    self.links.append(h)
        if tag == "tr" and a.get("id", "").startswith("test-"):
            self.row = a["id"]
            self.rows[self.row] = ""

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop() == tag:
                break
        if tag == "tr":
            self.row = None

    def handle_data(self, data):
        self.text.append(data)
        if self.row:
            self.rows[self.row] += data


def anchor(kind, name):
    out = kind + "-"
    for ch in name.encode():
        c = chr(ch)
        out += c if (c.isascii() and (c.isalnum() or c in "._-")) else "~%02X" % ch
    return out


def main():
    dom, manifest, dqjson, escaped = sys.argv[1:5]
    p = Page()
    p.feed(open(dom, encoding="utf-8").read())
    m = json.load(open(manifest))
    dq = json.load(open(dqjson))
    bad = []
    want = []
    drawn = []  # the lineage draws models, seeds and sources; tests are rows of their own
    for n in m["nodes"].values():
        want.append(anchor(n["resource_type"], n["name"]))
        if n["resource_type"] != "test":
            drawn.append(want[-1])
    for s in m["sources"].values():
        want.append(anchor("source", s["source_name"] + "." + s["name"]))
        drawn.append(want[-1])
    for w in want:
        if w not in p.ids:
            bad.append("no section with id " + w)
    for r in dq["results"]:
        rid = anchor("test", r["name"])
        if rid not in p.rows:
            bad.append("no row for test " + r["name"])
        elif r["status"] not in p.rows[rid]:
            bad.append("test %s: its verdict %s is not shown" % (r["name"], r["status"]))
    for h in p.links + p.svg_links:
        if h[1:] not in p.ids:
            bad.append("link %s leads nowhere" % h)
    if p.svgs != 1:
        bad.append("%d svg elements, not 1" % p.svgs)
    if sorted(h[1:] for h in p.svg_links) != sorted(drawn):
        bad.append("the picture links %s, not every node %s" % (sorted(p.svg_links), sorted(drawn)))
    if p.external:
        bad.append("fetches from elsewhere: " + "; ".join(p.external))
    if p.scripts != 1:
        bad.append("%d script elements, not the page's one" % p.scripts)
    if escaped not in "".join(p.text):
        bad.append("the text %r is not shown as text" % escaped)
    for b in bad:
        print(b)
    if bad:
        return 1
    print("ok: %d sections, %d tests, %d links, %d picture links" %
          (len(want), len(dq["results"]), len(p.links), len(p.svg_links)))
    return 0


sys.exit(main())
