"""`make format`: committed notebooks carry no outputs and one stable JSON layout."""

from . import cells, layout


def normalised(nb):
    """The notebook without outputs, execution counts or per-user metadata."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in ("execution", "collapsed", "scrolled", "jp-MarkdownHeadingCollapsed"):
            cell.metadata.pop(key, None)
    nb.metadata.pop("widgets", None)
    return nb


def format_all() -> int:
    for assignment in layout.assignments():
        path = layout.source_notebook(assignment)
        before = path.read_text()
        cells.write(normalised(cells.read(path)), path)
        if path.read_text() != before:
            print(f"  normalised {path.relative_to(layout.ROOT)}")
    return 0
