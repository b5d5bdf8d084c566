"""SSH public keys as a secretary pastes them or ``branchtui keys add`` reads them: exactly
one key, of a type and strength the gateway accepts.

The key blob is read here by hand, in the SSH wire format (RFC 4253 6.6 for RSA, RFC 5656
3.1 for ECDSA, RFC 8709 for Ed25519, OpenSSH's PROTOCOL.u2f for the ``sk-`` types), so that
registering a key and logging in with one apply the very same rule: the gateway hands the
blob asyncssh received to :func:`check_blob`. Standard library only.

Accepted: Ed25519, ECDSA on nistp256/384/521, RSA of :data:`RSA_MIN_BITS` bits or more,
and the FIDO security-key variants ``sk-ssh-ed25519@openssh.com`` and
``sk-ecdsa-sha2-nistp256@openssh.com``. Those stay because they are at least as strong as
their plain twins (the private half never leaves the token) and the gateway really checks
them: asyncssh verifies their signatures without any FIDO library and, by default,
refuses a signature made without the user touching the token. Refused: DSA (1024 bits at
most; OpenSSH has disabled it by default since 7.0), short RSA, certificates and unknown
types. Every refusal's message says to run ``ssh-keygen -t ed25519``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

from branchtui.core.errors import ValidationError
from branchtui.core.frozen import frozen

#: Below this, RSA is refused: NIST SP 800-131A has disallowed shorter moduli for
#: signatures since 2014.
RSA_MIN_BITS = 2048
#: A pasted key is a few hundred characters; anything far longer is not one (and is not
#: worth decoding token by token).
MAX_TEXT = 65536

_ED25519 = ("ssh-ed25519", "sk-ssh-ed25519@openssh.com")
# Per ECDSA type: the curve its blob must name, the curve's size in bits, and the length
# of the uncompressed point (0x04, then x and y), the only encoding OpenSSH writes.
_ECDSA = {
    "ecdsa-sha2-nistp256": ("nistp256", 256, 65),
    "ecdsa-sha2-nistp384": ("nistp384", 384, 97),
    "ecdsa-sha2-nistp521": ("nistp521", 521, 133),
    "sk-ecdsa-sha2-nistp256@openssh.com": ("nistp256", 256, 65),
}
ACCEPTED_TYPES: tuple[str, ...] = ("ssh-ed25519", "ssh-rsa", *_ECDSA, _ED25519[1])
# A key type as it may be named in an error message: plain ASCII, short.
_TYPE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9@._+-]{0,63}$")
_BASE64 = re.compile(r"^[A-Za-z0-9+/]{8,}={0,2}$")


@frozen
class PublicKey:
    """One accepted key: its type, wire-format blob, comment (as typed) and strength."""

    kind: str
    blob: bytes
    comment: str
    bits: int

    @property
    def line(self) -> str:
        """The key as stored: type and base64 blob, without the comment."""
        return f"{self.kind} {base64.b64encode(self.blob).decode('ascii')}"

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.blob)


def fingerprint(blob: bytes) -> str:
    """The SHA256 fingerprint exactly as ``ssh-keygen -l`` prints it."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def parse_key_text(text: str) -> PublicKey:
    """The one key in ``text`` (a pasted line, or a ``.pub`` file), checked.

    Blank lines and ``#`` comment lines are allowed around it. Raises ValidationError:
    ``keys.several`` with the line numbers when more than one key is found (the old parser
    kept the first and folded the second into the comment), ``keys.extra_text`` for a line
    that is not a key, ``keys.private_key`` for a private key, and otherwise whatever
    :func:`check_blob` says."""
    if len(text) > MAX_TEXT:
        raise ValidationError("keys.bad_key")
    # The file next to the .pub one: say so, rather than "unrecognised", so that its owner
    # learns it should never have left their computer.
    if "PRIVATE KEY-----" in text:
        raise ValidationError("keys.private_key")
    found: list[tuple[int, int, list[str], bytes]] = []  # line number, token index, tokens, blob
    other_lines: list[int] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        tokens = line.split()
        keys_here = [(number, i, tokens, blob) for i in range(len(tokens) - 1)
                     if (blob := _named_blob(tokens[i], tokens[i + 1])) is not None]
        if keys_here:
            found += keys_here
        else:
            other_lines.append(number)
    if len(found) > 1:
        numbers = dict.fromkeys(n for n, *_ in found)  # two keys may share a line
        raise ValidationError("keys.several", count=len(found),
                              lines=", ".join(map(str, numbers)))
    if not found:
        raise ValidationError("keys.bad_key")
    if other_lines:
        raise ValidationError("keys.extra_text", line=other_lines[0])
    _number, index, tokens, blob = found[0]
    if index != 0:  # authorized_keys options (from=, command=) or stray text in front
        raise ValidationError("keys.bad_key")
    kind, bits = check_blob(blob)
    return PublicKey(kind, blob, " ".join(tokens[2:]), bits)


