"""Symbols, comments and docstrings of one source file, with tree-sitter. Pure: bytes in, plain data out.

Only definitions and comments are captured, by tree-sitter queries that run in C; identifiers in bodies are
collected by the indexer with a regular expression, which is much faster than walking every node from Python.
Languages without a grammar here get comments by regular expression and no symbols.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

import tree_sitter

# (query, kind) pairs: each query captures the whole definition as @symbol and its name as @name.
_PYTHON = (
    ("(class_definition name: (identifier) @name) @symbol", "class"),
    ("(function_definition name: (identifier) @name) @symbol", "function"),
)
_JAVA = (
    ("(class_declaration name: (identifier) @name) @symbol", "class"),
    ("(interface_declaration name: (identifier) @name) @symbol", "interface"),
    ("(enum_declaration name: (identifier) @name) @symbol", "enum"),
    ("(record_declaration name: (identifier) @name) @symbol", "class"),
    ("(method_declaration name: (identifier) @name) @symbol", "method"),
    ("(constructor_declaration name: (identifier) @name) @symbol", "constructor"),
)
_JAVASCRIPT = (
    ("(class_declaration name: (identifier) @name) @symbol", "class"),
    ("(function_declaration name: (identifier) @name) @symbol", "function"),
    ("(generator_function_declaration name: (identifier) @name) @symbol", "function"),
    ("(method_definition name: (property_identifier) @name) @symbol", "method"),
    (
        "(variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)]) @symbol",
        "function",
    ),
)
_TYPESCRIPT = (
    ("(class_declaration name: (type_identifier) @name) @symbol", "class"),
    ("(abstract_class_declaration name: (type_identifier) @name) @symbol", "class"),
    ("(interface_declaration name: (type_identifier) @name) @symbol", "interface"),
    ("(type_alias_declaration name: (type_identifier) @name) @symbol", "type"),
    ("(enum_declaration name: (identifier) @name) @symbol", "enum"),
    ("(function_declaration name: (identifier) @name) @symbol", "function"),
    ("(method_definition name: (property_identifier) @name) @symbol", "method"),
    (
        "(variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)]) @symbol",
        "function",
    ),
)
_GO = (
    ("(function_declaration name: (identifier) @name) @symbol", "function"),
    ("(method_declaration name: (field_identifier) @name) @symbol", "method"),
    ("(type_spec name: (type_identifier) @name) @symbol", "type"),
)
_C = (
    ("(function_definition declarator: (function_declarator declarator: (identifier) @name)) @symbol", "function"),
    (
        "(function_definition declarator: (pointer_declarator declarator: "
        "(function_declarator declarator: (identifier) @name))) @symbol",
        "function",
    ),
    ("(struct_specifier name: (type_identifier) @name body: (field_declaration_list)) @symbol", "struct"),
    ("(enum_specifier name: (type_identifier) @name body: (enumerator_list)) @symbol", "enum"),
    ("(type_definition declarator: (type_identifier) @name) @symbol", "type"),
)
_CPP = (
    *_C,
    ("(class_specifier name: (type_identifier) @name body: (field_declaration_list)) @symbol", "class"),
    ("(function_definition declarator: (function_declarator declarator: (field_identifier) @name)) @symbol", "method"),
    (
        "(function_definition declarator: (function_declarator declarator: "
        "(qualified_identifier name: (identifier) @name))) @symbol",
        "method",
    ),
    ("(namespace_definition name: (namespace_identifier) @name) @symbol", "namespace"),
)
_COMMENTS = {
    "python": ("(comment) @comment", "(expression_statement (string) @doc)"),
    "java": ("(line_comment) @comment", "(block_comment) @comment"),
}
_DEFINITIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "python": _PYTHON,
    "java": _JAVA,
    "javascript": _JAVASCRIPT,
    "typescript": _TYPESCRIPT,
    "tsx": _TYPESCRIPT,
    "go": _GO,
    "c": _C,
    "cpp": _CPP,
}
TREE_SITTER_LANGUAGES = frozenset(_DEFINITIONS)

# Comments for languages parsed without a grammar: //, /* */, #, <!-- -->, <%-- --%>.
_REGEX_COMMENT = re.compile(
    r"/\*.*?\*/|<!--.*?-->|<%--.*?--%>|(?<![:\"'])//[^\n]*|(?m:^\s*#(?![!{\[])[^\n]*)", re.DOTALL
)


@dataclass(frozen=True, slots=True)
class Symbol:
    name: str
    qualified_name: str  # "Cart.add_item"
    kind: str  # class, interface, function, method, ...
    start_line: int  # 1-based, inclusive
    end_line: int
    doc: str  # docstring or the comment right above it; "" when none


@dataclass(frozen=True, slots=True)
class Passage:
    """A comment or docstring: prose written by people, the best evidence there is."""

    start_line: int
    end_line: int
    text: str
    kind: str = "comment"  # or "docstring"


@dataclass(frozen=True)
class Outline:
    symbols: tuple[Symbol, ...]
    passages: tuple[Passage, ...]


_GRAMMAR_MODULES = {
    "python": "tree_sitter_python",
    "java": "tree_sitter_java",
    "javascript": "tree_sitter_javascript",
    "go": "tree_sitter_go",
    "c": "tree_sitter_c",
    "cpp": "tree_sitter_cpp",
}


def _language(name: str) -> Any:
    """The grammar, from its own wheel (compiled in: nothing is downloaded)."""
    if name in ("typescript", "tsx"):
        typescript = importlib.import_module("tree_sitter_typescript")
        return typescript.language_tsx() if name == "tsx" else typescript.language_typescript()
    return importlib.import_module(_GRAMMAR_MODULES[name]).language()


@dataclass(frozen=True)
class _Compiled:
    parser: tree_sitter.Parser
    # Definitions (one pattern per entry of _DEFINITIONS[name], in order) then comments, in ONE query: the tree
    # is walked once per query, and a second walk for the comments cost about as much as the first.
    query: tree_sitter.Query
    kinds: tuple[str, ...]


@cache
def _compiled(name: str) -> _Compiled:
    language = tree_sitter.Language(_language(name))
    patterns = [source for source, _ in _DEFINITIONS[name]] + list(_COMMENTS.get(name, ("(comment) @comment",)))
    kinds = tuple(kind for _, kind in _DEFINITIONS[name])
    return _Compiled(tree_sitter.Parser(language), tree_sitter.Query(language, "\n".join(patterns)), kinds)


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


_COMMENT_OPENERS = re.compile(r"^(\s*(/\*+|\*+/?|//+|#+|<!--|-->|<%--|--%>|\"\"\"|'''|\"|'))+", re.MULTILINE)
_COMMENT_CLOSER = re.compile(r"(\*+/|-->|--%>|\"\"\"|''')\s*$")


_MARKER_STARTS = ("/", "*", "#", "<", "-", '"', "'")
_MARKER_ENDS = ("/", ">", '"', "'")
_TRIPLE_QUOTES = ('"""', "'''")


