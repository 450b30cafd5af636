//! Tests of `proxy-url` parsing, the precedence rule, redaction, and the CONNECT and SOCKS5
//! handshakes against in-memory streams with byte-exact expectations.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use tokio::io::{duplex, AsyncReadExt, AsyncWriteExt, DuplexStream};

use super::handshake::{self, HandshakeError, TargetAddr};
use super::*;

fn via(text: &str) -> Proxy {
    match ProxyUrl::parse(text) {
        Ok(Some(ProxyUrl::Via(p))) => p,
        other => panic!("{text:?}: expected a proxy, got {other:?}"),
    }
}

fn creds(p: &Proxy) -> Option<(&str, &str)> {
    p.credentials()
        .map(|c| (c.user.expose(), c.password.expose()))
}

#[test]
fn parses_each_scheme_with_default_and_explicit_ports() {
    let cases = [
        ("http://proxy.local", Scheme::Http, "proxy.local", 80),
        ("http://proxy.local:3128", Scheme::Http, "proxy.local", 3128),
        ("HTTPS://Proxy.Local", Scheme::Https, "proxy.local", 443),
        (
            "https://proxy.local:8443/",
            Scheme::Https,
            "proxy.local",
            8443,
        ),
        ("socks5://10.0.0.1", Scheme::Socks5, "10.0.0.1", 1080),
        ("socks5://10.0.0.1:9050", Scheme::Socks5, "10.0.0.1", 9050),
        ("socks5h://tor.local", Scheme::Socks5h, "tor.local", 1080),
        ("Socks5H://[::1]:9050", Scheme::Socks5h, "::1", 9050),
        ("http://[2001:db8::1]", Scheme::Http, "2001:db8::1", 80),
        ("  http://p:1/ignored/path?q#f  ", Scheme::Http, "p", 1),
        ("http://p:", Scheme::Http, "p", 80),
    ];
    for (text, scheme, host, port) in cases {
        let p = via(text);
        assert_eq!(
            (p.scheme(), p.host(), p.port()),
            (scheme, host, port),
            "{text}"
        );
        assert!(p.credentials().is_none(), "{text}");
    }
}

#[test]
fn parses_and_percent_decodes_credentials() {
    let p = via("socks5://user:pass@127.0.0.1:1080");
    assert_eq!(creds(&p), Some(("user", "pass")));
    let p = via("http://us%40er:p%3Ass%2F%25w%C3%B6rd@proxy:8080");
    assert_eq!(creds(&p), Some(("us@er", "p:ss/%wörd")));
    // An unencoded `@` in the password: the last `@` ends the user info.
    let p = via("http://u:p@ss@proxy:8080");
    assert_eq!(creds(&p), Some(("u", "p@ss")));
    assert_eq!(p.host(), "proxy");
    let p = via("http://onlyuser@proxy");
    assert_eq!(creds(&p), Some(("onlyuser", "")));
    let p = via("http://@proxy");
    assert_eq!(creds(&p), None);
}

#[test]
fn direct_none_and_empty() {
    for text in ["direct", "DIRECT", "none", "None", " none "] {
        assert_eq!(ProxyUrl::parse(text), Ok(Some(ProxyUrl::Bypass)), "{text}");
    }
    for text in ["", "   "] {
        assert_eq!(ProxyUrl::parse(text), Ok(None), "{text:?}");
    }
}

#[test]
fn rejects_bad_urls_without_echoing_credentials() {
    let cases: &[(&str, ProxyError)] = &[
        ("proxy.local:3128", ProxyError::NoScheme),
        (
            "ftp://p:21",
            ProxyError::Scheme {
                scheme: "ftp".into(),
            },
        ),
        (
            "socks4://p",
            ProxyError::Scheme {
                scheme: "socks4".into(),
            },
        ),
        ("socks5://", ProxyError::MissingHost),
        ("http://user:secret@", ProxyError::MissingHost),
        ("http://user:secret@:3128", ProxyError::MissingHost),
        ("http://[::1", ProxyError::MissingHost),
        ("http://p q:1", ProxyError::MissingHost),
        ("http://p:0", ProxyError::Port { port: "0".into() }),
        (
            "http://p:65536",
            ProxyError::Port {
                port: "65536".into(),
            },
        ),
        ("http://p:+80", ProxyError::Port { port: "+80".into() }),
        ("http://p:abc", ProxyError::Port { port: "abc".into() }),
        ("http://[::1]x", ProxyError::Port { port: "x".into() }),
        ("http://u:sec%zzret@p", ProxyError::Escape),
        ("http://u:secret%4@p", ProxyError::Escape),
        ("http://u:%ff%fe@p", ProxyError::NotUtf8),
    ];
    for (text, want) in cases {
        let got = ProxyUrl::parse(text);
        assert_eq!(got.as_ref(), Err(want), "{text}");
        let message = want.to_string();
        assert!(!message.contains("secret"), "{message}");
        assert!(
            message.starts_with(
                "expected a proxy URL (socks5://, socks5h://, http://, https://) or direct/none"
            ),
            "{message}"
        );
    }
}

