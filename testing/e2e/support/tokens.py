"""Building JSON Web Tokens by hand, honest and forged.

ES256 signatures come from the openssl command line (the standard library
has no elliptic curves): openssl writes DER ECDSA-Sig-Value, which JWS
wants as the raw 64 bytes r || s.
"""

import base64
import hashlib
import hmac
import json
import os
import subprocess


def b64url_encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decode_unverified(token):
    """(header, claims) of a JWT, without checking anything."""
    header, claims, _ = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(claims))


def _segment(value):
    return b64url_encode(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def _openssl(args, data=b""):
    result = subprocess.run(["openssl", *args], input=data, capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout


def generate_ec_key(path):
    """A fresh P-256 private key in PEM, written to `path`."""
    _openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", path])
    os.chmod(path, 0o600)
    return path


def _der_length(data, offset):
    first = data[offset]
    if first < 0x80:
        return first, offset + 1
    count = first & 0x7F
    return int.from_bytes(data[offset + 1:offset + 1 + count], "big"), offset + 1 + count


def der_signature_to_raw(der):
    """DER SEQUENCE { INTEGER r, INTEGER s } -> r || s, 32 bytes each."""
    if der[0] != 0x30:
        raise ValueError("not a DER sequence")
    _, offset = _der_length(der, 1)
    parts = []
    for _ in range(2):
        if der[offset] != 0x02:
            raise ValueError("not a DER integer")
        length, offset = _der_length(der, offset + 1)
        parts.append(int.from_bytes(der[offset:offset + length], "big"))
        offset += length
    return b"".join(part.to_bytes(32, "big") for part in parts)


def raw_signature_to_der(raw):
    """r || s -> DER, for `openssl dgst -verify`."""
    if len(raw) != 64:
        raise ValueError(f"an ES256 signature has 64 bytes, not {len(raw)}")

    def integer(value):
        body = value.lstrip(b"\x00") or b"\x00"
        if body[0] & 0x80:
            body = b"\x00" + body
        return b"\x02" + bytes([len(body)]) + body

    content = integer(raw[:32]) + integer(raw[32:])
    return b"\x30" + bytes([len(content)]) + content


def sign_es256(header, claims, private_key_path):
    signing_input = f"{_segment(header)}.{_segment(claims)}".encode("ascii")
    der = _openssl(["dgst", "-sha256", "-sign", private_key_path], signing_input)
    return signing_input.decode("ascii") + "." + b64url_encode(der_signature_to_raw(der))


def verify_es256(token, public_key_path, work_dir):
    """True when the token's ES256 signature verifies with the PEM key."""
    header, claims, signature = token.split(".")
    signature_path = os.path.join(work_dir, "signature.der")
    with open(signature_path, "wb") as out:
        out.write(raw_signature_to_der(b64url_decode(signature)))
    result = subprocess.run(
        ["openssl", "dgst", "-sha256", "-verify", public_key_path, "-signature", signature_path],
        input=f"{header}.{claims}".encode("ascii"), capture_output=True, check=False)
    return result.returncode == 0


def sign_hs256(header, claims, secret):
    signing_input = f"{_segment(header)}.{_segment(claims)}".encode("ascii")
    mac = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return signing_input.decode("ascii") + "." + b64url_encode(mac)


def unsigned(header, claims):
    """An `alg: none` token: empty signature."""
    return f"{_segment(header)}.{_segment(claims)}."


def public_point(public_key_path):
    """(x, y) bytes of a P-256 public key in PEM."""
    der = _openssl(["pkey", "-pubin", "-in", public_key_path, "-outform", "DER"])
    point = der[-65:]
    if point[0] != 0x04:
        raise ValueError("not an uncompressed P-256 point")
    return point[1:33], point[33:]


def jwk_thumbprint(jwk):
    """RFC 7638 thumbprint of an EC JWK: SHA-256 of the required members in
    lexicographic order, without whitespace."""
    canonical = json.dumps({"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"], "y": jwk["y"]},
                           separators=(",", ":"), sort_keys=True)
    return b64url_encode(hashlib.sha256(canonical.encode("utf-8")).digest())
