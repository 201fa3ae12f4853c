// Checks an entry's inclusion proof against the log's signed checkpoint, in the browser.
// Trusts only the log key in the page's key field: the leaf hash is computed from the
// entry's bytes, the root from the proof (RFC 9162), and the checkpoint's Ed25519
// signature (C2SP signed note) is verified with WebCrypto. Nothing is fetched.
"use strict";

(function () {
  const enc = new TextEncoder();

  function b64decode(text) {
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function b64encode(bytes) {
    let bin = "";
    for (const b of bytes) bin += String.fromCharCode(b);
    return btoa(bin);
  }

  function hex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  function equal(a, b) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }

  // RFC 9162 section 2.1.3.2: the root an inclusion proof leads to.
  async function rootFromProof(index, size, leaf, proof) {
    if (index >= size) throw new Error(`index ${index} is outside tree size ${size}`);
    let fn = index, sn = size - 1, r = leaf;
    for (const p of proof) {
      if (sn === 0) throw new Error("the proof is longer than the tree is deep");
      if (fn % 2 === 1 || fn === sn) {
        r = await sha256(concat(Uint8Array.of(1), p, r));
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
        }
      } else {
        r = await sha256(concat(Uint8Array.of(1), r, p));
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw new Error("the proof is shorter than the tree is deep");
    return r;
  }

  // A C2SP note verifier key: name+hexid+base64(0x01 || Ed25519 public key).
  async function parseKey(text) {
    // the base64 key may itself hold "+": split at the first two only
    const m = /^([^+\s]+)\+([0-9a-f]{8})\+(\S+)$/.exec(text.trim());
    if (!m) throw new Error("the log key is not name+id+key");
    const [, name, id, b64] = m;
    const raw = b64decode(b64);
    if (raw.length !== 33 || raw[0] !== 1) throw new Error("the log key is not an Ed25519 note key");
    const kid = (await sha256(concat(enc.encode(name + "\n"), raw))).slice(0, 4);
    if (hex(kid) !== id) throw new Error("the log key's id does not match its key");
    return { name, kid, pub: raw.slice(1) };
  }

  function splitNote(note) {
    const cut = note.lastIndexOf("\n\n");
    if (cut < 0) throw new Error("the checkpoint has no signature block");
    const text = note.slice(0, cut + 1);
    const sigs = note.slice(cut + 2).split("\n").filter((l) => l.length).map((line) => {
      const m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!m) throw new Error(`malformed signature line ${line}`);
      const raw = b64decode(m[2]);
      return { name: m[1], kid: raw.slice(0, 4), sig: raw.slice(4) };
    });
    const lines = text.split("\n");
    return { text, sigs, origin: lines[0], size: Number(lines[1]), root: b64decode(lines[2]) };
  }

  async function verifyEd25519(pub, sig, message) {
    const key = await crypto.subtle.importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]);
    return crypto.subtle.verify({ name: "Ed25519" }, key, sig, message);
  }

  async function check(data, tamper, say) {
    const entry = data.entry, receipt = data.receipt;
    const bytes = b64decode(entry.canonical);
    if (tamper) bytes[Math.floor(bytes.length / 2)] ^= 1;
    const leaf = await sha256(concat(Uint8Array.of(0), bytes));
    const leafOk = b64encode(leaf) === receipt.leaf_hash;
    say(leafOk, `leaf hash SHA-256(0x00 || entry, ${bytes.length} bytes) = ${b64encode(leaf)}` +
      (leafOk ? " matches the log's" : ` differs from the log's ${receipt.leaf_hash}`));
    const note = splitNote(receipt.checkpoint);
    const key = await parseKey(document.getElementById("log-key").value);
    say(note.origin === key.name, `checkpoint origin ${note.origin}` +
      (note.origin === key.name ? " is the log key's name" : ` is not the log key's name ${key.name}`));
    const sizeOk = note.size === receipt.tree_size;
    say(sizeOk, `checkpoint tree size ${note.size}` + (sizeOk ? "" : ` is not the proof's ${receipt.tree_size}`));
    const root = await rootFromProof(receipt.index, receipt.tree_size, leaf,
      receipt.proof.map(b64decode));
    const rootOk = equal(root, note.root);
    say(rootOk, `inclusion proof of entry ${receipt.index} (${receipt.proof.length} hashes) gives root ` +
      `${b64encode(root)}` + (rootOk ? ", the checkpoint's root" : `, not the checkpoint's ${b64encode(note.root)}`));
    const sig = note.sigs.find((s) => s.name === key.name && equal(s.kid, key.kid));
    if (!sig) { say(false, "no signature of the log key on the checkpoint"); return; }
    let sigOk;
    try {
      sigOk = await verifyEd25519(key.pub, sig.sig, enc.encode(note.text));
    } catch (err) {
      say(false, `this browser cannot verify Ed25519 with WebCrypto (${err.name}): signature not checked`);
      return;
    }
    say(sigOk, `Ed25519 signature of ${key.name} (key id ${hex(key.kid)}) on the checkpoint ` +
      (sigOk ? "verifies" : "does not verify"));
  }

  async function run() {
    const data = JSON.parse(document.getElementById("explorer-data").textContent);
    const list = document.getElementById("steps");
    const verdict = document.getElementById("verdict");
    const tamper = document.getElementById("tamper").checked;
    list.replaceChildren();
    verdict.className = "verdict pending";
    verdict.textContent = "checking…";
    let allOk = true;
    const say = (ok, text) => {
      const li = document.createElement("li");
      li.className = ok ? "ok" : "no";
      li.textContent = text;
      list.appendChild(li);
      allOk = allOk && ok;
    };
    try {
      await check(data, tamper, say);
    } catch (err) {
      say(false, String(err.message || err));
    }
    verdict.className = "verdict " + (allOk ? "verified" : "failed");
    verdict.textContent = allOk
      ? `verified: entry ${data.receipt.index} is in the log signed at tree size ${data.receipt.tree_size}`
      : "failed: see the step marked ✗";
  }

  document.getElementById("verify-again").addEventListener("click", run);
  document.getElementById("tamper").addEventListener("change", run);
  run();
})();
