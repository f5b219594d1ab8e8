// Seals and opens shared notes in the browser, so the server never sees them.
// The same steps as trials/sealing.py: scrypt (from the vendored @noble/hashes)
// makes a master key from the passcode; HKDF-SHA256 splits it into an encryption
// key (AES-256-GCM) and an opening key, which proves the passcode to the server.
import { scryptAsync } from "../vendor/noble-hashes/scrypt.js";

var ENCRYPTION_INFO = "trialfinder notes v1 encryption";
var OPENING_INFO = "trialfinder notes v1 opening";
var PASSCODE_DIGITS = 16;
var encoder = new TextEncoder();

export function supported() {
  return Boolean(window.crypto && window.crypto.subtle && window.crypto.getRandomValues);
}

export function toBase64(bytes) {
  var text = "";
  bytes = new Uint8Array(bytes);
  for (var i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

export function fromBase64(text) {
  var raw = atob(text);
  var bytes = new Uint8Array(raw.length);
  for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

// Digits only: spaces and dashes dropped, full-width digits made plain, as the server does.
export function normalizePasscode(text) {
  return (text || "").normalize("NFKC").replace(/[^0-9]/g, "");
}

export function displayPasscode(passcode) {
  return passcode.replace(/(\d{4})(?=\d)/g, "$1 ");
}

function newPasscode() {
  var digits = "";
  while (digits.length < PASSCODE_DIGITS) {
    var bytes = crypto.getRandomValues(new Uint8Array(32));
    for (var i = 0; i < bytes.length && digits.length < PASSCODE_DIGITS; i++) {
      // 250 = 25 * 10: bytes above it would make low digits likelier.
      if (bytes[i] < 250) digits += String(bytes[i] % 10);
    }
  }
  return digits;
}

export async function deriveKeys(passcode, salt, params) {
  var master = await scryptAsync(encoder.encode(passcode), salt, {
    N: params.n,
    r: params.r,
    p: params.p,
    dkLen: 32,
  });
  var base = await crypto.subtle.importKey("raw", master, "HKDF", false, ["deriveKey", "deriveBits"]);
  master.fill(0);
  var hkdf = function (info) {
    return { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode(info) };
  };
  var encryption = await crypto.subtle.deriveKey(hkdf(ENCRYPTION_INFO), base, { name: "AES-GCM", length: 256 }, false, [
    "encrypt",
    "decrypt",
  ]);
  var opening = new Uint8Array(await crypto.subtle.deriveBits(hkdf(OPENING_INFO), base, 256));
  return { encryption: encryption, opening: opening };
}

// Seals the text; returns what the server stores (base64) and the passcode to show once.
export async function seal(text, params) {
  var passcode = newPasscode();
  var salt = crypto.getRandomValues(new Uint8Array(16));
  var nonce = crypto.getRandomValues(new Uint8Array(12));
  var keys = await deriveKeys(passcode, salt, params);
  var ciphertext = await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce }, keys.encryption, encoder.encode(text));
  var verifier = await crypto.subtle.digest("SHA-256", keys.opening);
  return {
    passcode: passcode,
    fields: {
      salt: toBase64(salt),
      nonce: toBase64(nonce),
      ciphertext: toBase64(ciphertext),
      verifier: toBase64(verifier),
      kdf_n: String(params.n),
      kdf_r: String(params.r),
      kdf_p: String(params.p),
    },
  };
}

export async function unseal(keys, nonce, ciphertext) {
  var plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64(nonce) }, keys.encryption, fromBase64(ciphertext));
  return new TextDecoder().decode(plain);
}
