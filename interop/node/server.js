'use strict';
// The lab's server harness for the npm package ssh2 (interop/README.md):
//   node server.js MODULE_DIR PORT KEYDIR
// Default algorithms; the host keys of KEYDIR (each in the first form this version can read);
// refuses every login. Prints `listening`, then one {"chosen": {...}} line per key exchange;
// a connection's errors go to stderr as "ssh2 server: client error: MESSAGE".

const fs = require('fs');
const path = require('path');

const [moduleDir, port, keyDir] = process.argv.slice(2);
const ssh2 = require(path.join(path.resolve(moduleDir), 'node_modules', 'ssh2'));
const AEAD = new Set(['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-gcm', 'aes256-gcm',
                      'chacha20-poly1305@openssh.com']);
const parseKey = ssh2.utils && ssh2.utils.parseKey;

// 1.x reads OpenSSH-format keys; ssh2-streams 0.4 (ssh2 0.8.x) wants PEM. Keep the first readable form.
const CANDIDATES = [
  ['ssh_host_ed25519_key', 'ssh_host_ed25519_key.pem'],
  ['ssh_host_ecdsa_key', 'ssh_host_ecdsa_key.pem'],
  ['ssh_host_rsa_key', 'ssh_host_rsa_key.pkcs1', 'ssh_host_rsa_key.pem'],
];
const hostKeys = [];
for (const names of CANDIDATES) {
  for (const name of names) {
    let data;
    try { data = fs.readFileSync(path.join(keyDir, name)); } catch (e) { continue; }
    let parsed;
    try {
      parsed = parseKey ? parseKey(data) : null;
    } catch (e) {
      parsed = e;
    }
    if (parsed instanceof Error || (Array.isArray(parsed) && !parsed.length)) continue;
    if (!parseKey) {
      // 0.8.x: only the Server constructor tells whether a key is readable.
      try { new ssh2.Server({ hostKeys: [data] }); } catch (e) { continue; }
    }
    hostKeys.push(data);
    break;
  }
}

const SLOTS = [
  [/DEBUG: KEX algorithm: (\S+)/, 'kex'],
  [/DEBUG: Host key format: (\S+)/, 'hostkey'],
  [/DEBUG: Client->Server Cipher: (\S+)/, 'cipher_c2s'],
  [/DEBUG: Server->Client Cipher: (\S+)/, 'cipher_s2c'],
  [/DEBUG: Client->Server HMAC algorithm: (\S+)/, 'mac_c2s'],
  [/DEBUG: Server->Client HMAC algorithm: (\S+)/, 'mac_s2c'],
  [/DEBUG: Client->Server compression algorithm: (\S+)/, 'compression_c2s'],
  [/DEBUG: Server->Client compression algorithm: (\S+)/, 'compression_s2c'],
];

function emit(chosen) {
  if (AEAD.has(chosen.cipher_c2s)) chosen.mac_c2s = null;
  if (AEAD.has(chosen.cipher_s2c)) chosen.mac_s2c = null;
  process.stdout.write(JSON.stringify({ chosen }) + '\n');
}

// 0.8.x says what it chose only in debug lines (one connection's lines arrive together, in order).
let pending = {};
const debug = (msg) => {
  if (process.env.SSHDOCTOR_SSH2_DEBUG) process.stderr.write(msg + '\n');
  for (const [re, slot] of SLOTS) {
    const m = re.exec(msg);
    if (m) {
      pending[slot] = m[1];
      if (slot === 'compression_s2c') {
        emit(pending);
        pending = {};
      }
    }
  }
};

// 0.8.x has no 'handshake' event: what it chose comes from its debug lines.
const legacy = require(path.join(path.resolve(moduleDir), 'node_modules', 'ssh2', 'package.json')).version.startsWith('0.');
const server = new ssh2.Server(legacy ? { hostKeys, debug } : { hostKeys }, (client) => {
  client.on('handshake', (n) => emit({
    kex: n.kex,
    hostkey: n.serverHostKey || n.srvHostKey,
    cipher_c2s: n.cs.cipher,
    cipher_s2c: n.sc.cipher,
    mac_c2s: n.cs.mac || null,
    mac_s2c: n.sc.mac || null,
    compression_c2s: n.cs.compress,
    compression_s2c: n.sc.compress,
  }));
  client.on('authentication', (ctx) => ctx.reject());
  client.on('error', (err) => {
    process.stderr.write(`ssh2 server: client error: ${err.message}` + (err.level ? ` (level: ${err.level})` : '') + '\n');
  });
});
server.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write('listening\n');
});
