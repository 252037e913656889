// The test-only layer that lets twofa-sim drive node-2fa black-box: the HTTP target contract
// (twofa_sim/data/target-contract.openapi.json) under /twofa-test, beside the service's own API.
// Standard library only. Start it instead of server.js when testing:
//
//   PORT=3000 node contract.js      then   twofa-sim run --target http://127.0.0.1:3000/twofa-test
//
// It maps each operation of the contract onto the service's own routes (the code under test),
// and reads the service's state only to answer what a profile page would show (account) or
// what it keeps (stored_bytes). Time: under libfaketime (FAKETIME_TIMESTAMP_FILE set) the
// service reads the system clock as it always does; otherwise the runner POSTs the virtual time
// to /twofa-test/clock and this layer makes Date.now() return it (the service uses Date.now()).
// Never deploy this file: it resets every user on request.
"use strict";

const app = require("./server.js");

const PREFIX = "/twofa-test";
const FAKETIME_FILE = process.env.FAKETIME_TIMESTAMP_FILE || null;
const REASONS = { no_code: "nothing_pending", expired: "expired", wrong_code: "wrong_code" };

// --- time: libfaketime, or the clock hook ------------------------------------------------------
let hookNow = null; // Unix seconds, as last told
if (!FAKETIME_FILE) {
  const realNow = Date.now;
  Date.now = () => (hookNow === null ? realNow() : Math.floor(hookNow * 1000));
}

// --- helpers -------------------------------------------------------------------------------------
function refused(kind, message, extra = {}) {
  return { refused: { kind, message, ...extra } };
}

function masked(phone) {
  const digits = String(phone || "");
  return digits.slice(0, 1) + "*".repeat(Math.max(0, digits.length - 5)) + digits.slice(-4);
}

// Call one of the service's own routes; its errors become the contract's refusals.
async function route(name, body, query = new URLSearchParams()) {
  try {
    return { answer: await app.routes[name](body, query) };
  } catch (error) {
    if (error.status === 502 || error.name === "TimeoutError" || error.name === "AbortError" ||
        (error instanceof TypeError && /fetch failed/.test(error.message))) {
      return { refusal: refused("provider_unavailable", "SMS could not be sent", {
        provider: "SMS", detail: error.status === 502 ? error.message : error.name }) };
    }
    if (error.status && error.status < 500) {
      return { refusal: refused("invalid_input", error.reason || error.message, { where: name }) };
    }
    throw error;
  }
}

function outcome(answer) {
  if (answer.ok) return { ok: true, reason: "accepted" };
  return { ok: false, reason: REASONS[answer.reason] || "rejected", detail: answer.reason || "" };
}

function challenge(key, requestId, phone) {
  const entry = app.state.smsCodes.get(key);
  return {
    request_id: requestId,
    channel: "sms",
    expires_at: entry ? entry.expires / 1000 : null,
    destination: masked(phone),
  };
}

function factorsOf(account) {
  const factors = [];
  if (account.totpConfirmed) factors.push("totp");
  if (account.phoneVerified) factors.push("sms");
  return factors;
}

