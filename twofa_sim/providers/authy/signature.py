"""OneTouch callback signatures (``X-Authy-Signature``): produce them and check them.

When a OneTouch approval request is approved or denied, Authy calls the application's callback URL
with two headers, ``X-Authy-Signature-Nonce`` and ``X-Authy-Signature``, where::

    signature = Base64(HMAC-SHA256(api_key, nonce + "|" + METHOD + "|" + url + "|" + sorted_params))

This module reproduces ``validate_one_touch_signature`` and ``__make_http_query`` of authy-python
(twilio/authy-python ``authy/api/resources.py``, class ``OneTouch``) exactly, quirks included:

- the parameters (a JSON object for POST, the query for GET) are flattened PHP-style: nested keys
  become ``outer%5Binner%5D``, list items ``key%5B0%5D`` (dicts in lists recurse), booleans are
  written ``true``/``false`` (but only directly under a dict: inside a list they stay ``True``),
  anything else is ``str()``-ed; keys and values are percent-encoded with ``quote`` (``/`` kept);
- then ``/`` becomes ``%2F`` and ``%20`` becomes ``+``; the ``key=value`` pairs are sorted
  (case-sensitive, by code point) and joined with ``&``;
- then list indices ``%5B<digits>%5D`` become ``%5B%5D``, and ``=None`` becomes ``=`` (a JSON
  ``null`` is sent as an empty value);
- the method is used as given (Authy sends ``POST`` or ``GET``); empty dicts vanish.

Checked against authy-python's own test vectors and real callbacks published in twilio/authy-java
``src/test/java/com/authy/TestAuthyUtil.java`` (see the test suite).

>>> sign("key", "1", "POST", "https://example.com/cb", {"b": "x y", "a": True})
'nt0lVs1UYSE01YCauQqOQkufTMgC40XVqF1U7pjQbfc='
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from urllib.parse import quote

__all__ = ["NONCE_HEADER", "SIGNATURE_HEADER", "canonical_params", "sign", "verify"]

SIGNATURE_HEADER = "X-Authy-Signature"
NONCE_HEADER = "X-Authy-Signature-Nonce"

_LIST_INDEX = re.compile(r"\%5B([0-9])*\%5D")
_NONE = re.compile(r"\=None")


def _http_query(params: Mapping[str, object], topkey: str = "") -> str:
    """authy-python ``__make_http_query``: PHP-style flattening, every pair followed by ``&``
    except the very last one at the top level."""
    if len(params) == 0:
        return ""
    result = ""
    for key, value in params.items():
        newkey = quote(key) if topkey == "" else topkey + quote("[" + key + "]")
        if isinstance(value, dict):
            result += _http_query(value, newkey)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    result += _http_query(item, newkey + quote(f"[{index}]"))
                else:
                    result += newkey + quote(f"[{index}]") + "=" + quote(str(item)) + "&"
        elif isinstance(value, bool):
            result += newkey + "=" + quote(str(value).lower()) + "&"
        else:
            result += newkey + "=" + quote(str(value)) + "&"
    if result and topkey == "" and result[-1] == "&":
        result = result[:-1]
    return result


def canonical_params(params: Mapping[str, object]) -> str:
    """The sorted, encoded parameter string that goes after the last ``|``."""
    query = _http_query(params)
    pairs = sorted(query.replace("/", "%2F").replace("%20", "+").split("&"))
    return _NONE.sub("=", _LIST_INDEX.sub("%5B%5D", "&".join(pairs)))


def sign(api_key: str, nonce: str, method: str, url: str, params: Mapping[str, object]) -> str:
    """The ``X-Authy-Signature`` Authy sends for a callback of ``method`` to ``url``."""
    data = f"{nonce}|{method}|{url}|{canonical_params(params)}"
    digest = hmac.digest(api_key.encode(), data.encode(), hashlib.sha256)
    return base64.b64encode(digest).decode("ascii")


def verify(
    api_key: str,
    headers: Mapping[str, str],
    method: str,
    url: str,
    params: Mapping[str, object],
) -> bool:
    """True when ``headers`` carry a valid signature of this callback (compared in constant time).

    ``headers`` are looked up case-insensitively; a missing signature or nonce is not valid.
    ``url`` is the callback URL as configured, ``params`` the decoded JSON body (POST) or query
    (GET).
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    signature = lowered.get(SIGNATURE_HEADER.lower())
    nonce = lowered.get(NONCE_HEADER.lower())
    if not signature or not nonce:
        return False
    expected = sign(api_key, nonce, method, url, params)
    return hmac.compare_digest(expected.encode(), signature.encode())
