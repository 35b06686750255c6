//! Bad input on the wire — garbage, truncated and oversized messages, wrong lengths,
//! unknown message types, a bind with the wrong parameter count, 1,000 connections
//! past the limit — is answered with an error or a closed connection, never a panic,
//! and the server keeps serving.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{TestServer, connect};

/// A protocol 3.0 startup packet for `user`.
fn startup(user: &str) -> Vec<u8> {
    let mut body = 196_608_i32.to_be_bytes().to_vec();
    for (k, v) in [("user", user), ("database", "airlock")] {
        body.extend_from_slice(k.as_bytes());
        body.push(0);
        body.extend_from_slice(v.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut packet = ((body.len() + 4) as i32).to_be_bytes().to_vec();
    packet.extend(body);
    packet
}

/// A typed message: tag, length, body.
fn message(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![tag];
    m.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
    m.extend_from_slice(body);
    m
}

/// Sends `bytes` and reads what comes back until the server closes or stays silent.
fn exchange(server: &TestServer, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let _ = s.write_all(bytes);
    let mut out = Vec::new();
    let mut buf = [0; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// The server still answers a real client.
async fn still_serving(server: &TestServer) {
    let client = connect(&server.conninfo("alice")).await;
    let row = client.query_one("SELECT 1", &[]).await.unwrap();
    assert_eq!(row.get::<_, i32>(0), 1);
    assert!(!server.stderr().contains("panicked"), "{}", server.stderr());
}

/// The SQLSTATEs of the ErrorResponses in `bytes`.
fn error_codes(bytes: &[u8]) -> Vec<String> {
    let mut codes = Vec::new();
    let mut rest = bytes;
    while rest.len() >= 5 {
        let tag = rest[0];
        let len = i32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        if len < 4 || rest.len() < 1 + len {
            break;
        }
        let body = &rest[5..1 + len];
        if tag == b'E' {
            for field in body.split(|b| *b == 0) {
                if field.first() == Some(&b'C') {
                    codes.push(String::from_utf8_lossy(&field[1..]).into_owned());
                }
            }
        }
        rest = &rest[1 + len..];
    }
    codes
}

#[tokio::test]
async fn bad_startups_are_refused_and_the_server_keeps_serving() {
    let server = TestServer::trust(&[]);
    // Garbage (an HTTP request).
    exchange(&server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    still_serving(&server).await;
    // A truncated startup packet, then the client goes away.
    exchange(&server, &startup("alice")[..12]);
    // An oversized one.
    let mut huge = 0x7fff_fff0_i32.to_be_bytes().to_vec();
    huge.extend_from_slice(&196_608_i32.to_be_bytes());
    exchange(&server, &huge);
    // A length shorter than its own header.
    exchange(&server, &[0, 0, 0, 2, 0, 3, 0, 0]);
    // A startup without a user.
    let answer = exchange(&server, &{
        let mut body = 196_608_i32.to_be_bytes().to_vec();
        body.push(0);
        let mut p = ((body.len() + 4) as i32).to_be_bytes().to_vec();
        p.extend(body);
        p
    });
    assert_eq!(error_codes(&answer), vec!["28000"]);
    still_serving(&server).await;
}

#[tokio::test]
async fn bad_messages_after_startup_are_refused_and_the_server_keeps_serving() {
    let server = TestServer::trust(&[]);
    let cases: Vec<Vec<u8>> = vec![
        // An unknown message type.
        message(b'!', b"whatever"),
        // A Query whose length is shorter than its header.
        vec![b'Q', 0, 0, 0, 2],
        // A Query of 1 GiB announced, never sent.
        vec![b'Q', 0x3f, 0xff, 0xff, 0xf0, b'S'],
        // A Query without its terminating NUL, then the client leaves.
        message(b'Q', b"SELECT 1"),
        // A Bind for a statement that does not exist.
        [message(b'B', b"\0nope\0\0\0\0\0\0\0"), message(b'S', b"")].concat(),
        // A Bind with the wrong parameter count.
        [
            message(b'P', b"\0CREATE SECRET s AS $1\0\0\0"),
            message(b'B', b"\0\0\0\0\0\0\0\0"),
            message(b'E', b"\0\0\0\0\0"),
            message(b'S', b""),
        ]
        .concat(),
        // Two statements in one Parse.
        [
            message(b'P', b"\0SELECT 1; SELECT 2\0\0\0"),
            message(b'S', b""),
        ]
        .concat(),
        // Invalid UTF-8 in a query.
        message(b'Q', b"SELECT '\xff\xfe'\0"),
    ];
    let mut all = Vec::new();
    for case in &cases {
        let answer = exchange(&server, &[startup("alice"), case.clone()].concat());
        all.push(error_codes(&answer));
        still_serving(&server).await;
    }
    // The wrong parameter count and the double statement are ordinary errors.
    assert!(all[5].contains(&"08P01".to_owned()), "{all:?}");
    assert!(all[6].contains(&"42601".to_owned()), "{all:?}");
    assert_eq!(all[0], vec!["08P01"], "an unknown message type: {all:?}");
    // Lengths out of bounds are refused on the header, before anything is buffered.
    assert_eq!(all[1], vec!["08P01"], "{all:?}");
    assert_eq!(all[2], vec!["08P01"], "{all:?}");
    assert_eq!(all[4], vec!["26000"], "{all:?}");
}

#[tokio::test]
async fn a_thousand_connections_past_the_limit_are_told_the_server_is_full() {
    let server = TestServer::trust(&["--max-connections", "2", "--quiet"]);
    let held = [
        connect(&server.conninfo("alice")).await,
        connect(&server.conninfo("bob")).await,
    ];
    let mut refused = 0;
    let mut closed = 0;
    for _ in 0..1000 {
        let answer = exchange(&server, &startup("mallory"));
        if error_codes(&answer) == vec!["53300"] {
            refused += 1;
        } else {
            assert!(answer.is_empty(), "{answer:?}");
            closed += 1;
        }
    }
    assert_eq!(refused + closed, 1000);
    assert!(refused > 0);
    // The held sessions still work; a freed slot takes a new client.
    assert_eq!(
        held[0]
            .query_one("SELECT 1", &[])
            .await
            .unwrap()
            .get::<_, i32>(0),
        1
    );
    drop(held);
    // Slots free as the server sees the held connections close.
    let mut clients = Vec::new();
    for _ in 0..200 {
        if let Ok((client, connection)) =
            tokio_postgres::connect(&server.conninfo("carol"), tokio_postgres::NoTls).await
        {
            tokio::spawn(connection);
            assert_eq!(
                client
                    .query_one("SELECT 1", &[])
                    .await
                    .unwrap()
                    .get::<_, i32>(0),
                1
            );
            clients.push(client);
            if clients.len() == 2 {
                break;
            }
        } else {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert_eq!(clients.len(), 2);
    // Full again: psql reports the limit as PostgreSQL does.
    let out = server.psql("dave", &["-c", "SELECT 1"], "");
    assert!(
        common::text(&out.stderr).contains("sorry, too many clients already"),
        "{}",
        common::text(&out.stderr)
    );
}