#[test]
fn debug_and_display_never_show_credentials() {
    let p = via("socks5h://alice:hunter2@proxy.local:1080");
    let debug = format!("{p:?}");
    let display = p.to_string();
    let wrapped = format!("{:?}", ProxyUrl::parse("http://alice:hunter2@[::1]:3128"));
    for text in [&debug, &display, &wrapped] {
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains("alice"), "{text}");
    }
    assert_eq!(debug, "Proxy(socks5h://*****@proxy.local:1080)");
    assert_eq!(display, "socks5h://proxy.local:1080");
    assert_eq!(wrapped, "Ok(Some(Via(Proxy(http://*****@[::1]:3128))))");
    assert_eq!(via("http://[::1]:3128").to_string(), "http://[::1]:3128");
    assert!(!p.pool_key().contains("hunter2") && !p.pool_key().contains("alice"));
}

#[test]
fn credential_proxy_wins_then_global_then_direct() {
    let g = "http://global:3128";
    let k = "socks5://key:1080";
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("", "", None),
        ("", g, Some("http://global:3128")),
        (k, "", Some("socks5://key:1080")),
        (k, g, Some("socks5://key:1080")),
        ("direct", g, None),
        ("NONE", g, None),
        ("direct", "", None),
        ("", "direct", None),
        ("", "none", None),
        (k, "none", Some("socks5://key:1080")),
        ("  ", g, Some("http://global:3128")),
    ];
    for (own, global, want) in cases {
        let got = choose(own, global).unwrap_or_else(|e| panic!("{own:?}/{global:?}: {e}"));
        assert_eq!(
            got.as_ref().map(ToString::to_string).as_deref(),
            *want,
            "{own:?} / {global:?}"
        );
    }
    // A broken setting is reported, not silently skipped, even when the other one is fine.
    assert!(choose("ftp://x", g).is_err());
    assert!(choose("", "ftp://x").is_err());
    // A credential's own proxy means the global one is never looked at.
    assert!(choose(k, "ftp://x").is_ok());
}

#[test]
fn base64_matches_rfc_4648_vectors() {
    let cases = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
        ("Aladdin:open sesame", "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
    ];
    for (input, want) in cases {
        assert_eq!(handshake::base64(input.as_bytes()), want, "{input}");
    }
    assert_eq!(handshake::base64(&[0xfb, 0xff]), "+/8=");
}

// ---- handshakes over in-memory streams ----

/// Reads exactly `want.len()` bytes from the proxy side and checks them.
async fn expect(server: &mut DuplexStream, want: &[u8]) {
    let mut got = vec![0u8; want.len()];
    server
        .read_exact(&mut got)
        .await
        .expect("client sent enough");
    assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(want));
    assert_eq!(got, want);
}

fn credentials(user: &str, password: &str) -> Credentials {
    Credentials {
        user: Secret::new(user),
        password: Secret::new(password),
    }
}

