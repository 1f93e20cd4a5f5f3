"""The Xen disk-spec mini-language, parsed into fields that know their spans.

A *disk spec* is the decoded content of one string in ``disk = [ ... ]`` of
an xl/xm config, or the ``uname`` of an S-expression ``vbd``.  The parser
records, for every field, where it sits in the spec text, so that the target
path can be rewritten without disturbing a single other byte::

    >>> spec = parse_disk("phy:/dev/sda,sda,w")
    >>> spec.prefix, spec.path
    ('phy:', Field(name='path', text='/dev/sda', start=4, end=12))
    >>> spec.replace_path("/dev/sddlmaa")
    'phy:/dev/sddlmaa,sda,w'

The rules follow xl-disk-configuration(5) and xl's own lexer
(tools/libs/util/libxlu_disk_l.l), made lenient so that xend-era specs parse:

* Parameters are separated by commas; whitespace before a parameter is
  ignored.  A final empty parameter after a trailing comma is dropped, as xl
  does.  Field spans exclude surrounding whitespace, so rewriting a field
  keeps it.
* ``key=value`` (key matching ``[a-z][-a-z0-9_]*``) is a named parameter;
  unknown keys are kept as fields rather than rejected.  ``target=`` eats the
  rest of the spec, commas and ``=`` included.
* Bare flags (``cdrom``, ``discard``, ``trusted`` ...) are fields named after
  themselves.
* Anything else is positional and fills the next free slot of ``target``,
  ``format``, ``vdev``, ``access``.  The format slot only takes an empty value
  or a known format name (raw, qcow, qcow2, vhd, qed, empty); any other value closes
  it and the spec has the xm shape ``target,vdev,mode[,backend[,protocol]]``.
  A target with a legacy prefix (``phy:``, ``tap:aio:`` ...) also implies the
  xm shape unless its second field is a known format name.  In xm-shaped
  specs the access slot is called ``mode``.
* ``form`` says how the target was given: ``"xm"`` (xm shape), ``"positional"``
  (xl positional shape), ``"keyvalue"`` (``target=``, or no target at all) or
  ``"uname"`` (:func:`parse_uname`).

Leniency: unknown keys, unknown legacy prefixes (kept as part of the path),
values xl would reject (``=`` inside a positional, odd formats) and repeated
named parameters (the first wins for the convenience attributes) are all
accepted.  :class:`DiskSpecError` is raised only where the target itself would
be ambiguous: more positional parameters than the shape allows, or a
non-empty positional target together with ``target=``.
"""

from __future__ import annotations


from .lazy import Pattern
from .records import Frozen, Record
from . import rxstore

__all__ = [
    "PREFIXES",
    "FORMATS",
    "FLAGS",
    "Field",
    "DiskSpec",
    "DiskSpecError",
    "parse_disk",
    "parse_uname",
]

#: Legacy target prefixes, each may repeat (``tap:aio:``, ``tap2:tapdisk:aio:``):
#: backend selectors, ignored by xl; image formats (xl: raw qcow qcow2 vhd;
#: xend blktap also vmdk sync ram); block scripts (xl: script=block-<name>).
_BACKENDS = ("phy:", "file:", "tap:", "tap2:", "tapdisk:", "aio:", "ioemu:")
_IMAGES = ("raw:", "qcow:", "qcow2:", "vhd:", "vmdk:", "sync:", "ram:")
PREFIXES: tuple[str, ...] = _BACKENDS + _IMAGES + ("iscsi:", "nbd:", "enbd:", "drbd:")
_FORMAT_PREFIXES = {"raw:", "qcow:", "qcow2:", "vhd:", "vmdk:"}
_SCRIPT_PREFIXES = {"iscsi:", "nbd:", "enbd:", "drbd:"}

#: Values that fill the positional format slot.  ``empty`` is the format of
#: an empty cdrom drive (libxlu's disk lexer accepts it with the others).
FORMATS = frozenset({"raw", "qcow", "qcow2", "vhd", "qed", "empty"})

#: Bare keywords that are flags, never positional values.
FLAGS = frozenset(
    {"cdrom", "direct-io-safe", "discard", "no-discard", "colo", "no-colo"}
    | {"trusted", "untrusted"}
)
_WS = " \t\r\n"
_KEY_RE = Pattern(r"([a-z][-a-z0-9_]*)=")  # (the common specs need none)
_PREFIX_SET = frozenset(PREFIXES)
_LONGEST_PREFIX = max(map(len, PREFIXES))
_XM_EXTRA = ("backend", "protocol")
_PLAIN_PATH = rxstore.compile(r"[A-Za-z0-9/_.+@-]+\Z")