def _clean_comment(text: str) -> str:
    """Comment markers and docstring quotes off; whitespace collapsed."""
    # Most comments are one-line `#` comments or triple-quoted docstrings, and the regular expressions would only
    # take off the leading #s or the quotes: unless a line starts with another marker, or one ends the text.
    if text.startswith("#") and "\n" not in text:
        words = text.lstrip("#").split()
        if not words or not (words[0].startswith(_MARKER_STARTS) or words[-1].endswith(_MARKER_ENDS)):
            return " ".join(words)
    elif text.startswith(_TRIPLE_QUOTES) and len(text) >= 6 and text.endswith(text[:3]):
        inner = text[3:-3]
        if not inner.rstrip().endswith(_MARKER_ENDS) and not any(
            line.lstrip().startswith(_MARKER_STARTS) for line in inner.split("\n")
        ):
            return " ".join(inner.split())
    return " ".join(_COMMENT_CLOSER.sub(" ", _COMMENT_OPENERS.sub(" ", text)).split())


def outline(source: bytes, language: str) -> Outline:
    """Symbols and passages of a file. Languages without a grammar here get passages only."""
    if language not in TREE_SITTER_LANGUAGES:
        return Outline((), _regex_passages(source))
    compiled = _compiled(language)
    tree = compiled.parser.parse(source)
    if language == "python":
        definitions, comment_nodes, docstring_nodes = _python_nodes(tree.root_node, source)
    else:
        definitions, comment_nodes, docstring_nodes = _query_nodes(compiled, tree.root_node)
    found = [
        _Found(node.start_byte, node.end_byte, node.start_point[0] + 1, node.end_point[0] + 1, _text(name), kind)
        for node, name, kind in definitions
    ]
    passages: list[Passage] = []
    for kind, nodes in (("comment", comment_nodes), ("docstring", docstring_nodes)):
        for node in nodes:
            text = _clean_comment(_text(node))
            if text:
                passages.append(Passage(node.start_point[0] + 1, node.end_point[0] + 1, text, kind))
    passages.sort(key=lambda p: (p.start_line, p.end_line))  # stable: on one line, a comment first
    return Outline(_nest(found, passages), tuple(passages))


_Nodes = tuple[list[tuple[tree_sitter.Node, tree_sitter.Node, str]], list[tree_sitter.Node], list[tree_sitter.Node]]