#[tokio::test]
async fn connect_sends_exact_request_and_keeps_bytes_after_the_head() {
    let (client, mut server) = duplex(4096);
    let proxy = async move {
        expect(
            &mut server,
            b"CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\n\r\n",
        )
        .await;
        server
            .write_all(b"HTTP/1.1 200 Connection established\r\nVia: test\r\n\r\nEARLY")
            .await
            .unwrap();
        server
    };
    let (tunnel, mut server) = tokio::join!(
        handshake::http_connect(client, "api.example.com", 443, None),
        proxy
    );
    let mut tunnel = tunnel.unwrap();
    assert_eq!(tunnel.early(), b"EARLY");
    // The tunnel replays the early bytes, then carries both directions.
    server.write_all(b" LATER").await.unwrap();
    let mut got = [0u8; 11];
    tunnel.read_exact(&mut got).await.unwrap();
    assert_eq!(&got, b"EARLY LATER");
    tunnel.write_all(b"ping").await.unwrap();
    expect(&mut server, b"ping").await;
}

#[tokio::test]
async fn connect_with_credentials_and_ipv6_target() {
    let (client, mut server) = duplex(4096);
    let c = credentials("Aladdin", "open sesame");
    let proxy = async move {
        expect(
            &mut server,
            b"CONNECT [2001:db8::1]:8443 HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\n\
              Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n",
        )
        .await;
        // The head arrives in pieces, the terminator split across writes.
        for piece in [&b"HTTP/1.0 200 OK\r"[..], b"\n\r", b"\n"] {
            server.write_all(piece).await.unwrap();
            tokio::task::yield_now().await;
        }
        server
    };
    let (tunnel, _server) = tokio::join!(
        handshake::http_connect(client, "2001:db8::1", 8443, Some(&c)),
        proxy
    );
    assert!(tunnel.unwrap().early().is_empty());
}

#[tokio::test]
async fn connect_failures_are_named() {
    async fn run(reply: &'static [u8]) -> HandshakeError {
        let (client, mut server) = duplex(64 * 1024);
        let proxy = async move {
            let mut buf = vec![0u8; 1024];
            let _ = server.read(&mut buf).await;
            let _ = server.write_all(reply).await;
            drop(server);
        };
        let (r, ()) = tokio::join!(handshake::http_connect(client, "h", 443, None), proxy);
        r.expect_err("handshake fails")
    }
    let e = run(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n")
        .await;
    assert!(
        matches!(&e, HandshakeError::Status { status: 407, reason } if reason == "Proxy Authentication Required"),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "the proxy answered CONNECT with status 407 Proxy Authentication Required"
    );
    let e = run(b"HTTP/1.1 502\r\n\r\n").await;
    assert_eq!(e.to_string(), "the proxy answered CONNECT with status 502");
    assert!(matches!(
        run(b"HTTP/1.1 200 OK\r\n").await,
        HandshakeError::Closed
    ));
    assert!(matches!(run(b"").await, HandshakeError::Closed));
    assert!(matches!(
        run(b"SSH-2.0-OpenSSH\r\n\r\n").await,
        HandshakeError::Malformed(_)
    ));
    assert!(matches!(
        run(b"HTTP/1.1 2000 OK\r\n\r\n").await,
        HandshakeError::Malformed(_)
    ));
    let huge: &'static [u8] = Box::leak(
        [&b"HTTP/1.1 200 OK\r\n"[..], &vec![b'x'; 20_000]]
            .concat()
            .into_boxed_slice(),
    );
    assert!(matches!(run(huge).await, HandshakeError::HeadTooLarge));
}

#[test]
fn connect_request_refuses_header_injection() {
    for host in ["", "a b", "a\r\nX-Evil: 1", "a\nb"] {
        assert!(
            matches!(
                handshake::connect_request(host, 443, None),
                Err(HandshakeError::BadTarget(_))
            ),
            "{host:?}"
        );
    }
}

/// Plays a SOCKS5 server: checks each client message byte for byte and answers with the
/// given replies.
async fn socks_server(mut server: DuplexStream, script: Vec<(Vec<u8>, Vec<u8>)>) -> DuplexStream {
    for (want, reply) in script {
        expect(&mut server, &want).await;
        server.write_all(&reply).await.unwrap();
    }
    server
}

const OK_V4: [u8; 10] = [5, 0, 0, 1, 10, 0, 0, 9, 0x1f, 0x90];

