//! h1probe: the floor for a hand-written passthrough lane.
//!
//! It does only what any proxy must: per client connection one upstream keep-alive connection,
//! read a request (httparse head, Content-Length body), find the model by byte search, write the
//! upstream request in one write, read the answer (Content-Length only) and write head + body to
//! the client in one write. No JSON parsing, auth, routing, logging, chunked bodies or errors
//! beyond closing the connection. `tuning/load.sh` runs it in place of cliproxy
//! (`CLIPROXY_BIN=…/h1probe`); it reads `port:` and the first `base-url:` from the generated
//! config. `PROBE_DRIVER=epoll` selects monoio's epoll driver (default io_uring).

use std::net::SocketAddr;

use monoio::buf::IoBufMut;
use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
use monoio::net::{TcpListener, TcpStream};

/// A complete message's head length and Content-Length.
struct Framing {
    head: usize,
    body: usize,
}

fn content_length(headers: &[httparse::Header<'_>]) -> Option<usize> {
    let h = headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"));
    match h {
        Some(h) => std::str::from_utf8(h.value).ok()?.trim().parse().ok(),
        None => Some(0),
    }
}

fn request_framing(buf: &[u8]) -> Option<Framing> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(buf) {
        Ok(httparse::Status::Complete(head)) => Some(Framing {
            head,
            body: content_length(req.headers)?,
        }),
        _ => None,
    }
}

fn response_framing(buf: &[u8]) -> Option<Framing> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut res = httparse::Response::new(&mut headers);
    match res.parse(buf) {
        Ok(httparse::Status::Complete(head)) => Some(Framing {
            head,
            body: content_length(res.headers)?,
        }),
        _ => None,
    }
}

/// Reads one whole message into `buf` (cleared first); `None` when the peer closes.
async fn read_message(
    stream: &mut TcpStream,
    mut buf: Vec<u8>,
    framing: fn(&[u8]) -> Option<Framing>,
) -> (Vec<u8>, Option<Framing>) {
    buf.clear();
    loop {
        if let Some(f) = framing(&buf) {
            if buf.len() >= f.head + f.body {
                return (buf, Some(f));
            }
        }
        if buf.capacity() - buf.len() < 4096 {
            buf.reserve(16 * 1024);
        }
        let (len, cap) = (buf.len(), buf.capacity());
        let (res, slice) = stream.read(buf.slice_mut(len..cap)).await;
        buf = slice.into_inner();
        if !matches!(res, Ok(n) if n > 0) {
            return (buf, None);
        }
    }
}

async fn serve(mut client: TcpStream, upstream: SocketAddr, base_path: String) {
    let _ = client.set_nodelay(true);
    let Ok(mut up) = TcpStream::connect_addr(upstream).await else {
        return;
    };
    let _ = up.set_nodelay(true);
    let (mut cbuf, mut ubuf, mut out) = (Vec::new(), Vec::new(), Vec::with_capacity(16 * 1024));
    loop {
        let (b, framing) = read_message(&mut client, cbuf, request_framing).await;
        cbuf = b;
        let Some(req) = framing else { return };
        let (head, body) = cbuf.split_at(req.head);
        let body = body.get(..req.body).unwrap_or_default();
        out.clear();
        if head.starts_with(b"GET /healthz ") {
            out.extend_from_slice(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
        } else {
            let sse = memchr::memmem::find(body, b"\"bench-sse\"").is_some();
            let path = if sse {
                base_path.replace("/json/", "/sse/")
            } else {
                base_path.clone()
            };
            out.extend_from_slice(format!("POST {path}/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer upstream-key\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n", body.len()).as_bytes());
            out.extend_from_slice(body);
            let (res, o) = up.write_all(out).await;
            out = o;
            if res.is_err() {
                return;
            }
            let (b, framing) = read_message(&mut up, ubuf, response_framing).await;
            ubuf = b;
            let Some(res) = framing else { return };
            let answer = ubuf.get(res.head..res.head + res.body).unwrap_or_default();
            let ctype = if sse {
                "text/event-stream"
            } else {
                "application/json"
            };
            out.clear();
            out.extend_from_slice(
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\n\r\n",
                    answer.len()
                )
                .as_bytes(),
            );
            out.extend_from_slice(answer);
        }
        let (res, o) = client.write_all(out).await;
        out = o;
        if res.is_err() {
            return;
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .last()
        .ok_or("usage: h1probe --config FILE")?;
    let cfg = std::fs::read_to_string(path)?;
    let value = |key: &str| {
        cfg.lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .map(str::trim)
    };
    let port: u16 = value("port:").ok_or("no port")?.parse()?;
    let base = value("base-url: http://").ok_or("no base-url")?;
    let slash = base.find('/').ok_or("base-url has no path")?;
    let upstream: SocketAddr = base[..slash].parse()?;
    let base_path = base[slash..].to_owned();
    let run = async move {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        loop {
            let (conn, _) = listener.accept().await?;
            monoio::spawn(serve(conn, upstream, base_path.clone()));
        }
    };
    let res: std::io::Result<()> = if std::env::var("PROBE_DRIVER").as_deref() == Ok("epoll") {
        monoio::RuntimeBuilder::<monoio::LegacyDriver>::new()
            .enable_timer()
            .build()?
            .block_on(run)
    } else {
        let mut urb = io_uring::IoUring::builder();
        let flags = std::env::var("PROBE_URING").unwrap_or_default();
        if flags.contains("coop") {
            urb.setup_coop_taskrun();
        }
        if flags.contains("single") {
            urb.setup_single_issuer();
        }
        if flags.contains("defer") {
            urb.setup_defer_taskrun();
        }
        monoio::RuntimeBuilder::<monoio::IoUringDriver>::new()
            .uring_builder(urb)
            .enable_timer()
            .build()?
            .block_on(run)
    };
    Ok(res?)
}