def _query_nodes(compiled: _Compiled, root: tree_sitter.Node) -> _Nodes:
    """(definition, its name, kind), comment and docstring nodes, in document order, by the language's query."""
    definitions: list[tuple[tree_sitter.Node, tree_sitter.Node, str]] = []
    comments: list[tree_sitter.Node] = []
    docstrings: list[tree_sitter.Node] = []
    count = len(compiled.kinds)
    for pattern, captures in tree_sitter.QueryCursor(compiled.query).matches(root):
        if pattern < count:
            definitions.append((captures["symbol"][0], captures["name"][0], compiled.kinds[pattern]))
            continue
        for capture, nodes in captures.items():
            (docstrings if capture == "doc" else comments).extend(nodes)
    return definitions, comments, docstrings


# Python statements - and so definitions and docstrings - only ever sit in these nodes (or below a parse error),
# and every comment starts with "#": the same nodes as the Python query are found without walking into
# expressions, which hold most of a tree's nodes. tests/validation checks both ways agree.
_PYTHON_STATEMENT_HOLDERS = frozenset(
    (
        *("module", "block", "decorated_definition", "class_definition", "function_definition", "ERROR"),
        *("if_statement", "elif_clause", "else_clause", "for_statement", "while_statement", "with_statement"),
        *("try_statement", "except_clause", "except_group_clause", "finally_clause", "match_statement", "case_clause"),
    )
)
_PYTHON_DEFINITIONS = {"class_definition": "class", "function_definition": "function"}


def _python_nodes(root: tree_sitter.Node, source: bytes) -> _Nodes:
    """What `_query_nodes` gives for Python: definitions by a walk of the statement holders, docstrings sorted into
    document order, comments by looking up every "#" that is not inside a comment already found."""
    definitions: list[tuple[tree_sitter.Node, tree_sitter.Node, str]] = []
    docstrings: list[tree_sitter.Node] = []
    errors = root.has_error  # most files parse cleanly: no node to check for errors below
    stack = [root]
    while stack:
        for child in stack.pop().children:
            kind = child.type
            if kind in _PYTHON_STATEMENT_HOLDERS:
                stack.append(child)
                if kind in _PYTHON_DEFINITIONS:
                    name = child.child_by_field_name("name")
                    if name is not None and name.type == "identifier":
                        definitions.append((child, name, _PYTHON_DEFINITIONS[kind]))
            elif kind == "expression_statement":
                # Mostly one child (a call, an assignment): no list of children to make for it.
                for part in (child.child(0),) if child.child_count == 1 else child.children:
                    if part is not None and part.type == "string":
                        docstrings.append(part)
                if errors and child.has_error:
                    stack.append(child)
            elif errors and child.has_error:
                stack.append(child)
    docstrings.sort(key=lambda node: node.start_byte)
    comments = []
    position = source.find(b"#")
    while position != -1:
        node = root.descendant_for_byte_range(position, position + 1)
        if node is not None and node.type == "comment" and node.start_byte == position:
            comments.append(node)
            position = source.find(b"#", node.end_byte)
        else:  # a "#" in a string
            position = source.find(b"#", position + 1)
    return definitions, comments, docstrings


class _Found(NamedTuple):  # a tuple: made for every definition, hashed and sorted
    start_byte: int
    end_byte: int
    start_line: int
    end_line: int
    name: str
    kind: str


_CONTAINERS = ("class", "interface", "struct", "type", "enum")


def _nest(found: list[_Found], passages: list[Passage]) -> tuple[Symbol, ...]:
    """Qualified names from byte containment; a symbol's doc is its docstring, else the comment just above it."""
    ordered = sorted(set(found), key=lambda f: (f.start_byte, -f.end_byte, f.name, f.kind))
    comment_ending = {p.end_line: p for p in passages if p.kind == "comment"}
    docstring_starting = {p.start_line: p for p in passages if p.kind == "docstring"}
    symbols: list[Symbol] = []
    stack: list[tuple[_Found, str]] = []
    for item in ordered:
        while stack and stack[-1][0].end_byte < item.end_byte:  # the open symbol ends first: not a parent
            stack.pop()
        parent = stack[-1] if stack else None
        kind = item.kind
        if kind == "function" and parent and parent[0].kind in _CONTAINERS:
            kind = "method"
        qualified = f"{parent[1]}.{item.name}" if parent else item.name
        docstring = docstring_starting.get(item.start_line + 1)
        above = comment_ending.get(item.start_line - 1)
        doc = docstring.text if docstring and docstring.start_line <= item.end_line else (above.text if above else "")
        symbols.append(Symbol(item.name, qualified, kind, item.start_line, item.end_line, doc))
        stack.append((item, qualified))
    return tuple(symbols)


def _regex_passages(source: bytes) -> tuple[Passage, ...]:
    text = source.decode("utf-8", "replace")
    passages = []
    line, position = 1, 0
    for match in _REGEX_COMMENT.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        cleaned = _clean_comment(match.group(0))
        if cleaned:
            passages.append(Passage(line, line + match.group(0).count("\n"), cleaned))
    return tuple(passages)
