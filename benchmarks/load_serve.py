"""Load on ``twofa-sim serve`` (issue 13, section 4): 50 clients at once, nothing lost, latency.

``python -m benchmarks.load_serve [--seconds 30] [--clients 50]`` (what ``make bench-load``
runs; not part of ``make bench``, which it would lengthen by over a minute of both cores).

Two servers run as processes of their own, started the way a user starts them:

* ``twofa-sim serve --port 0 --world W`` where ``W`` delivers SMS at once (``sms: {delay: 0}``),
  so a client reads its code without moving the clock;
* the baseline: the same server framework (the standard library's ``ThreadingHTTPServer``,
  HTTP/1.1 keep-alive, a thread per connection, which ``serve`` is built on) answering every
  request with one static JSON body (:func:`static_main`).

Each of ``--clients`` threads holds one keep-alive connection and repeats one iteration, on a
number of its own that no other iteration uses:

1. ``POST`` Twilio ``Messages.json``: an SMS with a body unique to the iteration (201, a SID);
2. ``POST`` Twilio Verify ``Verifications`` (``Channel=sms``) to the same number (201);
3. ``GET /_twofa/sms/NUMBER``: the phone's inbox (the control API), for the Verify code;
4. ``POST`` Verify ``VerificationCheck`` with that code (``approved``).

Against the fakes every answer is checked: step 3 must show exactly the two SMS of the
iteration, the first with its SID and body, none in flight (a duplicate would be), and step 4
must approve. At the end the exchange log (``GET /_twofa/exchanges``) must hold every send
exactly once with its body. The baseline gets the same requests, byte for byte, and its answers
are only read. The two sides run in alternating slices of at most 5 s (``--seconds`` each in
all), so a busy patch of a shared machine falls on both.

Figures: p50 and p99 of every request's round trip, ours against the baseline (a ratio, with
no target: the issue asks for it reported), and any message lost, duplicated or wrongly answered
(a miss: exit status 1). Requests per second on each side are printed beside them.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from benchmarks._harness import Ratio
from twofa_sim.core.clock import real_monotonic

CLIENTS = 50
SECONDS = 30.0
SLICE = 5.0
"""Longest stretch one side runs before the other takes its turn."""
SENDER = "+15005550006"
WORLD = "seed: 13\nstart: 2026-03-01T09:00:00Z\nsms: {delay: 0}\n"
"""SMS arrive at once: a client reads its code with no move of the virtual clock."""
STATIC_BODY = json.dumps(
    {
        "sid": "SM" + "0" * 32,
        "status": "queued",
        "to": "+15550000000",
        "from": SENDER,
        "body": "Load 00.00000: your code is 000000",
        "num_segments": "1",
        "uri": "/2010-04-01/Accounts/AC0/Messages/SM0.json",
    },
    separators=(",", ":"),
).encode()
"""What the baseline answers to everything: about the size of a Twilio message resource."""
_LISTENING = re.compile(r"listening on (http://\S+)")


# --- the clients ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    """What the clients send: Twilio's Basic auth, the account and a Verify service."""

    account_sid: str
    authorization: str
    verify_service: str


@dataclass
class Tally:
    """What the clients saw: every request's round trip and every fault found in an answer."""

    latencies: list[float] = field(default_factory=list)
    iterations: int = 0
    sent: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Messages API sends: SID -> (number, body)."""
    verifications: list[str] = field(default_factory=list)
    """Numbers a Verify SMS was sent to (one per iteration)."""
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    """Answers that were not what the fake should say (status, body, approval)."""

    def merge(self, other: Tally) -> None:
        self.latencies += other.latencies
        self.iterations += other.iterations
        self.sent.update(other.sent)
        self.verifications += other.verifications
        self.lost += other.lost
        self.duplicated += other.duplicated
        self.wrong += other.wrong

    @property
    def faults(self) -> int:
        return len(self.lost) + len(self.duplicated) + len(self.wrong)

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile (0-100) of the round trips, in seconds (nearest rank)."""
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


