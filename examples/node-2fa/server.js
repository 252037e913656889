// A small 2FA service in Node.js, standard library only, written the way a team would in an
// afternoon: passwords, a phone verified by an SMS code sent through Twilio's Messages API,
// TOTP enrollment (an otpauth URI), and login with a second factor (SMS code or TOTP).
//
// It talks to Twilio over HTTP at TWILIO_BASE_URL (default https://api.twilio.com): point it at
// `twofa-sim serve` (http://127.0.0.1:8025/twilio) and run it under libfaketime to move its clock.
//
// Environment: PORT (0: any free port), TWILIO_BASE_URL, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN,
// TWILIO_FROM, ISSUER. It prints "listening on http://127.0.0.1:PORT" once it is ready.
"use strict";

const crypto = require("node:crypto");
const http = require("node:http");

const config = {
  twilioBaseUrl: (process.env.TWILIO_BASE_URL || "https://api.twilio.com").replace(/\/$/, ""),
  accountSid: process.env.TWILIO_ACCOUNT_SID || "",
  authToken: process.env.TWILIO_AUTH_TOKEN || "",
  smsFrom: process.env.TWILIO_FROM || "+15005550006",
  issuer: process.env.ISSUER || "NodeShop",
};
const SMS_CODE_TTL_MS = 10 * 60 * 1000;
const MAX_BODY = 16 * 1024;

// --- state (in memory) -------------------------------------------------------------------------
const users = new Map(); // name -> {salt, hash, phone, phoneVerified, totpSecret, totpConfirmed}
const smsCodes = new Map(); // key -> {code, expires}
const logins = new Map(); // id -> {user, passed}

// --- crypto helpers ----------------------------------------------------------------------------
function hashPassword(password, salt) {
  return crypto.scryptSync(password, salt, 32).toString("hex");
}

