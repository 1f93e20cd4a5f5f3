"""What the fast xm reader (``xm_ast``) knows before and around CPython's
ast: which texts it leaves to libcst unread, which statements set
variables, which hold blocks, which are trivia, and how an expression xm
would compute is named in words (libcst's words, as ``xm_cst`` words
them)."""

from __future__ import annotations

import ast

from xencfg.formats.xm_lines import declined_text  # noqa: F401 (one place)

# Statements whose shape is known: settings come from the first four, the
# bodies of the compound ones are read as conditional, the rest are trivia.
SMALL = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr)
TRIVIA = tuple(
    getattr(ast, n)
    for n in "Pass Import ImportFrom Global Nonlocal Delete Return Break Continue "
    "Raise Assert".split()
)
COMPOUND = tuple(
    getattr(ast, n)
    for n in "If For AsyncFor While Try With AsyncWith FunctionDef "
    "AsyncFunctionDef".split()
)

_BINOPS = {
    getattr(ast, n): op
    for n, op in zip(
        "Add Sub Mult Div FloorDiv Mod Pow MatMult BitOr BitAnd BitXor LShift "
        "RShift".split(),
        "+ - * / // % ** @ | & ^ << >>".split(),
    )
}

# What else xm would compute, in libcst's words (xm._REASONS).
_REASONS = {
    ast.Call: "a function call",
    ast.Subscript: "a subscript",
    ast.IfExp: "a conditional expression",
    ast.Dict: "a dict",
    ast.DictComp: "a dict",
    ast.Set: "a set",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.Lambda: "a lambda",
    ast.Compare: "a comparison",
    ast.BoolOp: "an 'and'/'or' expression",
    ast.UnaryOp: "an operator expression",
    ast.Starred: "'*' unpacking",
}
# Expressions whose ast span differs from libcst's, or that libcst may read
# otherwise: left to libcst.
UNSURE = (ast.GeneratorExp, ast.JoinedStr, ast.Await, ast.Yield, ast.YieldFrom)
NUMBER = (int, float, complex)


def binop_reason(op: str) -> str:
    """A computed value's reason in words, for the binary operator ``op``
    (both xm readers word it so)."""
    if op == "%":
        return "'%' formatting"
    if op == "+":
        return "'+' concatenation"
    return f"'{op}' arithmetic"


def _dotted(e: ast.expr) -> str | None:
    if isinstance(e, ast.Name):
        return e.id
    if isinstance(e, ast.Attribute):
        left = _dotted(e.value)
        return f"{left}.{e.attr}" if left else None
    return None


def reason(e: ast.expr) -> str:
    if isinstance(e, ast.BinOp):
        return binop_reason(_BINOPS.get(type(e.op), "?"))
    if isinstance(e, ast.Name):
        return f"a variable '{e.id}'"
    if isinstance(e, ast.Attribute):
        name = _dotted(e)
        return f"an attribute '{name}'" if name else "an attribute"
    if isinstance(e, ast.Constant) and isinstance(e.value, bytes):
        return "a bytes literal"
    return _REASONS.get(type(e), "a computed value")
