// Checks an entry's inclusion proof against the log's signed checkpoint, in the browser,
// and whether the witnesses of the accord's policy cosigned that checkpoint.
//
// Trusts only the log key and the policy in the page's fields (the visitor can replace
// both with ones published elsewhere): the leaf hash is computed from the entry's bytes,
// the root from the proof (RFC 9162), the checkpoint's Ed25519 signature (C2SP signed
// note) and the witnesses' cosignatures (C2SP tlog-cosignature, Ed25519 and ML-DSA-44)
// are verified with WebCrypto, and the quorum is evaluated as C2SP tlog-policy says.
//
// The browser keeps the last checkpoint of each log it trusted (localStorage). A later
// checkpoint of another size is trusted only once the log proves, with an RFC 9162
// consistency proof fetched from this same server (the only request made), that one
// tree extends the other; two histories are shown as a fork.
"use strict";

(function () {
  const enc = new TextEncoder();
  const MAX_TIMESTAMP = (1n << 63n) - 1n;
  const KEPT_PREFIX = "accordwatch:checkpoint:";

  // ---- bytes -------------------------------------------------------------------

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

  function u64(value) {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, BigInt(value));
    return out;
  }

  // an opaque<1..2^8-1> of the TLS presentation language: one length byte, then the bytes
  function u8Prefixed(bytes, what) {
    if (bytes.length < 1 || bytes.length > 255) throw new Error(`${what} must be 1 to 255 bytes`);
    return concat(Uint8Array.of(bytes.length), bytes);
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }

  function nodeHash(left, right) {
    return sha256(concat(Uint8Array.of(1), left, right));
  }

  // POSIX seconds as `2021-03-04T10:00:00Z`, the form the command line prints
  function isoTime(seconds) {
    const n = Number(seconds);
    if (!Number.isSafeInteger(n) || n * 1000 > 8.64e15) return `time ${seconds}`;
    return new Date(n * 1000).toISOString().replace(/\.\d+Z$/, "Z");
  }

  // ---- Merkle proofs (RFC 9162) -------------------------------------------------
  // Sizes are JS numbers: halving uses Math.floor, never the 32-bit bit operators.

  // Section 2.1.3.2: the root an inclusion proof leads to.
  async function rootFromProof(index, size, leaf, proof) {
    if (index >= size) throw new Error(`index ${index} is outside tree size ${size}`);
    let fn = index, sn = size - 1, r = leaf;
    for (const p of proof) {
      if (sn === 0) throw new Error("the proof is longer than the tree is deep");
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw new Error("the proof is shorter than the tree is deep");
    return r;
  }

  function isPowerOfTwo(n) {
    while (n > 1 && n % 2 === 0) n /= 2;
    return n === 1;
  }

  // Section 2.1.4.2: throws unless `proof` shows the tree of size `second` (root
  // `secondRoot`) extends the tree of size `first` (root `firstRoot`), 0 < first < second.
  async function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
    if (!(0 < first && first < second)) throw new Error(`sizes ${first} and ${second} are not increasing`);
    if (proof.some((p) => p.length !== 32)) throw new Error("a proof hash is not 32 bytes");
    if (!proof.length) throw new Error("the consistency proof is empty");
    // when the first tree is a complete subtree, its root is the proof's implicit start
    const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
    let fn = first - 1, sn = second - 1;
    while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    let fr = path[0], sr = path[0];
    for (const c of path.slice(1)) {
      if (sn === 0) throw new Error("the consistency proof is longer than the trees allow");
      if (fn % 2 === 1 || fn === sn) {
        fr = await nodeHash(c, fr);
        sr = await nodeHash(c, sr);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
        }
      } else {
        sr = await nodeHash(sr, c);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw new Error("the consistency proof is shorter than the trees require");
    if (!equal(fr, firstRoot)) throw new Error(`the proof does not lead to the root of size ${first}`);
    if (!equal(sr, secondRoot)) throw new Error(`the proof does not lead to the root of size ${second}`);
  }

  // ---- keys and signed notes (C2SP signed-note, tlog-cosignature) -----------------

  const COSIGNER_TYPES = {
    0x04: { alg: "Ed25519", pubSize: 32, sigSize: 64 },
    0x06: { alg: "ML-DSA-44", pubSize: 1312, sigSize: 2420 },
  };

  function validKeyName(name) {
    return name.length > 0 && !/[+\s]/.test(name);
  }

  // A vkey `name+hexid+base64(type || key)`, its id checked against
  // SHA-256(name || "\n" || type || key)[:4]; `what` names it in errors.
  async function parseVkey(text, what) {
    // the base64 key may itself hold "+": split at the first two only
    const m = /^([^+\s]+)\+([0-9a-f]{8})\+(\S+)$/.exec(text.trim());
    if (!m || !validKeyName(m[1])) throw new Error(`${what} is not name+id+key`);
    const [, name, id, b64] = m;
    let raw;
    try { raw = b64decode(b64); } catch { throw new Error(`${what} ${name}: the key is not base64`); }
    if (!raw.length) throw new Error(`${what} ${name} holds no key`);
    const kid = (await sha256(concat(enc.encode(name + "\n"), raw))).slice(0, 4);
    if (hex(kid) !== id) throw new Error(`${what} ${name}: its id does not match its key`);
    return { name, kid, type: raw[0], pub: raw.slice(1) };
  }

  // The log's key: a C2SP note key of type 0x01 (Ed25519).
  async function parseLogKey(text, what = "the log key") {
    const key = await parseVkey(text, what);
    if (key.type !== 1 || key.pub.length !== 32) throw new Error(`${what} is not an Ed25519 note key`);
    return key;
  }

  // A witness's key: type 0x04 (Ed25519 cosignature/v1) or 0x06 (ML-DSA-44).
  async function parseCosignerKey(text) {
    const key = await parseVkey(text, "the witness key");
    const kind = COSIGNER_TYPES[key.type];
    if (!kind) {
      throw new Error(`witness key ${key.name} is type 0x${key.type.toString(16).padStart(2, "0")}, ` +
        "not a cosigner key (0x04 Ed25519 or 0x06 ML-DSA-44)");
    }
    if (key.pub.length !== kind.pubSize) {
      throw new Error(`${kind.alg} witness key ${key.name} is ${key.pub.length} bytes, not ${kind.pubSize}`);
    }
    return { ...key, ...kind };
  }

  function splitNote(note) {
    const cut = note.lastIndexOf("\n\n");
    if (cut < 0) throw new Error("the checkpoint has no signature block");
    const text = note.slice(0, cut + 1);
    const sigs = note.slice(cut + 2).split("\n").filter((l) => l.length).map((line) => {
      const m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!m) throw new Error(`malformed signature line ${line}`);
      const raw = b64decode(m[2]);
      if (raw.length < 5) throw new Error(`signature too short in line ${line}`);
      return { name: m[1], kid: raw.slice(0, 4), sig: raw.slice(4) };
    });
    const lines = text.split("\n");
    return { text, sigs, origin: lines[0], size: Number(lines[1]), root: b64decode(lines[2]) };
  }

  async function verifyEd25519(pub, sig, message) {
    const key = await crypto.subtle.importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]);
    return crypto.subtle.verify({ name: "Ed25519" }, key, sig, message);
  }

  async function verifyMlDsa44(pub, sig, message) {
    const key = await crypto.subtle.importKey("raw-public", pub, { name: "ML-DSA-44" }, false, ["verify"]);
    return crypto.subtle.verify({ name: "ML-DSA-44" }, key, sig, message);
  }

  // What a cosigner signs. Ed25519 (cosignature/v1) covers the whole note text; ML-DSA-44
  // signs the `cosigned_message` struct, which also binds the cosigner's name but not
  // the checkpoint's extension lines.
  function cosignedMessage(key, note, timestamp) {
    if (key.type === 0x04) return enc.encode(`cosignature/v1\ntime ${timestamp}\n${note.text}`);
    return concat(
      enc.encode("subtree/v1\n\0"),
      u8Prefixed(enc.encode(key.name), "the cosigner name"),
      u64(timestamp),
      u8Prefixed(enc.encode(note.origin), "the log origin"),
      u64(0), u64(note.size),
      note.root,
    );
  }

  // ---- policy (C2SP tlog-policy) -----------------------------------------------

  const NONE = "none";

  // Parses policy text as `log/policy.py` does, refusing it at its first problem.
  async function parsePolicy(text) {
    const policy = { logs: [], witnesses: [], groups: new Map(), quorum: null };
    const names = new Set(), members = new Set(), keysSeen = new Set();
    const lines = text.split("\n");
    if (lines.length && lines[lines.length - 1] === "") lines.pop();
    for (const [i, raw] of lines.entries()) {
      const fail = (message) => { throw new Error(`policy line ${i + 1}: ${message}`); };
      // only tab and newline are allowed among the control characters
      if (/[\x00-\x08\x0b-\x1f\x7f]/.test(raw)) fail("holds a control character");
      const line = raw.replace(/^[ \t]+|[ \t]+$/g, "");
      if (!line || line.startsWith("#")) continue;
      const [word, ...rest] = line.split(/[ \t]+/);
      const keyOnce = (key, what) => {
        if (keysSeen.has(hex(key.pub))) fail(`${what}: its key is listed twice`);
        keysSeen.add(hex(key.pub));
      };
      const freshName = (name) => {
        if (name === NONE) fail(`the name ${NONE} is reserved`);
        if (names.has(name)) fail(`the name ${name} is defined twice`);
      };
      if (word === "log") {
        if (rest.length < 1 || rest.length > 2) fail("a log line is `log <vkey> [<url>]`");
        const key = await parseLogKey(rest[0], "the policy's log key").catch((e) => fail(e.message));
        keyOnce(key, `log ${key.name}`);
        policy.logs.push(key);
      } else if (word === "witness") {
        if (rest.length < 2 || rest.length > 3) fail("a witness line is `witness <name> <vkey> [<url>]`");
        const name = rest[0];
        freshName(name);
        const key = await parseCosignerKey(rest[1]).catch((e) => fail(e.message));
        keyOnce(key, `witness ${name}`);
        names.add(name);
        policy.witnesses.push({ name, key });
      } else if (word === "group") {
        if (rest.length < 3) fail("a group line is `group <name> all|any|<k> <member>...`");
        const [name, k, ...list] = rest;
        freshName(name);
        const unknown = list.find((m) => !names.has(m));
        if (unknown !== undefined) fail(`group ${name} names ${unknown}, which no earlier line defines`);
        if (new Set(list).size !== list.length) fail(`group ${name} lists a member twice`);
        // one way only for each witness to count toward the quorum
        const again = list.find((m) => members.has(m));
        if (again !== undefined) fail(`${again} is already a member of another group`);
        let threshold;
        if (k === "all") threshold = list.length;
        else if (k === "any") threshold = 1;
        else if (/^[1-9][0-9]*$/.test(k) && Number(k) <= list.length) threshold = Number(k);
        else fail(`group ${name}: threshold ${k} must be all, any or a number from 1 to ${list.length}`);
        names.add(name);
        list.forEach((m) => members.add(m));
        policy.groups.set(name, { name, threshold, members: list });
      } else if (word === "quorum") {
        if (rest.length !== 1) fail("a quorum line is `quorum <name>`");
        if (policy.quorum !== null) fail("a second quorum line (a policy has exactly one)");
        if (rest[0] !== NONE && !names.has(rest[0])) fail(`the quorum names ${rest[0]}, which no earlier line defines`);
        policy.quorum = rest[0];
      } else {
        fail(`unknown keyword ${word} (log, witness, group or quorum)`);
      }
    }
    if (policy.quorum === null) throw new Error("the policy has no quorum line");
    return policy;
  }

  // Whether the witnesses in `signed` (a Set of policy names) meet group or witness `name`.
  function holds(policy, name, signed) {
    if (name === NONE) return true;
    const group = policy.groups.get(name);
    if (!group) return signed.has(name);
    return group.members.filter((m) => holds(policy, m, signed)).length >= group.threshold;
  }

  // The earliest moment by which the cosignatures dated `times` (name -> seconds) met
  // the quorum: each witness vouches from its own timestamp on, so the checkpoint is
  // witnessed from the time the last of the earliest sufficient set signed.
  function witnessedAt(policy, times) {
    const signed = new Set();
    const byTime = [...times.entries()].sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    for (const [name, time] of byTime) {
      signed.add(name);
      if (holds(policy, policy.quorum, signed)) return time;
    }
    return null;
  }

  // The quorum in words, e.g. `3 of a, b, c, d` or `all of (any of a, b), c`.
  function describe(policy, name, top = true) {
    if (name === NONE) return "no witnesses";
    const group = policy.groups.get(name);
    if (!group) return name;
    const n = group.members.length;
    const k = group.threshold === n ? "all" : group.threshold === 1 ? "any" : String(group.threshold);
    const words = `${k} of ${group.members.map((m) => describe(policy, m, false)).join(", ")}`;
    return top ? words : `(${words})`;
  }

  // ---- witnesses ----------------------------------------------------------------

  // Verifies one cosignature line by a witness's key; its timestamp (a BigInt).
  async function verifyCosignature(key, note, sig) {
    if (sig.sig.length !== 8 + key.sigSize) {
      throw new Error(`is ${sig.sig.length} bytes, not ${8 + key.sigSize}`);
    }
    const timestamp = new DataView(sig.sig.buffer, sig.sig.byteOffset).getBigUint64(0);
    if (timestamp === 0n || timestamp > MAX_TIMESTAMP) throw new Error(`has timestamp ${timestamp}`);
    const message = cosignedMessage(key, note, timestamp);
    const signature = sig.sig.slice(8);
    const ok = key.type === 0x04
      ? await verifyEd25519(key.pub, signature, message)
      : await verifyMlDsa44(key.pub, signature, message);
    if (!ok) throw new Error("does not verify");
    return timestamp;
  }

  // Every cosignature on the note by a witness of the policy, one step each. Lines by
  // other keys are ignored; a line by a known key that does not verify is a failure, as
  // a signed-note verifier must treat it. Each witness counts once.
  function witnessLabel(witness) {
    const key = witness.key;
    return witness.name === key.name ? key.name : `${witness.name} (${key.name})`;
  }

  async function checkCosignatures(note, policy, say) {
    const rows = policy.witnesses.map((w) => ({ witness: w, time: null, problem: null }));
    for (const sig of note.sigs) {
      for (const row of rows) {
        const key = row.witness.key;
        if (sig.name !== key.name || !equal(sig.kid, key.kid)) continue;
        const who = witnessLabel(row.witness);
        try {
          const time = await verifyCosignature(key, note, sig);
          if (row.time === null) {
            row.time = time;
            say("ok", `${key.alg} cosignature of witness ${who} (key id ${hex(key.kid)}) verifies: ` +
              `signed at ${isoTime(time)}`);
          }
        } catch (err) {
          if (err.name === "NotSupportedError") {
            // an older browser without this algorithm: not counted, but not evidence of anything
            row.problem = `not checked: this browser cannot verify ${key.alg}`;
            say("info", `cosignature of witness ${who} not checked: this browser cannot verify ` +
              `${key.alg} with WebCrypto (${err.name})`);
          } else {
            row.problem = `cosignature ${err.message}`;
            say("no", `${key.alg} cosignature of witness ${who} ${err.message}`);
          }
        }
      }
    }
    for (const row of rows.filter((r) => r.time === null && !r.problem)) {
      say("info", `${row.witness.key.alg} witness ${witnessLabel(row.witness)} did not cosign this checkpoint`);
    }
    return rows;
  }

  // The quorum's verdict in one step, in the words `Witnessed.summary()` uses.
  function quorumStep(policy, rows, say) {
    const times = new Map(rows.filter((r) => r.time !== null).map((r) => [r.witness.name, r.time]));
    const names = [...times.keys()].sort().join(", ") || "none";
    const count = `${times.size} of ${policy.witnesses.length} (${names})`;
    const quorum = describe(policy, policy.quorum);
    if (policy.quorum === NONE) {
      say("info", "the policy asks for no witnesses (quorum none): the checkpoint is only the log's word");
      return { met: true, summary: "the policy asks for no witnesses" };
    }
    if (!holds(policy, policy.quorum, new Set(times.keys()))) {
      const summary = `NOT witnessed: cosigned by ${count}; the quorum is ${quorum}`;
      say("no", summary, true);
      return { met: false, summary };
    }
    const summary = `witnessed by ${count} by ${isoTime(witnessedAt(policy, times))}`;
    say("ok", `${summary} — quorum: ${quorum}`);
    return { met: true, summary };
  }

  // The table of the policy's witnesses: who signed, with which algorithm, and when.
  function showWitnesses(rows) {
    const body = document.querySelector("#witnesses tbody");
    if (!body) return;
    body.replaceChildren(...rows.map((row) => {
      const tr = document.createElement("tr");
      const cells = [row.witness.name, row.witness.key.alg,
        row.problem ?? (row.time !== null ? isoTime(row.time) : "did not cosign")];
      for (const text of cells) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      }
      tr.children[0].className = "mono";
      if (row.problem) tr.className = "alarm";
      else if (row.time === null) tr.children[2].className = "muted";
      return tr;
    }));
    document.getElementById("witnessing").hidden = rows.length === 0;
  }

  // ---- checkpoints this browser has seen -----------------------------------------

  function readKept(origin) {
    try {
      const text = localStorage.getItem(KEPT_PREFIX + origin);
      if (!text) return null;
      const kept = JSON.parse(text);
      return { ...kept, root: b64decode(kept.root) };
    } catch {
      return null;  // storage disabled, or not a record this page wrote
    }
  }

  function keep(note, noteText, previous) {
    // only ever forward: a smaller checkpoint, even a consistent one, replaces nothing
    if (previous && note.size < previous.size) return;
    if (previous && note.size === previous.size) return;  // the same one: keep when first seen
    const record = { origin: note.origin, size: note.size, root: b64encode(note.root),
      note: noteText, seen: new Date().toISOString().replace(/\.\d+Z$/, "Z") };
    try { localStorage.setItem(KEPT_PREFIX + note.origin, JSON.stringify(record)); } catch { /* not kept */ }
  }

  async function fetchConsistency(first, second) {
    const response = await fetch(`/api/log/consistency?first=${first}&second=${second}`,
      { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    const body = await response.json();
    if (body.first !== first || body.second !== second || !Array.isArray(body.proof)) {
      throw new Error("the server answered for other sizes");
    }
    return body.proof.map(b64decode);
  }

  // The two signed checkpoints side by side: anyone holding the log's key can check
  // them, so together they are evidence of the fork.
  function showFork(kept, note, noteText) {
    const box = document.getElementById("fork");
    if (!box) return;
    const block = (title, size, root, text) => {
      const h = document.createElement("h3");
      h.textContent = `${title}: size ${size}, root ${root}`;
      const details = document.createElement("details");
      const summary = document.createElement("summary");
      summary.textContent = "the signed checkpoint";
      const pre = document.createElement("pre");
      pre.className = "mono";
      pre.textContent = text;
      details.append(summary, pre);
      return [h, details];
    };
    const lead = document.createElement("p");
    lead.textContent = "FORK: this log showed this browser two histories. Both checkpoints are " +
      "signed by the log; keep them as evidence.";
    box.replaceChildren(lead,
      ...block(`kept by this browser, seen ${kept.seen}`, kept.size, b64encode(kept.root), kept.note),
      ...block("on this page", note.size, b64encode(note.root), noteText));
    box.hidden = false;
  }

  // Compares the page's checkpoint with the one this browser kept for the log. Returns
  // "fork", "failed" (no proof to be had: not trusted, but no evidence) or "ok".
  async function checkHistory(note, noteText, say) {
    const kept = readKept(note.origin);
    if (!kept) {
      say("info", `this browser has not kept a checkpoint of ${note.origin} before: nothing to compare`);
      return { outcome: "ok", kept };
    }
    const seen = `${kept.size} this browser saw on ${kept.seen}`;
    const fork = (why) => {
      say("no", `FORK: this log showed this browser two histories: ${why}`, true);
      showFork(kept, note, noteText);
      return { outcome: "fork", kept };
    };
    if (kept.size === note.size) {
      if (equal(kept.root, note.root)) {
        say("ok", `the same checkpoint (size ${kept.size}) this browser saw on ${kept.seen}`);
        return { outcome: "ok", kept };
      }
      return fork(`the checkpoint of size ${seen} has root ${b64encode(kept.root)}, ` +
        `this one of the same size has root ${b64encode(note.root)}`);
    }
    const [small, large] = kept.size < note.size ? [kept, note] : [note, kept];
    let proof;
    try {
      proof = await fetchConsistency(small.size, large.size);
    } catch (err) {
      say("no", `could not get the log's consistency proof from size ${small.size} to ` +
        `${large.size} (${err.message}): this checkpoint is not trusted`);
      return { outcome: "failed", kept };
    }
    try {
      await verifyConsistency(small.size, large.size, small.root, large.root, proof);
    } catch (err) {
      return fork(`the log cannot prove that its tree of size ${large.size} extends the one of ` +
        `size ${small.size} (${err.message}; the checkpoint of size ${seen})`);
    }
    say("ok", `consistent with the checkpoint of size ${seen}: ` +
      `the log's consistency proof (${proof.length} hashes) from size ${small.size} to ${large.size} verifies`);
    return { outcome: "ok", kept };
  }

  // ---- the page ------------------------------------------------------------------

  async function checkEntry(data, tamper, leafSay) {
    const { entry, receipt } = data;
    const bytes = b64decode(entry.canonical);
    if (tamper) bytes[Math.floor(bytes.length / 2)] ^= 1;
    const leaf = await sha256(concat(Uint8Array.of(0), bytes));
    const leafOk = b64encode(leaf) === receipt.leaf_hash;
    leafSay(leafOk ? "ok" : "no", `leaf hash SHA-256(0x00 || entry, ${bytes.length} bytes) = ${b64encode(leaf)}` +
      (leafOk ? " matches the log's" : ` differs from the log's ${receipt.leaf_hash}`));
    return leaf;
  }

  // The receipt's inclusion proof against the checkpoint: origin, size and root.
  async function checkInclusion(note, key, receipt, leaf, say) {
    const originOk = note.origin === key.name;
    say(originOk ? "ok" : "no", `checkpoint origin ${note.origin}` +
      (originOk ? " is the log key's name" : ` is not the log key's name ${key.name}`));
    const sizeOk = note.size === receipt.tree_size;
    say(sizeOk ? "ok" : "no", `checkpoint tree size ${note.size}` + (sizeOk ? "" : ` is not the proof's ${receipt.tree_size}`));
    const root = await rootFromProof(receipt.index, receipt.tree_size, leaf, receipt.proof.map(b64decode));
    const rootOk = equal(root, note.root);
    say(rootOk ? "ok" : "no", `inclusion proof of entry ${receipt.index} (${receipt.proof.length} hashes) gives root ` +
      `${b64encode(root)}` + (rootOk ? ", the checkpoint's root" : `, not the checkpoint's ${b64encode(note.root)}`));
    return originOk;
  }

  // The log's own Ed25519 signature on the checkpoint.
  async function checkLogSignature(note, key, say) {
    const sig = note.sigs.find((s) => s.name === key.name && equal(s.kid, key.kid));
    if (!sig) { say("no", "no signature of the log key on the checkpoint"); return false; }
    let ok;
    try {
      ok = await verifyEd25519(key.pub, sig.sig, enc.encode(note.text));
    } catch (err) {
      say("no", `this browser cannot verify Ed25519 with WebCrypto (${err.name}): signature not checked`);
      return false;
    }
    say(ok ? "ok" : "no", `Ed25519 signature of ${key.name} (key id ${hex(key.kid)}) on the checkpoint ` +
      (ok ? "verifies" : "does not verify"));
    return ok;
  }

  // The witnesses' word under the policy in the page's field: "no policy", "witnessed" or
  // "not witnessed", with the summary line, and whether every cosignature by a known key held.
  async function checkWitnessing(note, key, say) {
    const text = document.getElementById("policy")?.value ?? "";
    if (!text.trim()) {
      say("info", "not witnessed: there is no witness policy, so this checkpoint is only the log's word");
      return { witness: "no policy", summary: "", cosignaturesOk: true };
    }
    const policy = await parsePolicy(text);
    let cosignaturesOk = true;
    if (policy.logs.length && !policy.logs.some((l) => l.name === key.name && equal(l.pub, key.pub))) {
      say("no", `the log key ${key.name}+${hex(key.kid)} is not a log of the policy`);
      cosignaturesOk = false;
    }
    const counted = (kind, line) => { if (kind === "no") cosignaturesOk = false; say(kind, line); };
    const rows = await checkCosignatures(note, policy, counted);
    showWitnesses(rows);
    const quorum = quorumStep(policy, rows, say);
    return { witness: quorum.met ? "witnessed" : "not witnessed", summary: quorum.summary, cosignaturesOk };
  }

  // Every step, in order; returns what the verdict needs beyond the count of failed steps.
  async function check(data, tamper, say) {
    const receipt = data.receipt;
    const state = { witness: "no policy", summary: "", history: "ok" };
    const leaf = await checkEntry(data, tamper, say);
    const note = splitNote(receipt.checkpoint);
    const key = await parseLogKey(document.getElementById("log-key").value);
    const originOk = await checkInclusion(note, key, receipt, leaf, say);
    // cosignatures and history are about a checkpoint the log signed, or about nothing
    if (!(await checkLogSignature(note, key, say)) || !originOk) return state;
    const witnessing = await checkWitnessing(note, key, say);
    Object.assign(state, { witness: witnessing.witness, summary: witnessing.summary });
    const history = await checkHistory(note, receipt.checkpoint, say);
    state.history = history.outcome;
    if (history.outcome === "ok" && witnessing.cosignaturesOk && state.witness !== "not witnessed") {
      keep(note, receipt.checkpoint, history.kept);
    }
    return state;
  }

  function verdictFor(data, state, failures) {
    const what = `entry ${data.receipt.index} is in the log signed at tree size ${data.receipt.tree_size}`;
    if (state.history === "fork") return ["failed", "FORK: this log showed this browser two histories (see below)"];
    if (state.witness === "not witnessed") {
      return ["failed", "NOT witnessed: " + (failures
        ? "the witnesses' quorum is not met, and a step failed (marked ✗)"
        : `${what}, but the witnesses' quorum is not met: only the log says so`)];
    }
    if (failures) return ["failed", "failed: see the step marked ✗"];
    if (state.witness === "no policy") {
      return ["verified unwitnessed", `verified against the log's key only: ${what}; ` +
        "NOT witnessed (no witness policy)"];
    }
    return ["verified", `verified: ${what}, ${state.summary}`];
  }

  async function run() {
    const data = JSON.parse(document.getElementById("explorer-data").textContent);
    const list = document.getElementById("steps");
    const verdict = document.getElementById("verdict");
    const fork = document.getElementById("fork");
    const tamper = document.getElementById("tamper").checked;
    list.replaceChildren();
    showWitnesses([]);
    if (fork) fork.hidden = true;
    verdict.className = "verdict pending";
    verdict.textContent = "checking…";
    let failures = 0;
    // kind: "ok" (✓), "no" (✗, fails the check) or "info" (a fact, neither); a step that
    // is itself the verdict (not witnessed, a fork) is not counted as a further failure
    const say = (kind, text, isVerdict = false) => {
      const li = document.createElement("li");
      li.className = kind;
      li.textContent = text;
      list.appendChild(li);
      if (kind === "no" && !isVerdict) failures++;
    };
    let state = { witness: "no policy", history: "ok" };
    try {
      state = await check(data, tamper, say);
    } catch (err) {
      say("no", String(err.message || err));
    }
    const [cls, text] = verdictFor(data, state, failures);
    verdict.className = "verdict " + cls;
    verdict.textContent = text;
  }

  function allowPolicyEdits() {
    const field = document.getElementById("policy");
    field.readOnly = false;
    field.focus();
    document.getElementById("edit-policy").disabled = true;
  }

  // the pieces a reader may want to try by hand from the console (and the tests compare
  // with the Python core's): nothing on the page depends on this
  window.accordwatchExplorer = Object.freeze({ parsePolicy, describe, verifyConsistency, holds });

  document.getElementById("edit-policy")?.addEventListener("click", allowPolicyEdits);
  const again = document.getElementById("verify-again");
  if (again) {
    again.addEventListener("click", run);
    document.getElementById("tamper").addEventListener("change", run);
    run();
  }
})();