class Client:
    """One client: one keep-alive connection, numbers of its own (``+1555`` index, iteration)."""

    def __init__(self, base_url: str, index: int, credentials: Credentials, *, check: bool) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.index = index
        self.credentials = credentials
        self.check = check
        self.next = 0
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.tally = Tally()

    def close(self) -> None:
        self.connection.close()

    def _call(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, Any]:
        headers = {"Authorization": self.credentials.authorization, "Accept": "application/json"}
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = real_monotonic()
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        self.tally.latencies.append(real_monotonic() - start)
        return response.status, json.loads(data) if self.check else None

    def iterate(self) -> None:
        """One iteration (see the module's description), checked against the fakes."""
        serial, self.next = self.next, self.next + 1
        number = f"+1555{self.index:02d}{serial:05d}"
        text = f"Load {self.index:02d}.{serial:05d}: your code is {(serial * 7919) % 1000000:06d}"
        creds, tally = self.credentials, self.tally
        messages = f"/twilio/2010-04-01/Accounts/{creds.account_sid}/Messages.json"
        verify = f"/verify/v2/Services/{creds.verify_service}"
        status, sent = self._call("POST", messages, {"To": number, "From": SENDER, "Body": text})
        if self.check and (status != 201 or sent.get("body") != text):
            tally.wrong.append(f"{number}: Messages answered {status}")
            sent = {}
        status, _ = self._call("POST", f"{verify}/Verifications", {"To": number, "Channel": "sms"})
        if self.check and status != 201:
            tally.wrong.append(f"{number}: Verifications answered {status}")
        status, inbox = self._call("GET", f"/_twofa/sms/{number}")
        code = self._judge_inbox(number, text, sent, inbox) if self.check else "000000"
        form = {"To": number, "Code": code or "000000"}
        status, checked = self._call("POST", f"{verify}/VerificationCheck", form)
        if self.check and code is not None and (status != 200 or checked["status"] != "approved"):
            tally.wrong.append(f"{number}: the code from the inbox was not approved ({status})")
        tally.iterations += 1

    def _judge_inbox(
        self, number: str, text: str, sent: dict[str, Any], inbox: dict[str, Any]
    ) -> str | None:
        """The Verify code from the inbox; every message missing, doubled or foreign noted."""
        tally = self.tally
        if sent.get("sid"):
            tally.sent[sent["sid"]] = (number, text)
        tally.verifications.append(number)
        messages = inbox.get("messages", [])
        ours = [m for m in messages if m["sid"] == sent.get("sid")]
        theirs = [m for m in messages if m["sid"] != sent.get("sid")]
        if sent.get("sid"):
            if not ours:
                tally.lost.append(f"{number}: Messages SMS {sent['sid']}")
            elif len(ours) > 1:
                tally.duplicated.append(f"{number}: Messages SMS {sent['sid']}")
            elif ours[0]["body"] != text or ours[0]["to"] != number:
                tally.wrong.append(f"{number}: Messages SMS {sent['sid']} has the wrong body")
        if not theirs:
            tally.lost.append(f"{number}: the Verify SMS")
        elif len(theirs) > 1:
            tally.duplicated.append(f"{number}: {len(theirs)} other SMS than ours, 1 expected")
        if inbox.get("in_flight"):
            tally.duplicated.append(f"{number}: {inbox['in_flight']} SMS still in flight")
        return str(theirs[-1]["code"]) if len(theirs) == 1 and theirs[0]["code"] else None