function sameText(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32(bytes) {
  let bits = 0, value = 0, out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function fromBase32(text) {
  let bits = 0, value = 0;
  const out = [];
  for (const char of text.replace(/=+$/, "")) {
    value = (value << 5) | ALPHABET.indexOf(char);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function hotp(secret, counter) {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const digest = crypto.createHmac("sha1", fromBase32(secret)).update(message).digest();
  const offset = digest[digest.length - 1] & 15;
  const number = digest.readUInt32BE(offset) & 0x7fffffff;
  return String(number % 1_000_000).padStart(6, "0");
}

function totpAccepts(secret, code) {
  const step = Math.floor(Date.now() / 1000 / 30);
  return [-1, 0, 1].some((drift) => sameText(hotp(secret, step + drift), code));
}

// --- Twilio over HTTP ----------------------------------------------------------------------------
async function sendSms(to, body) {
  const url = `${config.twilioBaseUrl}/2010-04-01/Accounts/${config.accountSid}/Messages.json`;
  const response = await fetch(url, {
    method: "POST",
    headers: {
      Authorization: "Basic " + Buffer.from(`${config.accountSid}:${config.authToken}`).toString("base64"),
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ To: to, From: config.smsFrom, Body: body }).toString(),
    signal: AbortSignal.timeout(10_000),
  });
  const data = await response.json().catch(() => ({}));
  if (response.status !== 201) {
    const error = new Error(`twilio ${response.status} ${data.code || ""} ${data.message || ""}`);
    error.status = 502;
    throw error;
  }
  return data.sid;
}

async function sendCode(key, to) {
  const code = String(crypto.randomInt(0, 1_000_000)).padStart(6, "0");
  smsCodes.set(key, { code, expires: Date.now() + SMS_CODE_TTL_MS });
  await sendSms(to, `Your ${config.issuer} code is ${code}`);
}

function checkSmsCode(key, code) {
  const entry = smsCodes.get(key);
  if (!entry) return "no_code";
  if (Date.now() > entry.expires) return "expired";
  if (!sameText(entry.code, code)) return "wrong_code";
  smsCodes.delete(key);
  return "ok";
}

// --- the API -----------------------------------------------------------------------------------
function fail(status, reason) {
  const error = new Error(reason);
  error.status = status;
  error.reason = reason;
  throw error;
}

function user(name) {
  const found = users.get(name);
  if (!found) fail(404, "no_such_user");
  return found;
}

const routes = {
  "POST /register": ({ user: name, password }) => {
    if (!name || !password) fail(400, "missing_fields");
    if (users.has(name)) fail(409, "taken");
    const salt = crypto.randomBytes(16).toString("hex");
    users.set(name, { salt, hash: hashPassword(password, salt), phone: null, phoneVerified: false,
      totpSecret: null, totpConfirmed: false });
    return { ok: true };
  },
  "POST /phone/start": async ({ user: name, phone }) => {
    const account = user(name);
    if (!/^\+[1-9][0-9]{6,14}$/.test(phone || "")) fail(400, "bad_phone");
    account.phone = phone;
    account.phoneVerified = false;
    await sendCode(`phone:${name}`, phone);
    return { ok: true };
  },
  "POST /phone/confirm": ({ user: name, code }) => {
    const account = user(name);
    const verdict = checkSmsCode(`phone:${name}`, code);
    if (verdict !== "ok") return { ok: false, reason: verdict };
    account.phoneVerified = true;
    return { ok: true };
  },
  "POST /totp/enroll": ({ user: name }) => {
    const account = user(name);
    account.totpSecret = base32(crypto.randomBytes(20));
    account.totpConfirmed = false;
    const label = encodeURIComponent(`${config.issuer}:${name}`);
    const uri = `otpauth://totp/${label}?secret=${account.totpSecret}&issuer=${encodeURIComponent(config.issuer)}`;
    return { uri };
  },
  "POST /totp/confirm": ({ user: name, code }) => {
    const account = user(name);
    if (!account.totpSecret) fail(409, "not_enrolled");
    if (!totpAccepts(account.totpSecret, code)) return { ok: false, reason: "wrong_code" };
    account.totpConfirmed = true;
    return { ok: true };
  },
  "POST /login": ({ user: name, password }) => {
    const account = users.get(name);
    if (!account || !sameText(account.hash, hashPassword(password || "", account.salt))) {
      return { status: "refused" };
    }
    const id = crypto.randomUUID();
    const second = account.phoneVerified || account.totpConfirmed;
    logins.set(id, { user: name, passed: !second });
    return { status: second ? "second_factor" : "logged_in", login_id: id };
  },
  "POST /login/sms": async ({ login_id }) => {
    const login = logins.get(login_id);
    if (!login) fail(404, "no_such_login");
    const account = user(login.user);
    if (!account.phoneVerified) fail(409, "no_phone");
    await sendCode(`login:${login_id}`, account.phone);
    return { ok: true };
  },
  "POST /login/verify": ({ login_id, factor, code }) => {
    const login = logins.get(login_id);
    if (!login) fail(404, "no_such_login");
    const account = user(login.user);
    let verdict;
    if (factor === "sms") verdict = checkSmsCode(`login:${login_id}`, code);
    else if (factor === "totp") {
      verdict = account.totpConfirmed && totpAccepts(account.totpSecret, code) ? "ok" : "wrong_code";
    } else fail(400, "bad_factor");
    if (verdict !== "ok") return { ok: false, reason: verdict };
    login.passed = true;
    return { ok: true };
  },
  "GET /whoami": (_body, query) => {
    const login = logins.get(query.get("login_id"));
    return { logged_in: Boolean(login && login.passed), user: login ? login.user : null };
  },
  "GET /time": () => ({ now: Date.now() / 1000 }),
};

function reply(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://localhost");
  const handler = routes[`${req.method} ${url.pathname}`];
  const chunks = [];
  let size = 0;
  req.on("data", (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY) req.destroy();
    else chunks.push(chunk);
  });
  req.on("end", async () => {
    if (!handler) return reply(res, 404, { error: "not_found" });
    let body = {};
    try {
      body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {};
    } catch {
      return reply(res, 400, { error: "bad_json" });
    }
    try {
      reply(res, 200, await handler(body || {}, url.searchParams));
    } catch (error) {
      reply(res, error.status || 500, { error: error.reason || "internal", message: error.message });
    }
  });
});

function listen(port) {
  server.listen(port, "127.0.0.1", () => {
    console.log(`listening on http://127.0.0.1:${server.address().port}`);
  });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)));
}

// Forget everything, as a restart of this in-memory service does.
function resetState() {
  users.clear();
  smsCodes.clear();
  logins.clear();
}

module.exports = { config, routes, state: { users, smsCodes, logins }, resetState, listen };

if (require.main === module) listen(Number(process.env.PORT || 3000));
