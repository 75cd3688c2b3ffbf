"""Sphinx configuration for skreg's documentation.

The build is offline: no intersphinx inventories are downloaded and the theme is configured without
external resources. Build with ``make -C doc html`` (warnings are errors).
"""

import os
import re
import sys
from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import make_refnode

DOC_DIR = Path(__file__).resolve().parent
REPO_ROOT = DOC_DIR.parent

# Document the working tree even when skreg is not installed.
sys.path.insert(0, str(REPO_ROOT))

# Never open windows while executing the gallery.
os.environ.setdefault("MPLBACKEND", "Agg")

import skreg

# -- Project information -------------------------------------------------------------------------

project = "skreg"
author = "skreg developers"
copyright = "skreg developers"
release = skreg.__version__
version = ".".join(release.split(".")[:2])

# -- General configuration -----------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
root_doc = "index"
default_role = "literal"
nitpicky = False

# autodoc / autosummary
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"

# numpydoc: the class template lists members itself; do not let numpydoc add a second toctree.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
# Types are rendered as text: numpydoc's type cross-references point into the Python and numpy
# inventories, which an offline build does not have.
numpydoc_xref_param_type = False

# intersphinx is enabled for `:external:` style roles but deliberately has NO mapping: the build
# must not touch the network (CI and developer machines are offline except for package indexes).
intersphinx_mapping = {}
intersphinx_disabled_reftypes = ["*"]

# MathJax is loaded by the browser when a page is viewed; building needs no network.

# -- sphinx-gallery ------------------------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("skreg",),
    "reference_url": {"skreg": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "plot_gallery": "True",
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "show_memory": False,
    "min_reported_time": 1,
}

# -- HTML output ---------------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skreg {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "navbar_align": "left",
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"index": [], "getting_started": [], "benchmarks": []}
html_static_path = []
html_show_sourcelink = False


# -- Benchmark results ---------------------------------------------------------------------------


def _table_node(rows):
    """Build a docutils table from a list of rows of cell strings (first row is the header)."""
    n_cols = max(len(row) for row in rows)
    rows = [row + [""] * (n_cols - len(row)) for row in rows]
    table = nodes.table(classes=["benchmark-results"])
    tgroup = nodes.tgroup(cols=n_cols)
    table += tgroup
    for _ in range(n_cols):
        tgroup += nodes.colspec(colwidth=1)

    def make_row(cells):
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            entry += nodes.paragraph(text=cell)
            row += entry
        return row

    thead = nodes.thead()
    thead += make_row(rows[0])
    tgroup += thead
    tbody = nodes.tbody()
    for cells in rows[1:]:
        tbody += make_row(cells)
    tgroup += tbody
    return table


_SEPARATOR_ROW = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _split_row(line):
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|"):
        line = line[:-1]
    return [cell.strip().replace("`", "") for cell in line.split("|")]


def markdown_to_nodes(text):
    """Render a benchmark results markdown file (headings, pipe tables, text) as docutils nodes.

    Only the small markdown subset that ``benchmarks/`` writes is understood; everything is
    inserted as plain text (never parsed as reStructuredText), so the file cannot break the build.
    """
    out = []
    lines = text.splitlines()
    i = 0
    paragraph = []

    def flush_paragraph():
        if paragraph:
            out.append(nodes.paragraph(text=" ".join(paragraph)))
            paragraph.clear()

    while i < len(lines):
        line = lines[i].rstrip()
        stripped = line.strip()
        if not stripped:
            flush_paragraph()
            i += 1
        elif stripped.startswith("#"):
            flush_paragraph()
            out.append(nodes.rubric(text=stripped.lstrip("#").strip()))
            i += 1
        elif (
            stripped.startswith("|")
            and i + 1 < len(lines)
            and _SEPARATOR_ROW.match(lines[i + 1].strip())
        ):
            flush_paragraph()
            rows = [_split_row(stripped)]
            i += 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append(_split_row(lines[i]))
                i += 1
            out.append(_table_node(rows))
        elif stripped.startswith("```"):
            flush_paragraph()
            block = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                block.append(lines[i])
                i += 1
            i += 1
            out.append(nodes.literal_block(text="\n".join(block)))
        else:
            paragraph.append(stripped)
            i += 1
    flush_paragraph()
    return out


