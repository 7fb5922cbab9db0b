'use strict';
// The lab's client harness for the npm package ssh2 (interop/README.md):
//   node client.js MODULE_DIR HOST PORT [PORT ...]
// MODULE_DIR is an `npm install --prefix` folder holding node_modules/ssh2. One JSON line per port.
// Nothing is configured but what the contract needs: user, a wrong password, a 10 s bound.
// 1.x tells what it negotiated through the 'handshake' event; 0.8.x (ssh2-streams) has no such
// event and says it only in its debug lines, which are read for `chosen` and not printed.

const path = require('path');

const [moduleDir, host, ...ports] = process.argv.slice(2);
// Only for the test of sshdoctor's fix advice: SSHDOCTOR_SSH2_CONFIG holds JavaScript statements
// that set properties of `config` (a profile's settings templates, rendered), merged into connect()'s.
const extra = process.env.SSHDOCTOR_SSH2_CONFIG
  ? new Function(`const config = {}; ${process.env.SSHDOCTOR_SSH2_CONFIG}\nreturn config;`)()
  : {};
const ssh2 = require(path.join(path.resolve(moduleDir), 'node_modules', 'ssh2'));
const AEAD = new Set(['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-gcm', 'aes256-gcm',
                      'chacha20-poly1305@openssh.com']);

// ssh2-streams 0.4 debug lines: 'DEBUG: KEX algorithm: X', 'DEBUG: Client->Server Cipher: X', ...
const DEBUG_SLOTS = [
  [/DEBUG: KEX algorithm: (\S+)/, 'kex'],
  [/DEBUG: Host key format: (\S+)/, 'hostkey'],
  [/DEBUG: Client->Server Cipher: (\S+)/, 'cipher_c2s'],
  [/DEBUG: Server->Client Cipher: (\S+)/, 'cipher_s2c'],
  [/DEBUG: Client->Server HMAC algorithm: (\S+)/, 'mac_c2s'],
  [/DEBUG: Server->Client HMAC algorithm: (\S+)/, 'mac_s2c'],
  [/DEBUG: Client->Server compression algorithm: (\S+)/, 'compression_c2s'],
  [/DEBUG: Server->Client compression algorithm: (\S+)/, 'compression_s2c'],
];

function fromHandshake(n) {
  return {
    kex: n.kex,
    hostkey: n.serverHostKey || n.srvHostKey,
    cipher_c2s: n.cs.cipher,
    cipher_s2c: n.sc.cipher,
    mac_c2s: n.cs.mac || null,
    mac_s2c: n.sc.mac || null,
    compression_c2s: n.cs.compress,
    compression_s2c: n.sc.compress,
  };
}

function implicitMacs(chosen) {
  // A MAC made implicit by an AEAD cipher is null (0.8.x still negotiates one, unused).
  if (AEAD.has(chosen.cipher_c2s)) chosen.mac_c2s = null;
  if (AEAD.has(chosen.cipher_s2c)) chosen.mac_s2c = null;
  return chosen;
}

function one(port) {
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    const fromDebug = {};
    let handshake = null;
    let error = null;
    let authReached = false;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      let chosen = handshake ? fromHandshake(handshake) : null;
      if (!chosen && authReached && Object.keys(fromDebug).length) chosen = fromDebug;
      const ok = Boolean(handshake) || authReached;
      resolve({ ok, chosen: ok && chosen ? implicitMacs(chosen) : null, error });
      try { client.end(); } catch (e) {}
    };
    const timer = setTimeout(() => {
      if (!error) error = 'timed out after 10 s';
      finish();
    }, 10000);
    client.on('handshake', (negotiated) => { handshake = negotiated; });
    client.on('ready', () => { authReached = true; finish(); });
    client.on('error', (err) => {
      // What an application that logs the error (or leaves it uncaught) shows.
      process.stderr.write(`Error: ${err.message}` + (err.level ? ` (level: ${err.level})` : '') + '\n');
      if (err.level === 'client-authentication') authReached = true;
      if (!error) error = err.message;
      // 1.x emits 'close' after a fatal error; 0.8.x may not, so do not wait for it.
      setTimeout(finish, 200);
    });
    client.on('close', finish);
    client.connect({
      host,
      port: Number(port),
      username: 'sshdoctor',
      password: 'not-the-password',
      readyTimeout: 10000,
      ...extra,
      debug: (msg) => {
        for (const [re, slot] of DEBUG_SLOTS) {
          const m = re.exec(msg);
          if (m) fromDebug[slot] = m[1];
        }
      },
    });
  });
}

(async () => {
  for (const port of ports) {
    const result = await one(port);
    process.stdout.write(JSON.stringify(result) + '\n');
  }
  process.exit(0);
})();