def check_blob(blob: bytes) -> tuple[str, int]:
    """(key type, strength in bits) of an acceptable key blob; ValidationError otherwise:
    ``keys.bad_key`` when it is malformed, ``keys.unsupported_type`` for DSA, certificates
    and unknown types, ``keys.rsa_too_short`` with the bit count for short RSA."""
    r = _Reader(blob)
    kind = r.text()
    if kind == "ssh-rsa":
        e, n = r.mpint(), r.mpint()
        r.end()
        if e < 3 or e % 2 == 0 or n.bit_length() < 2:
            raise ValidationError("keys.bad_key")
        bits = n.bit_length()
        if bits < RSA_MIN_BITS:
            raise ValidationError("keys.rsa_too_short", bits=bits, min=RSA_MIN_BITS)
        return kind, bits
    if kind in _ED25519:
        if len(r.string()) != 32:
            raise ValidationError("keys.bad_key")
        if kind != "ssh-ed25519":
            r.string()  # the FIDO application ("ssh:")
        r.end()
        return kind, 256
    if kind in _ECDSA:
        curve, bits, point_len = _ECDSA[kind]
        # The type promises a curve and the blob names one: they must agree, or the key
        # would be checked as one strength and used as another.
        if r.text() != curve:
            raise ValidationError("keys.bad_key")
        point = r.string()
        if len(point) != point_len or point[0] != 4:
            raise ValidationError("keys.bad_key")
        if kind.startswith("sk-"):
            r.string()
        r.end()
        return kind, bits
    raise ValidationError("keys.unsupported_type", kind=kind, min=RSA_MIN_BITS)


def _named_blob(kind: str, data: str) -> bytes | None:
    """The decoded blob when ``data`` is base64 of a key blob that names ``kind`` (the test
    by which a key is recognised, whatever its type); None otherwise."""
    if not _TYPE_NAME.match(kind) or not _BASE64.match(data):
        return None
    try:
        blob = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None
    name = kind.encode("ascii")
    if blob[:4] != len(name).to_bytes(4, "big") or blob[4:4 + len(name)] != name:
        return None
    return blob


class _Reader:
    """SSH wire-format fields (RFC 4251 5), front to back; any shortfall is ``bad_key``."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def string(self) -> bytes:
        start = self.pos + 4
        if start > len(self.data):
            raise ValidationError("keys.bad_key")
        end = start + int.from_bytes(self.data[self.pos:start], "big")
        if end > len(self.data):
            raise ValidationError("keys.bad_key")
        self.pos = end
        return self.data[start:end]

    def text(self) -> str:
        raw = self.string()
        try:
            value = raw.decode("ascii")
        except UnicodeDecodeError:
            raise ValidationError("keys.bad_key") from None
        if not _TYPE_NAME.match(value):
            raise ValidationError("keys.bad_key")
        return value

    def mpint(self) -> int:
        raw = self.string()
        if raw and raw[0] & 0x80:  # negative: never a modulus or an exponent
            raise ValidationError("keys.bad_key")
        return int.from_bytes(raw, "big")

    def end(self) -> None:
        if self.pos != len(self.data):
            raise ValidationError("keys.bad_key")
