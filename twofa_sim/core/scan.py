"""Read an enrollment QR code the way a careful authenticator app would, and judge it.

:func:`scan_image` decodes an image with both decoders, parses the otpauth URI it holds and lints
it (or, for a Google Authenticator export, ``otpauth-migration://``, decodes and lints every
account in it); :class:`Scan` is what ``twofa-sim qr read`` prints. Secrets are masked unless
asked for, in every shape a QR code can carry one (:func:`~twofa_sim.core.secret.redact_payload`).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

from twofa_sim.core.keyuri import Finding, KeyUri, parse_uri
from twofa_sim.core.migration import MigrationAccount, is_migration, lint_text, parse_migration
from twofa_sim.core.qr import Decoded, decode_image
from twofa_sim.core.secret import redact_payload
from twofa_sim.errors import KeyUriError, MultipleQRCodesError, NoQRCodeError

__all__ = ["Scan", "scan_image"]


@dataclass(frozen=True)
class Scan:
    """What reading one image gave: both decodes, the URI (if readable), the accounts of a Google
    Authenticator export (if it is one) and every finding."""

    image: str
    zbar: str | None
    zxing: str | None
    uri: KeyUri | None
    findings: tuple[Finding, ...]
    accounts: tuple[MigrationAccount, ...] = ()

    @property
    def agree(self) -> bool:
        """Both decoders read a code and read the same text."""
        return self.zbar is not None and self.zbar == self.zxing

    @property
    def ok(self) -> bool:
        """Read, agreed, and no error finding: the scan a user could trust."""
        return self.agree and not any(f.severity == "error" for f in self.findings)

    def as_dict(self, *, show_secret: bool = False) -> dict[str, object]:
        """The ``qr read --json`` object; secrets masked unless ``show_secret``.

        ``accounts`` lists a Google Authenticator export's accounts (empty for anything else).
        """

        def shown(text: str | None) -> str | None:
            return text if text is None or show_secret else redact_payload(text)

        return {
            "image": self.image,
            "decoded": {"zbar": shown(self.zbar), "zxing": shown(self.zxing)},
            "agree": self.agree,
            "uri": None if self.uri is None else self.uri.as_dict(show_secret=show_secret),
            "accounts": [a.as_dict(show_secret=show_secret) for a in self.accounts],
            "findings": [
                {"rule": f.rule, "severity": f.severity, "message": f.message}
                for f in self.findings
            ],
        }


def _reader_finding(rule: str, message: str) -> Finding:
    return Finding(rule=rule, severity="error", message=message)


def scan_image(source: str | os.PathLike[str] | bytes, *, name: str | None = None) -> Scan:
    """Decode ``source`` with zbar and zxing, then parse and lint the otpauth URI found.

    Raises :class:`~twofa_sim.errors.ImageError` when the file is missing or not an image. An
    image with no QR code, with several, or on which the decoders disagree is not an exception: it
    comes back as a :class:`Scan` with an error finding (``qr-not-found``, ``qr-multiple``,
    ``qr-decoders-disagree``), so a report can still show it.
    """
    label = (
        name
        if name is not None
        else (os.fspath(source) if not isinstance(source, bytes) else "<bytes>")
    )
    try:
        decoded: Decoded = decode_image(source, name=label)
    except NoQRCodeError:
        finding = _reader_finding("qr-not-found", "neither decoder found a QR code in the image")
        return Scan(label, None, None, None, (finding,))
    except MultipleQRCodesError as exc:
        finding = _reader_finding(
            "qr-multiple", f"the image holds {exc.count} different QR codes; expected one"
        )
        return Scan(label, None, None, None, (finding,))
    findings: list[Finding] = []
    if not decoded.agree:
        missing = [n for n, t in (("zbar", decoded.zbar), ("zxing", decoded.zxing)) if t is None]
        detail = f"{missing[0]} found no QR code" if missing else "they read different text"
        findings.append(
            _reader_finding("qr-decoders-disagree", f"the two decoders disagree: {detail}")
        )
    # zbar is the reference decoder: when both read something different, its text is judged.
    text = decoded.zbar if decoded.zbar is not None else decoded.zxing
    assert text is not None  # decode_image raises NoQRCodeError when neither read anything
    findings.extend(lint_text(text))
    uri: KeyUri | None = None
    accounts: tuple[MigrationAccount, ...] = ()
    if is_migration(text):
        with contextlib.suppress(KeyUriError):  # reported by lint_text (migration-malformed)
            accounts = parse_migration(text).accounts
    else:
        with contextlib.suppress(KeyUriError):  # reported by lint_text
            uri = parse_uri(text)
    return Scan(label, decoded.zbar, decoded.zxing, uri, tuple(findings), accounts)
