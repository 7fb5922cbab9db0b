// The lab's russh 0.65 harness (interop/README.md):
//   russh-lab client HOST PORT [PORT ...]   one JSON line per port
//   russh-lab server PORT KEYDIR            prints `listening`, refuses every login
// Both use russh's defaults (client::Config / server::Config ::default()).

#[path = "../../common/lab.rs"]
mod lab;

use std::sync::Arc;
use std::time::Duration;

use russh::keys::{load_secret_key, PublicKeyOrCertificate};
use russh::{client, server};

struct Client;

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(&mut self, _key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

async fn one(host: &str, port: u16) -> String {
    lab::forget_negotiated();
    #[allow(unused_mut)]
    let mut config = client::Config::default();
    // sshdoctor:client-settings (tests/interop/test_rust_russh_settings.py puts a profile's advice here)
    let config = Arc::new(config);
    let attempt = async {
        // connect() returns once the first key exchange is done (keys switched).
        let mut handle = client::connect(config, (host, port), Client).await?;
        let auth = handle.authenticate_password("sshdoctor", "not-the-password").await;
        Ok::<_, russh::Error>(auth.err())
    };
    match tokio::time::timeout(Duration::from_secs(10), attempt).await {
        Ok(Ok(_auth_error)) => lab::client_line(true, lab::take_negotiated().map(|n| lab::chosen_json(&n, true)), None),
        Ok(Err(e)) => {
            // What a program that ends `main` with `?` would print.
            eprintln!("Error: {e:?}");
            lab::client_line(false, None, Some(e.to_string()))
        }
        Err(_) => lab::client_line(false, None, Some("timed out after 10 s".into())),
    }
}

#[derive(Clone)]
struct Server;

struct Session;

impl server::Handler for Session {
    type Error = russh::Error;
}

impl server::Server for Server {
    type Handler = Session;

    fn new_client(&mut self, _peer: Option<std::net::SocketAddr>) -> Session {
        Session
    }

    fn handle_session_error(&mut self, error: russh::Error) {
        eprintln!("russh server: session error: {error}");
    }
}

async fn serve(port: u16, keydir: &str) -> std::io::Result<()> {
    let mut keys = Vec::new();
    for name in ["ssh_host_ed25519_key", "ssh_host_ecdsa_key", "ssh_host_rsa_key"] {
        match load_secret_key(format!("{keydir}/{name}"), None) {
            Ok(k) => keys.push(k),
            Err(e) => eprintln!("russh server: cannot load {name}: {e}"),
        }
    }
    let config = Arc::new(server::Config { keys, ..Default::default() });
    let socket = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening");
    // A printer of the server side's choice, one JSON line per key exchange.
    tokio::spawn(async {
        loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            if let Some(names) = lab::take_negotiated() {
                println!("{{\"chosen\": {}}}", lab::chosen_json(&names, true));
            }
        }
    });
    use russh::server::Server as _;
    Server.run_on_socket(config, &socket).await
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("client") if args.len() >= 3 => {
            lab::keep_negotiated(&["negotiated algorithms: "]);
            for port in &args[2..] {
                println!("{}", one(&args[1], port.parse().expect("a port")).await);
            }
        }
        Some("server") if args.len() == 3 => {
            lab::keep_negotiated(&["negotiated: "]);
            if let Err(e) = serve(args[1].parse().expect("a port"), &args[2]).await {
                eprintln!("russh server: {e}");
                std::process::exit(1);
            }
        }
        _ => {
            eprintln!("usage: russh-lab client HOST PORT [PORT ...] | server PORT KEYDIR");
            std::process::exit(2);
        }
    }
}
