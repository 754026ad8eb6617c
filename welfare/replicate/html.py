"""``REPORT.html``: the replication report as one self-contained HTML file.

The report is described once, as a list of blocks (:data:`Block`), by the runner; REPORT.md and
REPORT.html are two renderings of the same blocks, so they have the same sections, tables and
figures in the same order. The HTML file needs nothing beside it: tables are HTML tables built
from :class:`welfare.report.tables.Table` (every cell, title and note HTML-escaped) and figures
are embedded PNGs (``data:image/png;base64,...``, RFC 2397, Masinter 1998, DOI
10.17487/RFC2397). The renderer computes nothing; it is deterministic (the same blocks and the
same PNG bytes give the same HTML bytes).

Block kinds
-----------
``("h1", text)``, ``("h2", text)``
    Headings.
``("banner", [line, ...])``
    The synthetic-data warning (a block quote in markdown, a red box in HTML).
``("p", text)``
    A paragraph.
``("ul", [item, ...])``
    A bullet list.
``("table", Table, files)``
    A table; ``files`` is the stem of its files in ``tables/`` (or None: no file line).
``("figure", relative_path, alt)``
    A PNG under the output folder.

Inline markup in text is the small subset the runner writes: ``**bold**`` and ```code```.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path
from typing import Any

from welfare.errors import ReplicationError
from welfare.report.tables import Table

__all__ = ["render_markdown", "render_html", "Block"]

Block = tuple[Any, ...]

_KINDS = ("h1", "h2", "banner", "p", "ul", "table", "figure")

_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 60rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.45; color: #222; }
h1 { border-bottom: 2px solid #444; }
h2 { border-bottom: 1px solid #bbb; margin-top: 2.5rem; }
h4 { margin-bottom: 0.3rem; }
.banner { border: 2px solid #b22222; background: #fff3f3; padding: 0.6rem 1rem;
          color: #7a1010; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.85rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: center; }
td:first-child, th:first-child { text-align: left; }
.note { font-size: 0.8rem; font-style: italic; margin: 0.1rem 0; }
.files { font-size: 0.8rem; color: #555; }
img { max-width: 100%; }
code { background: #f2f2f2; padding: 0 0.2rem; }
""".strip()


def _check(blocks: list[Block]) -> None:
    for b in blocks:
        if not isinstance(b, tuple) or not b or b[0] not in _KINDS:
            raise ReplicationError(
                f"expected report blocks whose first item is one of {list(_KINDS)}; found {b!r}"
            )


def render_markdown(blocks: list[Block]) -> str:
    """Render blocks as REPORT.md (GitHub-flavoured markdown).

    Parameters
    ----------
    blocks : list of tuple
        Report blocks (see the module docstring).

    Returns
    -------
    str
    """
    _check(blocks)
    lines: list[str] = []
    for b in blocks:
        kind = b[0]
        if kind == "h1":
            lines += [f"# {b[1]}", ""]
        elif kind == "h2":
            lines += [f"## {b[1]}", ""]
        elif kind == "banner":
            lines += [f"> {line}" for line in b[1]] + [""]
        elif kind == "p":
            lines += [b[1], ""]
        elif kind == "ul":
            lines += [f"- {item}" for item in b[1]] + [""]
        elif kind == "table":
            lines.append(b[1].to_markdown())
            if b[2] is not None:
                lines += [f"Files: `tables/{b[2]}.md`, `.tex`, `.csv`", ""]
        else:  # figure
            lines += [f"![{b[2]}]({b[1]})", ""]
    return "\n".join(lines) + "\n"


def _inline(text: str) -> str:
    """HTML-escape ``text``, then turn ```code``` and ``**bold**`` into tags."""
    s = html.escape(str(text), quote=False)
    s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)


def _table_html(table: Table, files: str | None) -> str:
    out = table.to_html()
    if files is not None:
        esc = html.escape
        out += (
            f'\n<p class="files">Files: <code>tables/{esc(files)}.md</code>, <code>.tex</code>, '
            "<code>.csv</code></p>"
        )
    return out


def render_html(
    blocks: list[Block], *, base: str | Path, title: str = "welfare replication report"
) -> str:
    """Render blocks as one self-contained HTML page (tables inline, figures as base64 PNG).

    Parameters
    ----------
    blocks : list of tuple
        Report blocks (see the module docstring).
    base : str or pathlib.Path
        Output folder; figure paths in the blocks are relative to it.
    title : str, default "welfare replication report"
        The page's ``<title>``.

    Returns
    -------
    str

    Raises
    ------
    ReplicationError
        A block of an unknown kind, or a figure that is not a PNG file under ``base``.
    """
    _check(blocks)
    base = Path(base)
    body: list[str] = []
    for b in blocks:
        kind = b[0]
        if kind in ("h1", "h2"):
            body.append(f"<{kind}>{_inline(b[1])}</{kind}>")
        elif kind == "banner":
            body.append('<div class="banner">' + " ".join(_inline(x) for x in b[1]) + "</div>")
        elif kind == "p":
            body.append(f"<p>{_inline(b[1])}</p>")
        elif kind == "ul":
            body.append("<ul>\n" + "\n".join(f"<li>{_inline(x)}</li>" for x in b[1]) + "\n</ul>")
        elif kind == "table":
            body.append(_table_html(b[1], b[2]))
        else:
            path = base / b[1]
            data = path.read_bytes() if path.is_file() else b""
            if not data.startswith(b"\x89PNG\r\n\x1a\n"):
                raise ReplicationError(
                    f"expected a PNG file at {str(path)!r} to embed in REPORT.html; found "
                    + ("no file" if not path.is_file() else "a file that is not a PNG")
                )
            b64 = base64.b64encode(data).decode("ascii")
            body.append(
                f'<figure><img alt="{html.escape(str(b[2]))}" src="data:image/png;base64,{b64}">'
                f"<figcaption><code>{html.escape(str(b[1]))}</code></figcaption></figure>"
            )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{_CSS}\n</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