// --- the contract --------------------------------------------------------------------------------
const operations = {
  reset: (body) => {
    const fakes = body.fakes.twilio;
    app.config.twilioBaseUrl = fakes.base_url.replace(/\/$/, "");
    app.config.accountSid = fakes.account_sid;
    app.config.authToken = fakes.auth_token;
    app.config.smsFrom = fakes.from;
    app.config.issuer = body.issuer || app.config.issuer;
    if (!FAKETIME_FILE) hookNow = body.now;
    app.resetState();
    return { now: Date.now() / 1000, policy: { totp: { steps_back: 1, steps_forward: 1 } } };
  },
  clock: (body) => {
    if (!FAKETIME_FILE) hookNow = body.now;
    return {};
  },
  register: async ({ user, password }) => {
    const { refusal } = await route("POST /register", { user, password });
    return refusal || {};
  },
  start_phone_verification: async ({ user, phone }) => {
    const { refusal } = await route("POST /phone/start", { user, phone });
    return refusal || challenge(`phone:${user}`, `phone:${user}`, phone);
  },
  change_phone: (body) => operations.start_phone_verification(body),
  confirm_phone: async ({ user, code }) => {
    const { answer, refusal } = await route("POST /phone/confirm", { user, code });
    return refusal || outcome(answer);
  },
  generate_qr: async ({ user }) => {
    const { answer, refusal } = await route("POST /totp/enroll", { user });
    // No PNG: the service's page draws the URI (twofa-sim draws it the same way).
    return refusal || { uri: answer.uri, confirmed: false };
  },
  confirm_totp: async ({ user, code }) => {
    const { answer, refusal } = await route("POST /totp/confirm", { user, code });
    if (refusal && refusal.refused.message === "not_enrolled") {
      return { ok: false, reason: "nothing_pending" };
    }
    return refusal || outcome(answer);
  },
  login: async ({ user, password }) => {
    const { answer, refusal } = await route("POST /login", { user, password });
    if (refusal) return refusal;
    if (answer.status === "refused") return { status: "refused", reason: "bad_credentials" };
    const account = app.state.users.get(user);
    return { status: answer.status, login_id: answer.login_id, factors: factorsOf(account) };
  },
  send_login_code: async ({ user, login_id: loginId, channel }) => {
    if (channel !== "sms") return refused("invalid_input", `node-2fa sends no ${channel}`);
    const { refusal } = await route("POST /login/sms", { login_id: loginId });
    const account = app.state.users.get(user);
    return refusal || challenge(`login:${loginId}`, loginId, account && account.phone);
  },
  verify_login: async ({ login_id: loginId, factor, code }) => {
    if (factor !== "sms" && factor !== "totp") return { ok: false, reason: "no_such_factor" };
    if (!app.state.logins.has(loginId)) return { ok: false, reason: "unknown_request" };
    const { answer, refusal } = await route("POST /login/verify", { login_id: loginId, factor, code });
    return refusal || outcome(answer);
  },
  logged_in: async ({ login_id: loginId }) => {
    const { answer } = await route("GET /whoami", {}, new URLSearchParams({ login_id: loginId }));
    return { logged_in: answer.logged_in };
  },
  generate_recovery_codes: () => refused("invalid_input", "node-2fa has no recovery codes"),
  disable_two_factor: () => refused("invalid_input", "node-2fa cannot turn two-factor off"),
  account: ({ user }) => {
    const account = app.state.users.get(user);
    if (!account) return refused("invalid_input", "no such user", { where: "user" });
    const factors = factorsOf(account);
    return {
      two_factor: factors.length > 0,
      factors,
      phone: account.phoneVerified ? account.phone : null,
      locked: false,
    };
  },
  // A restart of an in-memory service: everything is gone.
  restart: () => {
    app.resetState();
    return {};
  },
  stored_bytes: () => {
    const dump = JSON.stringify({
      users: Object.fromEntries(app.state.users),
      smsCodes: Object.fromEntries(app.state.smsCodes),
      logins: Object.fromEntries(app.state.logins),
    });
    return { base64: Buffer.from(dump).toString("base64") };
  },
};

function discovery() {
  return {
    contract: "twofa-sim-target/1",
    name: "node-2fa",
    features: ["restart", "storage"],
    policy_settings: [],
    providers: ["messages"],
    reports_reasons: true,
    default_policy: { sms_code_ttl: 600, sms_code_digits: 6, totp: { steps_back: 1, steps_forward: 1 } },
    time: FAKETIME_FILE ? "faketime" : "hook",
    faketime_file: FAKETIME_FILE,
    versions: { node: process.version },
  };
}

app.routes[`GET ${PREFIX}`] = discovery;
app.routes[`GET ${PREFIX}/`] = discovery;
for (const [name, handler] of Object.entries(operations)) {
  app.routes[`POST ${PREFIX}/${name}`] = (body) => handler(body || {});
}

app.listen(Number(process.env.PORT || 3000));