def drive(
    clients: Sequence[Client], *, seconds: float | None = None, iterations: int | None = None
) -> Tally:
    """Run every client at once, each on its own thread, for ``seconds`` (a client finishes the
    iteration it is in) or ``iterations`` each; what they saw, merged."""
    deadline = None if seconds is None else real_monotonic() + seconds
    crashed: list[BaseException] = []

    def run(client: Client) -> None:
        try:
            done = 0
            while (iterations is None or done < iterations) and (
                deadline is None or real_monotonic() < deadline
            ):
                client.iterate()
                done += 1
        except BaseException as exc:  # reported below: a client that dies is a finding
            crashed.append(exc)

    threads = [threading.Thread(target=run, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if crashed:
        raise RuntimeError(f"{len(crashed)} clients failed; the first: {crashed[0]!r}")
    total = Tally()
    for client in clients:
        total.merge(client.tally)
        client.tally = Tally()
    return total


def audit(base_url: str, tally: Tally) -> None:
    """Check the served exchange log: every Messages send once, with its body; one Verify send
    per iteration. Findings go into ``tally``."""
    log = _get_json(base_url, "/_twofa/exchanges?provider=twilio")["exchanges"]
    seen: dict[str, int] = {}
    for exchange in log:
        response = exchange.get("response")
        sid = response.get("sid") if isinstance(response, dict) else None
        if exchange["endpoint"] != "messages.create" or sid is None:
            continue
        seen[sid] = seen.get(sid, 0) + 1
        expected = tally.sent.get(sid)
        if expected is not None and exchange["request"].get("Body") != expected[1]:
            tally.wrong.append(f"exchange log: {sid} with another body")
    for sid, (number, _) in tally.sent.items():
        if sid not in seen:
            tally.lost.append(f"exchange log: no send of {sid} to {number}")
        elif seen[sid] > 1:
            tally.duplicated.append(f"exchange log: {sid} sent {seen[sid]} times")
    verify_log = _get_json(base_url, "/_twofa/exchanges?provider=verify")["exchanges"]
    sends: dict[str, int] = {}
    for exchange in verify_log:
        if exchange["endpoint"] == "verifications.create" and exchange["status"] == 201:
            to = exchange["request"].get("To", "")
            sends[to] = sends.get(to, 0) + 1
    for number in tally.verifications:
        if sends.get(number, 0) != 1:
            tally.wrong.append(f"exchange log: {sends.get(number, 0)} Verify sends to {number}")


def credentials(base_url: str) -> Credentials:
    """The served world's Twilio credentials and a fresh Verify service."""
    twilio = _get_json(base_url, "/_twofa/world")["providers"]["twilio"]
    sid, token = twilio["account_sid"], twilio["auth_token"]
    basic = "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        connection.request(
            "POST",
            "/verify/v2/Services",
            body=urlencode({"FriendlyName": "Load"}),
            headers={"Authorization": basic, "Content-Type": "application/x-www-form-urlencoded"},
        )
        service = json.loads(connection.getresponse().read())["sid"]
    finally:
        connection.close()
    return Credentials(sid, basic, service)


def _get_json(base_url: str, path: str) -> Any:
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=120)
    try:
        connection.request("GET", path)
        return json.loads(connection.getresponse().read())
    finally:
        connection.close()


# --- the baseline server ----------------------------------------------------------------------


