#!/usr/bin/env python3
"""Mint keys, JWK Sets and JWTs for the vcf-cds auth tests.

Independent of the C++ code under test: Python 3 standard library plus the `openssl` command-line
tool, which does every private-key operation (key generation and signing). Nothing it makes is
meant for production; tests run it at test time into a temporary directory, so no private key is
ever committed.

  mint_jwt.py keygen --type ec-p384 --out key.pem
        types: ec-p256, ec-p384, ec-p521, rsa1024, rsa2048, rsa3072
  mint_jwt.py jwks KEY.pem:KID[:ALG] [...]
        prints a JWK Set with the public part of each key (parsed from `openssl pkey -text`)
  mint_jwt.py sign --alg ES384 --key key.pem --header h.json --payload p.json [--der]
        prints the compact JWS. The header and payload files are encoded byte for byte (so a test
        can sign deliberately malformed JSON). ES*: openssl emits a DER signature, converted to
        the JOSE raw r||s form unless --der keeps the DER (a negative test case). RS*: PKCS#1 v1.5.
        --alg none: empty signature. --alg HS256/HS384: HMAC keyed with the bytes of --key (the
        classic "public key as HMAC secret" confusion attack).
  mint_jwt.py serve
        the same signing as a co-process, so a test pays the interpreter start-up once: one JSON
        request per stdin line, {"alg", "key", "header" (hex), "payload" (hex), "der"}, answered
        by one token per stdout line.
"""

import argparse
import base64
import hashlib
import hmac
import json
import re
import subprocess
import sys

KEY_TYPES = {
    "ec-p256": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    "ec-p384": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    "ec-p521": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
    "rsa1024": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
    "rsa2048": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    "rsa3072": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
}
CURVES = {"P-256": 32, "P-384": 48, "P-521": 66}  # JWK crv -> coordinate size in bytes
ES_SIZES = {"ES256": 32, "ES384": 48, "ES512": 66}  # JWS alg -> r and s size in bytes
DIGESTS = {"256": "-sha256", "384": "-sha384", "512": "-sha512"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def openssl(args, data=None) -> bytes:
    done = subprocess.run(["openssl", *args], input=data, capture_output=True, check=False)
    if done.returncode != 0:
        sys.exit("openssl %s failed: %s" % (" ".join(args), done.stderr.decode(errors="replace")))
    return done.stdout


def keygen(key_type: str, out: str) -> None:
    openssl(["genpkey", *KEY_TYPES[key_type], "-out", out])


def hex_block(lines, start):
    """Joins the indented `aa:bb:..` lines that follow lines[start]."""
    hex_digits = []
    for line in lines[start + 1:]:
        if not line.startswith(" "):
            break
        hex_digits.append(line.strip().replace(":", ""))
    return bytes.fromhex("".join(hex_digits))


def public_jwk(key_file: str, kid: str, alg: str = None) -> dict:
    text = openssl(["pkey", "-in", key_file, "-pubout", "-text", "-noout"]).decode()
    lines = text.splitlines()
    if "pub:" in lines:  # EC: uncompressed point 04 || x || y
        curve = re.search(r"NIST CURVE: (P-\d+)", text).group(1)
        size = CURVES[curve]
        point = hex_block(lines, lines.index("pub:"))
        if point[0] != 4 or len(point) != 1 + 2 * size:
            sys.exit("%s: unexpected EC point encoding" % key_file)
        jwk = {"kty": "EC", "use": "sig", "crv": curve, "kid": kid,
               "x": b64url(point[1:1 + size]), "y": b64url(point[1 + size:])}
    else:  # RSA: modulus hex (with a leading 00 sign byte) and decimal exponent
        modulus = hex_block(lines, lines.index("Modulus:")).lstrip(b"\x00")
        exponent = int(re.search(r"Exponent: (\d+)", text).group(1))
        e_bytes = exponent.to_bytes((exponent.bit_length() + 7) // 8, "big")
        jwk = {"kty": "RSA", "use": "sig", "kid": kid, "n": b64url(modulus), "e": b64url(e_bytes)}
    if alg:
        jwk["alg"] = alg
    return jwk


def der_to_raw(der: bytes, size: int) -> bytes:
    """ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } -> r || s, each `size` bytes."""

    def read_length(pos):
        first = der[pos]
        if first < 0x80:
            return first, pos + 1
        count = first & 0x7F
        return int.from_bytes(der[pos + 1:pos + 1 + count], "big"), pos + 1 + count

    if der[0] != 0x30:
        sys.exit("signature is not a DER SEQUENCE")
    _, pos = read_length(1)
    out = b""
    for _ in range(2):
        if der[pos] != 0x02:
            sys.exit("signature component is not a DER INTEGER")
        length, pos = read_length(pos + 1)
        value = der[pos:pos + length].lstrip(b"\x00")
        pos += length
        if len(value) > size:
            sys.exit("signature does not fit the algorithm: is the key on the alg's curve?")
        out += value.rjust(size, b"\x00")
    return out


def sign(alg: str, key_file: str, header: bytes, payload: bytes, keep_der: bool) -> str:
    signing_input = (b64url(header) + "." + b64url(payload)).encode("ascii")
    if alg == "none":
        signature = b""
    elif alg.startswith("HS"):
        with open(key_file, "rb") as f:
            secret = f.read()
        signature = hmac.new(secret, signing_input, getattr(hashlib, "sha" + alg[2:])).digest()
    else:
        signature = openssl(["dgst", DIGESTS[alg[2:]], "-sign", key_file], signing_input)
        if alg.startswith("ES") and not keep_der:
            signature = der_to_raw(signature, ES_SIZES[alg])
    return signing_input.decode("ascii") + "." + b64url(signature)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("keygen")
    p.add_argument("--type", required=True, choices=sorted(KEY_TYPES))
    p.add_argument("--out", required=True)
    p = commands.add_parser("jwks")
    p.add_argument("keys", nargs="+", metavar="KEY.pem:KID[:ALG]")
    p = commands.add_parser("sign")
    p.add_argument("--alg", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--header", required=True)
    p.add_argument("--payload", required=True)
    p.add_argument("--der", action="store_true", help="keep the DER ECDSA signature")
    commands.add_parser("serve")
    args = parser.parse_args()

    if args.command == "keygen":
        keygen(args.type, args.out)
    elif args.command == "serve":
        for line in sys.stdin:
            req = json.loads(line)
            token = sign(req["alg"], req["key"], bytes.fromhex(req["header"]),
                         bytes.fromhex(req["payload"]), req.get("der", False))
            print(token, flush=True)
    elif args.command == "jwks":
        keys = [public_jwk(*spec.split(":")) for spec in args.keys]
        print(json.dumps({"keys": keys}, indent=2))
    else:
        with open(args.header, "rb") as f:
            header = f.read()
        with open(args.payload, "rb") as f:
            payload = f.read()
        print(sign(args.alg, args.key, header, payload, args.der))


if __name__ == "__main__":
    main()
