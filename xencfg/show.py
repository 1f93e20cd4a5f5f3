"""``xencfg parse``: the tree of a document, as text or JSON."""

from __future__ import annotations

from .document import Document, List, Node, Opaque, Scalar, Setting, Str


def node_json(doc: Document, node: Node) -> dict:
    line, col = doc.line_col(node.start)
    d: dict = {"kind": node.kind, "line": line, "col": col}
    d["start"], d["end"] = node.start, node.end
    if isinstance(node, Str):
        d["value"], d["quote"] = node.value, node.quote
    elif isinstance(node, Scalar):
        d["value"] = node.value
    elif isinstance(node, Opaque):
        d["reason"], d["text"] = node.reason, doc.raw(node)
    elif isinstance(node, Setting):
        d["key"], d["op"] = node.key, node.op
        if node.conditional:
            d["conditional"] = True
        if node.value is not None:
            d["value"] = node_json(doc, node.value)
    if isinstance(node, (List, Opaque)) and node.children:
        d["items"] = [node_json(doc, k) for k in node.children]
    return d


def tree_json(doc: Document) -> dict:
    return {
        "path": doc.path,
        "format": doc.fmt,
        "body": [node_json(doc, n) for n in doc.body],
        "notes": [{"line": line, "message": m} for line, m in doc.notes],
    }


def tree_text(doc: Document) -> str:
    lines = [f"# {doc.path}: {doc.fmt}"]

    def show(node: Node, depth: int) -> None:
        line, col = doc.line_col(node.start)
        pad = "  " * depth
        where = f"{line}:{col}"
        if isinstance(node, Setting):
            cond = " (conditional)" if node.conditional else ""
            lines.append(f"{where:>8} {pad}{node.key} {node.op}{cond}")
            if node.value is not None:
                show(node.value, depth + 1)
        elif isinstance(node, Str):
            lines.append(f"{where:>8} {pad}str {node.value!r}")
        elif isinstance(node, Scalar):
            lines.append(f"{where:>8} {pad}{node.value}")
        elif isinstance(node, Opaque):
            lines.append(f"{where:>8} {pad}computed ({node.reason}): {doc.raw(node)!r}")
        elif isinstance(node, List):
            lines.append(f"{where:>8} {pad}list")
            for item in node.items:
                show(item, depth + 1)

    for n in doc.body:
        show(n, 0)
    return "\n".join(lines) + "\n"
