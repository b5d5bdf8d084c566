"""SSH public keys: exactly one per paste or file, and only of an accepted type and
strength (issue 10, item 5). Blobs are built here in the wire format; real keys from
``ssh-keygen`` check that the reading and the fingerprints agree with OpenSSH's."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from branchtui.core.errors import ValidationError
from branchtui.core.sshkeys import ACCEPTED_TYPES, RSA_MIN_BITS, check_blob, parse_key_text
from branchtui.i18n import t


def ssh_string(data: bytes | str) -> bytes:
    raw = data.encode() if isinstance(data, str) else data
    return len(raw).to_bytes(4, "big") + raw


def mpint(value: int) -> bytes:
    # One spare byte keeps the top bit clear: a positive number, as OpenSSH writes it.
    return ssh_string(value.to_bytes(value.bit_length() // 8 + 1, "big"))


def rsa_blob(bits: int, e: int = 65537) -> bytes:
    """An RSA public key whose modulus has exactly ``bits`` bits (not a real modulus: only
    its size matters to the rule)."""
    return ssh_string("ssh-rsa") + mpint(e) + mpint((1 << (bits - 1)) | 1)


def ecdsa_blob(kind: str, curve: str, point_len: int, *, sk: bool = False) -> bytes:
    blob = ssh_string(kind) + ssh_string(curve) + ssh_string(b"\x04" + b"\x07" * (point_len - 1))
    return blob + ssh_string("ssh:") if sk else blob


def ed25519_blob(seed: int = 1, *, sk: bool = False) -> bytes:
    kind = "sk-ssh-ed25519@openssh.com" if sk else "ssh-ed25519"
    blob = ssh_string(kind) + ssh_string(bytes((seed + i) % 256 for i in range(32)))
    return blob + ssh_string("ssh:") if sk else blob


def line_of(blob: bytes, comment: str = "") -> str:
    kind = blob[4:4 + int.from_bytes(blob[:4], "big")].decode()
    return f"{kind} {base64.b64encode(blob).decode()} {comment}".rstrip()


def refusal(text: str) -> ValidationError:
    with pytest.raises(ValidationError) as err:
        parse_key_text(text)
    return err.value


# -- what is accepted ----------------------------------------------------------------------

GOOD = {
    "ssh-ed25519": ed25519_blob(),
    "sk-ssh-ed25519@openssh.com": ed25519_blob(sk=True),
    "ssh-rsa": rsa_blob(2048),
    "ecdsa-sha2-nistp256": ecdsa_blob("ecdsa-sha2-nistp256", "nistp256", 65),
    "ecdsa-sha2-nistp384": ecdsa_blob("ecdsa-sha2-nistp384", "nistp384", 97),
    "ecdsa-sha2-nistp521": ecdsa_blob("ecdsa-sha2-nistp521", "nistp521", 133),
    "sk-ecdsa-sha2-nistp256@openssh.com": ecdsa_blob("sk-ecdsa-sha2-nistp256@openssh.com",
                                                     "nistp256", 65, sk=True),
}


def test_every_accepted_type_has_a_well_formed_example():
    assert set(GOOD) == set(ACCEPTED_TYPES)


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_accepted_types_keep_their_comment_and_blob(kind: str):
    comment = "zhou@laptop [@click=app.quit]x[/] （一）"
    key = parse_key_text("\n# a note\n\n" + line_of(GOOD[kind], comment) + "\n\n")
    assert (key.kind, key.blob, key.comment) == (kind, GOOD[kind], comment)
    assert key.line == line_of(GOOD[kind])


# -- what is refused -----------------------------------------------------------------------


def test_rsa_1024_is_refused_with_its_bit_count_and_what_to_generate():
    err = refusal(line_of(rsa_blob(1024), "old@laptop"))
    assert err.key == "keys.rsa_too_short" and err.params["bits"] == 1024
    for lang in ("zh", "en"):
        text = t(err.key, lang=lang, **err.params)
        assert "1024" in text and "2048" in text and "ssh-keygen -t ed25519" in text, text


@given(st.integers(min_value=2, max_value=4200))
def test_rsa_is_accepted_from_2048_bits_exactly(bits: int):
    blob = rsa_blob(bits)
    if bits >= RSA_MIN_BITS:
        assert check_blob(blob) == ("ssh-rsa", bits)
    else:
        with pytest.raises(ValidationError) as err:
            check_blob(blob)
        assert err.value.key == "keys.rsa_too_short" and err.value.params["bits"] == bits


@pytest.mark.parametrize(("blob", "kind"), [
    (ssh_string("ssh-dss") + mpint(7) * 4, "ssh-dss"),
    (ssh_string("ssh-ed25519-cert-v01@openssh.com") + ssh_string(b"n" * 32), "ssh-ed25519-cert-v01@openssh.com"),
    (ssh_string("ssh-foo") + ssh_string(b"x"), "ssh-foo"),
])
def test_dsa_certificates_and_unknown_types_are_refused_by_name(blob: bytes, kind: str):
    err = refusal(line_of(blob))
    assert err.key == "keys.unsupported_type" and err.params["kind"] == kind
    for lang in ("zh", "en"):
        assert "ssh-keygen -t ed25519" in t(err.key, lang=lang, **err.params)


@pytest.mark.parametrize("blob", [
    # The type says nistp256 but the blob names nistp384 (and carries its point).
    ssh_string("ecdsa-sha2-nistp256") + ssh_string("nistp384") + ssh_string(b"\x04" * 97),
    ecdsa_blob("ecdsa-sha2-nistp384", "nistp384", 65),  # a nistp256-sized point
    ssh_string("ecdsa-sha2-nistp256") + ssh_string("nistp256") + ssh_string(b"\x02" + b"\x01" * 64),
    ssh_string("ssh-ed25519") + ssh_string(b"k" * 31),
    ed25519_blob() + b"\x00",  # trailing bytes
    ssh_string("ssh-rsa") + mpint(65537),  # no modulus
    ssh_string("ssh-rsa") + mpint(65536) + mpint((1 << 2047) | 1),  # even exponent
    ssh_string("ssh-rsa") + mpint(65537) + ssh_string(b"\x80" + b"\x00" * 256),  # negative n
    ssh_string("sk-ssh-ed25519@openssh.com") + ssh_string(b"k" * 32),  # no application
], ids=["curve-mismatch", "short-point", "compressed-point", "short-ed25519", "trailing",
        "no-modulus", "even-exponent", "negative-modulus", "sk-no-application"])
def test_malformed_blobs_are_refused(blob: bytes):
    assert refusal(line_of(blob)).key == "keys.bad_key"


@pytest.mark.parametrize("text", [
    "", "  \n# only a comment\n", "ssh-ed25519", "ssh-ed25519 not-base64!",
    "ssh-rsa " + base64.b64encode(ed25519_blob()).decode(),  # the blob names another type
    'from="10.0.0.1" ' + line_of(ed25519_blob()),  # authorized_keys options
    "x" * 70000,
])
def test_garbage_is_refused_and_says_what_to_generate(text: str):
    err = refusal(text)
    assert err.key == "keys.bad_key"
    assert "ssh-keygen -t ed25519" in t(err.key) and "ssh-keygen -t ed25519" in t(err.key, "en")


# -- one key at a time ---------------------------------------------------------------------


def test_two_keys_in_a_file_are_refused_with_their_line_numbers():
    text = "\n".join(["# laptop", line_of(ed25519_blob(1), "a"), "",
                      line_of(ed25519_blob(2), "b"), ""])
    err = refusal(text)
    assert err.key == "keys.several" and err.params == {"count": 2, "lines": "2, 4"}
    assert "2, 4" in t(err.key, **err.params) and "2, 4" in t(err.key, "en", **err.params)


def test_a_second_key_folded_into_the_comment_is_found():
    """The old parser kept the first key and stored the second as its comment."""
    err = refusal(line_of(ed25519_blob(1), "a " + line_of(ed25519_blob(2), "b")))
    assert err.key == "keys.several" and err.params == {"count": 2, "lines": "1"}


def test_a_weak_key_counts_as_a_key_found():
    err = refusal(line_of(ed25519_blob()) + "\n" + line_of(rsa_blob(1024)))
    assert err.key == "keys.several" and err.params["lines"] == "1, 2"


def test_a_line_that_is_no_key_is_named():
    err = refusal(line_of(ed25519_blob()) + "\nEnter passphrase (empty for no passphrase):\n")
    assert err.key == "keys.extra_text" and err.params == {"line": 2}


@given(st.lists(st.sampled_from(["key", "", "# note", "   "]), min_size=1, max_size=12))
def test_the_line_numbers_are_those_of_the_keys(layout: list[str]):
    lines = [line_of(ed25519_blob(i), f"k{i}") if kind == "key" else kind
             for i, kind in enumerate(layout)]
    numbers = [i + 1 for i, kind in enumerate(layout) if kind == "key"]
    text = "\r\n".join(lines)
    if len(numbers) == 1:
        assert parse_key_text(text).comment == f"k{numbers[0] - 1}"
        return
    err = refusal(text)
    if numbers:
        assert err.key == "keys.several"
        assert err.params["lines"] == ", ".join(map(str, numbers))
    else:
        assert err.key == "keys.bad_key"


# -- never anything but a ValidationError --------------------------------------------------

_TOKENS = st.one_of(
    st.sampled_from([*ACCEPTED_TYPES, "ssh-dss", "#", "\n", " ", "="]),
    st.text(max_size=12),
    st.binary(max_size=80).map(lambda b: base64.b64encode(b).decode()),
    st.tuples(st.sampled_from([*ACCEPTED_TYPES, "ssh-dss"]), st.binary(max_size=200)).map(
        lambda kb: base64.b64encode(ssh_string(kb[0]) + kb[1]).decode()),
)


@given(st.one_of(st.text(), st.lists(_TOKENS, max_size=12).map(" ".join)))
def test_any_text_is_a_key_or_a_validation_error(text: str):
    try:
        key = parse_key_text(text)
    except ValidationError as exc:
        assert exc.key.startswith("keys.")
        assert "{" not in exc.message() and "{" not in t(exc.key, "en", **exc.params)
    else:
        assert key.kind in ACCEPTED_TYPES


@given(st.sampled_from([*ACCEPTED_TYPES, "ssh-dss"]), st.binary(max_size=300))
def test_any_blob_is_accepted_or_refused_cleanly(kind: str, tail: bytes):
    try:
        assert check_blob(ssh_string(kind) + tail)[0] == kind
    except ValidationError as exc:
        assert exc.key in ("keys.bad_key", "keys.rsa_too_short", "keys.unsupported_type")


# -- real keys -----------------------------------------------------------------------------

KEYGEN = shutil.which("ssh-keygen")


def generate(path: Path, *options: str) -> str:
    subprocess.run([KEYGEN or "ssh-keygen", "-q", "-N", "", "-C", "real@host", *options,
                    "-f", str(path)], check=True, capture_output=True)
    return path.with_suffix(".pub").read_text()


def keygen_fingerprint(path: Path) -> str:
    out = subprocess.run([KEYGEN or "ssh-keygen", "-lf", str(path.with_suffix(".pub"))],
                         check=True, capture_output=True, text=True).stdout
    return out.split()[1]


@pytest.mark.skipif(KEYGEN is None, reason="ssh-keygen is not installed")
@pytest.mark.parametrize(("options", "bits"), [
    (("-t", "ed25519"), 256), (("-t", "ecdsa", "-b", "256"), 256),
    (("-t", "ecdsa", "-b", "384"), 384), (("-t", "ecdsa", "-b", "521"), 521),
    (("-t", "rsa", "-b", "2048"), 2048),
])
def test_real_keys_are_read_as_openssh_reads_them(tmp_path: Path, options, bits: int):
    text = generate(tmp_path / "k", *options)
    key = parse_key_text(text)
    assert key.bits == bits and key.comment == "real@host"
    assert key.fingerprint == keygen_fingerprint(tmp_path / "k")
    assert key.line == " ".join(text.split()[:2])


@pytest.mark.skipif(KEYGEN is None, reason="ssh-keygen is not installed")
def test_a_real_1024_bit_rsa_key_is_refused(tmp_path: Path):
    err = refusal(generate(tmp_path / "k", "-t", "rsa", "-b", "1024"))
    assert err.key == "keys.rsa_too_short" and err.params["bits"] == 1024


@pytest.mark.skipif(KEYGEN is None, reason="ssh-keygen is not installed")
def test_a_private_key_is_named_as_such(tmp_path: Path):
    generate(tmp_path / "k", "-t", "ed25519")
    assert refusal((tmp_path / "k").read_text()).key == "keys.private_key"