class DiskSpecError(ValueError):
    """A disk spec whose target cannot be determined unambiguously."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at offset {offset})")
        self.message = message
        self.offset = offset


class Field(Frozen):
    """One field of a spec; ``text == spec.text[start:end]``."""

    __slots__ = _fields = ("name", "text", "start", "end")

    def __init__(self, name: str, text: str, start: int, end: int) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)


class DiskSpec(Record):
    _fields = ("text", "form", "fields", "target", "prefix", "path", "vdev")
    _fields += ("access", "backendtype", "devtype", "format", "script")

    def __init__(self, text, form, fields, target, prefix, path) -> None:
        self.text, self.form, self.fields = text, form, fields
        self.target: Field | None = target
        self.prefix, self.path = prefix, path
        self.vdev: str | None = None  # without a ``:cdrom``/``:disk`` suffix
        self.access: str | None = None  # ``access``/``mode`` as written (w!...)
        self.backendtype: str | None = None
        self.devtype: str | None = None  # devtype=, ``cdrom`` flag or vdev suffix
        self.format: str | None = None  # format field, else implied by a prefix
        self.script: str | None = None  # script=, else implied by a prefix

    def get(self, name: str) -> str | None:
        """Text of the first field called ``name`` (None if absent)."""
        for f in self.fields:
            if f.name == name:
                return f.text
        return None

    def replace_path(self, new_path: str) -> str:
        """The spec text with only the path span replaced by ``new_path``.

        Raises DiskSpecError if there is no target, or if ``new_path`` would
        change how the spec parses (e.g. a comma in a positional target).
        """
        if self.path is None:
            raise DiskSpecError("disk spec has no target", len(self.text))
        p = self.path
        new = self.text[: p.start] + new_path + self.text[p.end :]
        if self.plain_swap(new_path):
            return new
        return self.checked_swap(new_path)

    def plain_swap(self, new_path: str) -> bool:
        """True when ``new_path`` in the place of the path reads as that path
        for sure: no comma, '=', ':' or blank, in the place of a non-empty
        path, so every token, key, prefix and slot reads as before (the tests
        prove it against :meth:`checked_swap`)."""
        p = self.path
        return (
            p is not None
            and p.start < p.end
            and _PLAIN_PATH.match(new_path) is not None
            and new_path not in FLAGS
        )

    def checked_swap(self, new_path: str) -> str:
        """:meth:`replace_path` by parsing the new text again."""
        p = self.path
        new = self.text[: p.start] + new_path + self.text[p.end :]
        try:
            again = parse_uname(new) if self.form == "uname" else parse_disk(new)
        except DiskSpecError:
            again = None
        if (
            again is None
            or again.path is None
            or again.path.text != new_path
            or again.path.start != p.start
            or again.prefix != self.prefix
            or again.form != self.form
            or _others(again) != _others(self)
        ):
            raise DiskSpecError(
                f"path {new_path!r} cannot be written into this {self.form} spec",
                p.start,
            )
        return new


def _others(spec: DiskSpec) -> list[tuple[str, str]]:
    return [(f.name, f.text) for f in spec.fields if f.name != "target"]


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _WS:
        start += 1
    while end > start and text[end - 1] in _WS:
        end -= 1
    return start, end


def _mk(name: str, text: str, start: int, end: int) -> Field:
    start, end = _strip(text, start, end)
    return Field(name, text[start:end], start, end)


def _tokens(text: str) -> list[tuple[int, int]]:
    """Spans of the raw parameters, leading whitespace skipped."""
    out: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in _WS:
            i += 1
        if text.startswith("target=", i):
            out.append((i, n))
            return out
        j = text.find(",", i)
        if j < 0:
            if i < n:
                out.append((i, n))
            return out
        out.append((i, j))
        i = j + 1


def prefix_length(text: str) -> int:
    """How much of ``text`` is legacy prefixes (``tap:aio:``): each ends at
    its first ':', so at each place one prefix at most can match."""
    i = 0
    while True:
        j = text.find(":", i, i + _LONGEST_PREFIX)
        if j < 0 or text[i : j + 1] not in _PREFIX_SET:
            return i
        i = j + 1


def _split_target(target: Field) -> tuple[str, Field]:
    plen = prefix_length(target.text)
    start = target.start + plen
    return target.text[:plen], Field("path", target.text[plen:], start, target.end)


def prefix_parts(prefix: str) -> list[str]:
    """``tap:aio:`` -> ``["tap:", "aio:"]`` (each part up to a ':')."""
    return [part + ":" for part in prefix.split(":")[:-1]]


def _finish(spec: DiskSpec) -> DiskSpec:
    """Fill the convenience attributes from the fields."""
    parts = prefix_parts(spec.prefix) if spec.prefix else []
    first: dict[str, str] = {}  # what spec.get() answers, in one pass
    for f in spec.fields:
        first.setdefault(f.name, f.text)
    get = first.get
    vdev = get("vdev")
    devtype = get("devtype")
    if devtype is None and get("cdrom") is not None:
        devtype = "cdrom"
    if vdev is not None:
        head, sep, tail = vdev.rpartition(":")
        if sep and tail in ("cdrom", "disk"):
            vdev = head
            devtype = devtype or tail
    spec.vdev = vdev
    spec.devtype = devtype
    spec.access = get("access")
    if spec.access is None:
        spec.access = get("mode")
    spec.backendtype = get("backendtype")
    spec.format = get("format")
    if spec.format is None:
        fmts = [p[:-1] for p in parts if p in _FORMAT_PREFIXES]
        spec.format = fmts[-1] if fmts else None
    spec.script = get("script")
    if spec.script is None:
        scripts = [p[:-1] for p in parts if p in _SCRIPT_PREFIXES]
        spec.script = "block-" + scripts[-1] if scripts else None
    return spec


# Specs read so far, by text: a fleet repeats the same few disk specs, and
# each is parsed once per process.  Results are shared: never altered.
_MEMO: dict[str, DiskSpec | tuple[str, int]] = {}
_UNAMES: dict[str, DiskSpec] = {}
_MEMO_MAX = 8192


def parse_uname(text: str) -> DiskSpec:
    """Parse a bare S-expression uname (``phy:/dev/sda``): it is all target.

    The same text gives the same DiskSpec object (do not alter it)."""
    got = _UNAMES.get(text)
    if got is None:
        target = _mk("target", text, 0, len(text))
        prefix, path = _split_target(target)
        got = _finish(DiskSpec(text, "uname", [target], target, prefix, path))
        if len(_UNAMES) >= _MEMO_MAX:
            _UNAMES.clear()
        _UNAMES[text] = got
    return got


def parse_disk(text: str) -> DiskSpec:
    """Parse one xm/xl disk spec (see the module docstring for the rules).

    The same text gives the same DiskSpec object (do not alter it)."""
    got = _MEMO.get(text)
    if got is None:
        try:
            got = _legacy(text) or _parse_disk(text)
        except DiskSpecError as err:
            got = (err.message, err.offset)
        if len(_MEMO) >= _MEMO_MAX:
            _MEMO.clear()
        _MEMO[text] = got
    if isinstance(got, tuple):
        raise DiskSpecError(*got)
    return got


# The most common spec of all, xm's ``phy:/dev/sda,xvda,w``: three plain
# fields (no blank, no '=', no flag, no format in the second place) read as
# _parse_disk reads them, without its loop (the tests hold the two together).
_LEGACY = rxstore.compile(r"([^,=\s]+),([^,=\s]+),([^,=\s]+)\Z")


def _legacy(text: str) -> DiskSpec | None:
    m = _LEGACY.match(text)
    if m is None:
        return None
    target, vdev, mode = m.group(1, 2, 3)
    if target in FLAGS or vdev in FLAGS or mode in FLAGS or vdev in FORMATS:
        return None
    e1, e2 = m.end(1), m.end(2)
    plen = prefix_length(target)
    fields = [Field("target", target, 0, e1), Field("vdev", vdev, e1 + 1, e2)]
    fields.append(Field("mode", mode, e2 + 1, len(text)))
    path = Field("path", target[plen:], plen, e1)
    return _finish(DiskSpec(text, "xm", fields, fields[0], target[:plen], path))


def _parse_disk(text: str) -> DiskSpec:
    fields: list[Field] = []
    filled: set[str] = set()  # positional slots already taken
    pos_target: Field | None = None
    kv_target: Field | None = None
    prefix = ""
    xm_shape = False
    positional_access: int | None = None  # index in fields

    key_match = _KEY_RE.match
    for s, e in _tokens(text):
        raw = text[s:e].rstrip(_WS)
        m = key_match(text, s, e)
        if m:
            key = m.group(1)
            f = _mk(key, text, m.end(), e)
            if key == "target":
                if pos_target is not None and pos_target.text:
                    raise DiskSpecError("target respecified", s)
                kv_target = f
            elif key in ("format", "vdev", "access"):
                filled.add(key)
            fields.append(f)
            continue
        if raw in FLAGS:
            fields.append(_mk(raw, text, s, e))
            continue
        # positional
        if pos_target is None:
            pos_target = _mk("target", text, s, e)
            prefix, _ = _split_target(pos_target)
            filled.add("target")
            fields.append(pos_target)
            continue
        if "format" not in filled and not xm_shape:
            if raw in FORMATS or (raw == "" and not prefix):
                filled.add("format")
                fields.append(_mk("format", text, s, e))
                continue
            xm_shape = True  # no format field: target,vdev,mode[,...]
        slots = ["vdev", "access"] + (list(_XM_EXTRA) if xm_shape else [])
        name = next((n for n in slots if n not in filled), None)
        if name is None:
            raise DiskSpecError("too many positional parameters", s)
        filled.add(name)
        if name == "access":
            positional_access = len(fields)
        fields.append(_mk(name, text, s, e))

    if kv_target is not None:
        target, form = kv_target, "keyvalue"
        prefix, path = _split_target(kv_target)
    elif pos_target is not None:
        target = pos_target
        prefix, path = _split_target(pos_target)
        if prefix and "format" not in filled:
            xm_shape = True
        form = "xm" if xm_shape else "positional"
    else:
        target, path, form = None, None, "keyvalue"
    if form == "xm" and positional_access is not None:
        f = fields[positional_access]  # xm calls the positional access "mode"
        fields[positional_access] = Field("mode", f.text, f.start, f.end)
    return _finish(DiskSpec(text, form, fields, target, prefix, path))