#[tokio::test]
async fn socks5_ipv4_without_auth() {
    let (mut client, server) = duplex(4096);
    let script = vec![
        (vec![5, 1, 0], vec![5, 0]),
        (vec![5, 1, 0, 1, 127, 0, 0, 1, 0x01, 0xbb], OK_V4.to_vec()),
    ];
    let target = TargetAddr::Ip(SocketAddr::from((Ipv4Addr::LOCALHOST, 443)));
    let (r, mut server) = tokio::join!(
        handshake::socks5_connect(&mut client, target, None),
        socks_server(server, script)
    );
    r.unwrap();
    // Nothing of the reply is left unread: the tunnel starts clean.
    server.write_all(b"hi").await.unwrap();
    let mut got = [0u8; 2];
    client.read_exact(&mut got).await.unwrap();
    assert_eq!(&got, b"hi");
}

#[tokio::test]
async fn socks5_ipv6_with_auth() {
    let (mut client, server) = duplex(4096);
    let c = credentials("user", "pass");
    let ip = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
    let mut connect = vec![5, 1, 0, 4];
    connect.extend_from_slice(&ip.octets());
    connect.extend_from_slice(&[0x20, 0xfb]);
    let mut reply_v6 = vec![5, 0, 0, 4];
    reply_v6.extend_from_slice(&[0; 18]);
    let script = vec![
        (vec![5, 2, 0, 2], vec![5, 2]),
        (b"\x01\x04user\x04pass".to_vec(), vec![1, 0]),
        (connect, reply_v6),
    ];
    let target = TargetAddr::Ip(SocketAddr::from((ip, 8443)));
    let (r, _) = tokio::join!(
        handshake::socks5_connect(&mut client, target, Some(&c)),
        socks_server(server, script)
    );
    r.unwrap();
}

#[tokio::test]
async fn socks5_domain_with_auth_offered_but_not_required() {
    let (mut client, server) = duplex(4096);
    let c = credentials("user", "pass");
    let mut connect = vec![5, 1, 0, 3, 15];
    connect.extend_from_slice(b"api.example.com");
    connect.extend_from_slice(&[0x01, 0xbb]);
    // The bound address comes back as a domain too.
    let mut reply = vec![5, 0, 0, 3, 5];
    reply.extend_from_slice(b"relay\x00\x50");
    let script = vec![(vec![5, 2, 0, 2], vec![5, 0]), (connect, reply)];
    let target = TargetAddr::for_host("api.example.com", 443);
    let (r, _) = tokio::join!(
        handshake::socks5_connect(&mut client, target, Some(&c)),
        socks_server(server, script)
    );
    r.unwrap();
}

#[tokio::test]
async fn socks5_failures_are_named() {
    async fn run(
        c: Option<Credentials>,
        script: Vec<(Vec<u8>, Vec<u8>)>,
        target: TargetAddr<'static>,
    ) -> HandshakeError {
        let (mut client, server) = duplex(4096);
        let server = async move {
            let s = socks_server(server, script).await;
            drop(s);
        };
        let (r, ()) = tokio::join!(
            handshake::socks5_connect(&mut client, target, c.as_ref()),
            server
        );
        r.expect_err("handshake fails")
    }
    let v4 = TargetAddr::Ip(SocketAddr::from((Ipv4Addr::LOCALHOST, 443)));
    let connect_v4 = vec![5, 1, 0, 1, 127, 0, 0, 1, 0x01, 0xbb];
    let greet_auth = vec![5, 2, 0, 2];
    let auth = b"\x01\x01u\x01p".to_vec();
    let some = || Some(credentials("u", "p"));

    let e = run(None, vec![(vec![5, 1, 0], vec![5, 0xff])], v4).await;
    assert!(matches!(e, HandshakeError::AuthRequired), "{e:?}");
    let e = run(some(), vec![(greet_auth.clone(), vec![5, 0xff])], v4).await;
    assert!(matches!(e, HandshakeError::NoAcceptableMethod), "{e:?}");
    let e = run(
        some(),
        vec![(greet_auth.clone(), vec![5, 2]), (auth.clone(), vec![1, 1])],
        v4,
    )
    .await;
    assert!(matches!(e, HandshakeError::AuthRejected), "{e:?}");
    assert_eq!(e.to_string(), "the SOCKS5 proxy rejected the credentials");
    let e = run(None, vec![(vec![5, 1, 0], vec![5, 2])], v4).await;
    assert!(matches!(e, HandshakeError::Malformed(_)), "{e:?}");
    let e = run(None, vec![(vec![5, 1, 0], vec![4, 0])], v4).await;
    assert!(matches!(e, HandshakeError::Malformed(_)), "{e:?}");
    let e = run(
        None,
        vec![
            (vec![5, 1, 0], vec![5, 0]),
            (connect_v4.clone(), vec![5, 5, 0, 1, 0, 0, 0, 0, 0, 0]),
        ],
        v4,
    )
    .await;
    assert!(matches!(e, HandshakeError::Socks { code: 5 }), "{e:?}");
    assert!(e.is_target_unreachable());
    assert_eq!(
        e.to_string(),
        "the SOCKS5 proxy could not connect: connection refused (reply 5)"
    );
    let e = run(
        None,
        vec![
            (vec![5, 1, 0], vec![5, 0]),
            (connect_v4.clone(), vec![5, 2, 0, 1, 0, 0, 0, 0, 0, 0]),
        ],
        v4,
    )
    .await;
    assert!(matches!(e, HandshakeError::Socks { code: 2 }), "{e:?}");
    assert!(!e.is_target_unreachable());
    let e = run(
        None,
        vec![
            (vec![5, 1, 0], vec![5, 0]),
            (connect_v4.clone(), vec![5, 0, 0, 9]),
        ],
        v4,
    )
    .await;
    assert!(matches!(e, HandshakeError::Malformed(_)), "{e:?}");
    // The proxy hangs up halfway through the bound address.
    let e = run(
        None,
        vec![
            (vec![5, 1, 0], vec![5, 0]),
            (connect_v4, vec![5, 0, 0, 1, 1, 2]),
        ],
        v4,
    )
    .await;
    assert!(matches!(e, HandshakeError::Closed), "{e:?}");
}