class BenchmarkResults(SphinxDirective):
    """``.. benchmark-results:: path/to/results.md`` (path relative to the repository root).

    Renders the markdown table written by a benchmark script, and the plot next to it
    (``results.png``) if there is one. When the file does not exist yet, renders a short note
    instead of failing the build.
    """

    required_arguments = 1
    optional_arguments = 0
    has_content = False

    def run(self):
        rel = self.arguments[0]
        path = REPO_ROOT / rel
        # Recorded even when missing: Sphinx then rereads the page until the file appears.
        self.env.note_dependency(str(path))
        if not path.is_file():
            return [
                nodes.paragraph(
                    text=f"No results yet: {rel} is written when the benchmark script is run."
                )
            ]
        result = markdown_to_nodes(path.read_text(encoding="utf-8"))
        image = path.with_suffix(".png")
        self.env.note_dependency(str(image))  # a plot written later is picked up too
        if image.is_file():
            # URIs of images are relative to the current document's directory.
            docdir = (DOC_DIR / self.env.docname).parent
            uri = os.path.relpath(image, docdir).replace(os.sep, "/")
            result.append(nodes.image(uri=uri, alt=f"plot of {rel}", candidates={}))
        return result


# -- autodoc filtering ---------------------------------------------------------------------------

_METADATA_REQUEST = re.compile(r"^set_\w+_request$")


def skip_member(app, what, name, obj, skip, options):
    """Hide scikit-learn plumbing that is not part of skreg's API documentation.

    ``set_{method}_request`` methods are generated by scikit-learn's metadata routing and their
    docstrings link to scikit-learn's own user guide, which does not exist in this build.
    """
    if _METADATA_REQUEST.match(name) or name == "__sklearn_tags__":
        return True
    return skip


def resolve_sklearn_labels(app, env, node, contnode):
    """Render cross-references inside inherited scikit-learn docstrings as plain text.

    Methods inherited from scikit-learn (``score``, ``get_metadata_routing``...) link to labels of
    scikit-learn's user guide. Without network access there is no inventory to resolve them, so
    they are shown as text instead of failing the build. References in skreg's own docstrings and
    pages are still checked.
    """
    if node.get("refdomain") == "std" and "docstring of sklearn." in (node.source or ""):
        return contnode
    return None


# A numpydoc parameter/attribute line: "name : type" (the name may be "*args" or "a, b").
_PARAM_LINE = re.compile(r"^(\s*[\w*][\w*, ]*\s:\s)(.+)$")
# A word ending in "_" (n_features_in_) that reST would read as a hyperlink reference.
_TRAILING_UNDERSCORE = re.compile(r"\b(\w*[A-Za-z0-9])_(?![\w`])")


def escape_type_underscores(app, what, name, obj, options, lines):
    """Escape trailing underscores in parameter types, e.g. ``ndarray of shape (n_features_in_,)``.

    scikit-learn-style types name fitted attributes; numpydoc copies the type into reST verbatim,
    where ``n_features_in_`` would be an (undefined) hyperlink reference. Text between backticks
    is left alone.
    """
    for i, line in enumerate(lines):
        match = _PARAM_LINE.match(line)
        if match is None or "`" in match.group(2):
            continue
        lines[i] = match.group(1) + _TRAILING_UNDERSCORE.sub(r"\1\\_", match.group(2))


def resolve_skreg_aliases(app, env, node, contnode):
    """Resolve references to skreg objects under another of their public names.

    Estimators are documented once, under the name the API reference lists (``skreg.WeightedOMP``),
    but docstrings also name them through their subpackage (``skreg.greedy.WeightedOMP``) or
    bare, relative to the module that defines them (``weighted_omp`` in a See Also section of
    ``skreg.greedy``). A reference that the Python domain cannot resolve is linked to the
    documented skreg object with the same final name: the only one, or else the one of the
    module the reference is written in.
    """
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    if not (target.startswith("skreg.") or "." not in target):
        return None
    name = target.rsplit(".", 1)[-1]
    domain = env.get_domain("py")
    matches = [
        (full, entry)
        for full, entry in domain.objects.items()
        if full.startswith("skreg.") and full.rsplit(".", 1)[-1] == name
        and entry.objtype != "module" and not entry.aliased
    ]
    if len(matches) > 1:  # prefer the object of the module the reference is written in
        module = node.get("py:module") or ""
        matches = [(full, entry) for full, entry in matches if full == f"{module}.{name}"]
    if len(matches) != 1:
        return None
    full, entry = matches[0]
    return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, full)


def setup(app):
    app.add_directive("benchmark-results", BenchmarkResults)
    # Before numpydoc (priority 500) turns the docstring into reST.
    app.connect("autodoc-process-docstring", escape_type_underscores, priority=100)
    app.connect("autodoc-skip-member", skip_member)
    app.connect("missing-reference", resolve_sklearn_labels)
    app.connect("missing-reference", resolve_skreg_aliases)