class StaticHandler(BaseHTTPRequestHandler):
    """Reads the request (body included, to keep the connection in step) and answers
    :data:`STATIC_BODY`, as ``serve``'s handler does with a fake's answer: HTTP/1.1, no log."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # as serve's: else each answer waits 40 ms for an ACK

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(STATIC_BODY)))
        self.end_headers()
        self.wfile.write(STATIC_BODY)

    do_POST = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """No access log (``serve`` keeps none either)."""


class StaticServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # as serve's (socketserver's 5 resets clients that come at once)


def static_main() -> None:
    """The baseline as a process: listen on a free loopback port, print the URL, serve until
    SIGTERM."""
    server = StaticServer(("127.0.0.1", 0), StaticHandler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"static: listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever(poll_interval=0.05)


# --- the processes ----------------------------------------------------------------------------


@contextmanager
def process(argv: list[str]) -> Iterator[str]:
    """Start a server process; yields the URL it prints; SIGTERM and wait at the end."""
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, cwd=root, env=env)
    try:
        assert child.stdout is not None
        for line in child.stdout:
            found = _LISTENING.search(line)
            if found:
                break
        else:
            raise RuntimeError(f"{argv[0]} did not start (exit status {child.wait()})")
        threading.Thread(target=child.stdout.read, daemon=True).start()  # drain the rest
        yield found.group(1)
    finally:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _serve_argv(world: Path) -> list[str]:
    script = Path(sys.executable).parent / "twofa-sim"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "twofa_sim"]
    return [*command, "serve", "--port", "0", "--world", str(world)]


def measure(seconds: float, clients: int) -> tuple[Tally, Tally]:
    """``(ours, baseline)``: the same load on each server, in alternating slices."""
    with tempfile.TemporaryDirectory() as tmp:
        world = Path(tmp, "world.yaml")
        world.write_text(WORLD, encoding="utf-8")
        static = [sys.executable, "-c", "from benchmarks.load_serve import static_main as m; m()"]
        with process(_serve_argv(world)) as served_url, process(static) as static_url:
            creds = credentials(served_url)
            ours = [Client(served_url, i, creds, check=True) for i in range(clients)]
            theirs = [Client(static_url, i, creds, check=False) for i in range(clients)]
            drive(ours, iterations=2)  # warm both (imports, first connections), not counted
            drive(theirs, iterations=2)
            ours_tally, theirs_tally = Tally(), Tally()
            left = seconds
            while left > 0:
                step = min(SLICE, left)
                ours_tally.merge(drive(ours, seconds=step))
                theirs_tally.merge(drive(theirs, seconds=step))
                left -= step
            for client in (*ours, *theirs):
                client.close()
            audit(served_url, ours_tally)
    return ours_tally, theirs_tally


def figures(ours: Tally, theirs: Tally, seconds: float) -> list[Ratio]:
    """The two latency ratios (for reference) and the message check (a miss if anything was
    lost, duplicated or wrongly answered)."""
    for name, tally in (("serve", ours), ("static", theirs)):
        print(
            f"     {name}: {len(tally.latencies) / seconds:,.0f} requests per second, "
            f"{tally.iterations:,} iterations, p50 {tally.percentile(50) * 1e3:.2f} ms, "
            f"p99 {tally.percentile(99) * 1e3:.2f} ms",
            flush=True,
        )
    messages = len(ours.sent) + len(ours.verifications)
    print(
        f"     {messages:,} SMS sent: {len(ours.lost)} lost, {len(ours.duplicated)} duplicated, "
        f"{len(ours.wrong)} wrong answers",
        flush=True,
    )
    for finding in (ours.lost + ours.duplicated + ours.wrong)[:10]:
        print(f"     - {finding}", flush=True)
    return [
        Ratio(
            "serve under load: p50 request",
            ours.percentile(50),
            theirs.percentile(50),
            0.0,
            "info",
            "static ThreadingHTTPServer",
        ),
        Ratio(
            "serve under load: p99 request",
            ours.percentile(99),
            theirs.percentile(99),
            0.0,
            "info",
            "static ThreadingHTTPServer",
        ),
        Ratio(
            "serve under load: SMS lost/duplicated/wrong",
            float(ours.faults),
            float(max(messages, 1)),
            0.0,
            "at_most",
            "SMS sent",
            unit="count",
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load_serve", description=__doc__)
    parser.add_argument("--seconds", type=float, default=SECONDS, help="per side (default 30)")
    parser.add_argument("--clients", type=int, default=CLIENTS, help="at once (default 50)")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 3600 or not 1 <= args.clients <= 99:
        parser.error("--seconds: 0-3600; --clients: 1-99")
    print(
        f"     {args.clients} clients, {args.seconds:g} s per side, alternating slices of "
        f"{min(SLICE, args.seconds):g} s",
        flush=True,
    )
    ours, theirs = measure(args.seconds, args.clients)
    missed = 0
    for ratio in figures(ours, theirs, args.seconds):
        print(ratio.line(), flush=True)
        missed += not ratio.met
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