#[tokio::test]
async fn socks5_refuses_unsendable_input_before_writing() {
    let (mut client, mut server) = duplex(4096);
    let long = "a".repeat(256);
    let target = TargetAddr::Domain(&long, 443);
    let e = handshake::socks5_connect(&mut client, target, None)
        .await
        .unwrap_err();
    assert!(matches!(e, HandshakeError::BadTarget(_)), "{e:?}");
    let c = credentials(&"u".repeat(256), "p");
    let e = handshake::socks5_connect(&mut client, TargetAddr::Domain("h", 1), Some(&c))
        .await
        .unwrap_err();
    assert!(matches!(e, HandshakeError::CredentialLength), "{e:?}");
    let c = credentials("u", "");
    let e = handshake::socks5_connect(&mut client, TargetAddr::Domain("h", 1), Some(&c))
        .await
        .unwrap_err();
    assert!(matches!(e, HandshakeError::CredentialLength), "{e:?}");
    drop(client);
    let mut rest = Vec::new();
    server.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty(), "sent {rest:?}");
}

#[test]
fn target_addr_for_host_keeps_ip_literals() {
    assert_eq!(
        TargetAddr::for_host("127.0.0.1", 80),
        TargetAddr::Ip(SocketAddr::from((Ipv4Addr::LOCALHOST, 80)))
    );
    assert_eq!(
        TargetAddr::for_host("::1", 80),
        TargetAddr::Ip(SocketAddr::from((Ipv6Addr::LOCALHOST, 80)))
    );
    assert_eq!(
        TargetAddr::for_host("localhost", 80),
        TargetAddr::Domain("localhost", 80)
    );
}

#[test]
fn config_validation_and_the_parser_agree() {
    let values = [
        "http://p",
        "http://p:",
        "https://u:p@p:8443/x",
        "socks5://[::1]:1080",
        "socks5h://u%40x:p%25@p",
        "direct",
        "None",
        "",
        "http://p:0",
        "http://p:65536",
        "http://p:+1",
        "http://[::1]x",
        "http://u:%zz@p",
        "http://u:%ff@p",
        "socks4://p",
        "p:3128",
        "http://",
        "http://u:p@",
    ];
    for value in values {
        let yaml = format!("proxy-url: '{value}'\n");
        let config_ok = crate::config::parse(&yaml, "t.yaml").is_ok();
        let parser_ok = ProxyUrl::parse(value).is_ok();
        assert_eq!(config_ok, parser_ok, "{value:?}");
    }
}
