// What both russh harnesses share: the JSON lines of the lab's contract, and
// a logger that keeps russh's own debug record of the negotiated algorithms
// (russh's public API does not say what it chose; its `Names` value is only
// logged, with Debug formatting, right after the KEXINITs are compared).

use std::sync::Mutex;

static NEGOTIATED: Mutex<Option<String>> = Mutex::new(None);

struct Keeper {
    prefixes: &'static [&'static str],
}

impl log::Log for Keeper {
    fn enabled(&self, meta: &log::Metadata) -> bool {
        meta.target().starts_with("russh")
    }

    fn log(&self, record: &log::Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        if record.level() <= log::Level::Warn {
            // What russh itself reports as a warning or error is part of the program's output.
            eprintln!("[{} {}] {}", record.level(), record.target(), record.args());
            return;
        }
        if record.level() != log::Level::Debug {
            return;
        }
        let text = record.args().to_string();
        for prefix in self.prefixes {
            if let Some(rest) = text.strip_prefix(prefix) {
                *NEGOTIATED.lock().unwrap() = Some(rest.to_string());
            }
        }
    }

    fn flush(&self) {}
}

/// Keep the debug records that start with one of `prefixes` (the `Names` line of this russh version).
pub fn keep_negotiated(prefixes: &'static [&'static str]) {
    let keeper: &'static Keeper = Box::leak(Box::new(Keeper { prefixes }));
    log::set_logger(keeper).expect("one logger");
    log::set_max_level(log::LevelFilter::Debug);
}

/// The last `Names` record, taken (so the next connection starts empty).
pub fn take_negotiated() -> Option<String> {
    NEGOTIATED.lock().unwrap().take()
}

pub fn forget_negotiated() {
    NEGOTIATED.lock().unwrap().take();
}

pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_opt(v: &Option<String>) -> String {
    match v {
        Some(s) => json_str(s),
        None => "null".to_string(),
    }
}

/// The value of `field: ` in a Debug-formatted struct, up to the next top-level `, ` or `}`.
fn field<'a>(debug: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("{name}: ");
    let start = debug.find(&key)? + key.len();
    let rest = &debug[start..];
    let mut depth = 0i32;
    let mut in_str = false;
    for (i, c) in rest.char_indices() {
        match c {
            '"' => in_str = !in_str,
            '{' | '(' | '[' if !in_str => depth += 1,
            '}' | ')' | ']' if !in_str => {
                if depth == 0 {
                    return Some(rest[..i].trim());
                }
                depth -= 1;
            }
            ',' if !in_str && depth == 0 => return Some(rest[..i].trim()),
            _ => {}
        }
    }
    Some(rest.trim())
}

/// `Name("x")` → `x`.
fn quoted_name(v: &str) -> Option<String> {
    let a = v.find('"')?;
    let b = v.rfind('"')?;
    (b > a).then(|| v[a + 1..b].to_string())
}

/// ssh-key's `Algorithm` Debug form (russh 0.5x+) or russh-keys' `Name("…")` (0.44) → the SSH name.
fn hostkey_name(v: &str) -> Option<String> {
    if v.starts_with("Name(") {
        return quoted_name(v);
    }
    let compact: String = v.chars().filter(|c| !c.is_whitespace()).collect();
    Some(
        match compact.as_str() {
            "Ed25519" => "ssh-ed25519",
            "Ecdsa{curve:NistP256}" => "ecdsa-sha2-nistp256",
            "Ecdsa{curve:NistP384}" => "ecdsa-sha2-nistp384",
            "Ecdsa{curve:NistP521}" => "ecdsa-sha2-nistp521",
            "Rsa{hash:Some(Sha512)}" => "rsa-sha2-512",
            "Rsa{hash:Some(Sha256)}" => "rsa-sha2-256",
            "Rsa{hash:None}" => "ssh-rsa",
            "Dsa" => "ssh-dss",
            _ => return None,
        }
        .to_string(),
    )
}

fn compression_name(v: &str, zlib_is_plain: bool) -> Option<String> {
    match v {
        "None" => Some("none".into()),
        // russh 0.44 has one `Zlib` for both zlib and zlib@openssh.com: the name is lost there.
        "Zlib" if zlib_is_plain => Some("zlib".into()),
        "ZlibOpenSSH" => Some("zlib@openssh.com".into()),
        _ => None,
    }
}

const AEAD: &[&str] = &["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com"];

/// The contract's `chosen` object from russh's `Names` Debug text (russh uses one cipher, the one
/// chosen from the client-to-server list, for both directions). `zlib_is_plain`: the version's
/// `Compression::Zlib` means only `zlib` (0.5x+ has `ZlibOpenSSH` for the other).
pub fn chosen_json(names: &str, zlib_is_plain: bool) -> String {
    let name = |f: &str| field(names, f).and_then(quoted_name);
    let cipher = name("cipher");
    let aead = cipher.as_deref().map(|c| AEAD.contains(&c)).unwrap_or(false);
    let mac = |f: &str| if aead { None } else { name(f) };
    let mut parts = vec![
        format!("\"kex\": {}", json_opt(&name("kex"))),
        format!("\"hostkey\": {}", json_opt(&field(names, "key").and_then(hostkey_name))),
        format!("\"cipher_c2s\": {}", json_opt(&cipher)),
        format!("\"cipher_s2c\": {}", json_opt(&cipher)),
        format!("\"mac_c2s\": {}", json_opt(&mac("client_mac"))),
        format!("\"mac_s2c\": {}", json_opt(&mac("server_mac"))),
    ];
    for (slot, f) in [("compression_c2s", "client_compression"), ("compression_s2c", "server_compression")] {
        if let Some(c) = field(names, f).and_then(|v| compression_name(v, zlib_is_plain)) {
            parts.push(format!("\"{slot}\": {}", json_str(&c)));
        }
    }
    format!("{{{}}}", parts.join(", "))
}

/// One line of the client contract.
pub fn client_line(ok: bool, chosen: Option<String>, error: Option<String>) -> String {
    format!(
        "{{\"ok\": {}, \"chosen\": {}, \"error\": {}}}",
        ok,
        chosen.unwrap_or_else(|| "null".into()),
        json_opt(&error)
    )
}
