from __future__ import annotations

import json

from sshdoctor.report.sanitize import json_safe, printable


def test_escapes_control_and_bidi() -> None:
    assert printable("a\x1b[31mb\x07") == "a\\x1b[31mb\\x07"
    assert printable("x\u202ey") == "x\\u202ey"


def test_surrogateescaped_bytes_become_hex() -> None:
    raw = b"SSH-2.0-\xff\xfe".decode("utf-8", "surrogateescape")
    assert printable(raw) == "SSH-2.0-\\xff\\xfe"
    json.dumps(json_safe({"banner": raw}))  # would raise on a lone surrogate with strict encoders
    assert json_safe([raw]) == ["SSH-2.0-\\xff\\xfe"]
    assert json_safe({"k": "a\x1b"}) == {"k": "a\x1b"}  # exact; the encoder escapes it
