//! A listening socket with room for a burst of connections.

use std::io;
use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpSocket};

/// How many connections the kernel may hold for a [`listen`]er before they are accepted. The
/// kernel caps it at `net.core.somaxconn` (4096 on Linux since 5.4).
pub const LISTEN_BACKLOG: u32 = 4096;

/// A listener on `addr` whose queue of connections not yet accepted holds [`LISTEN_BACKLOG`]
/// (`tokio::net::TcpListener::bind` asks for 128, as the standard library does). Clients that
/// open many connections at once (a load balancer's pool, a load generator, every client
/// reconnecting after a restart) find room instead of having their `SYN` dropped: a dropped
/// `SYN` is sent again only after a second, which is the p99 of everything behind it. `SO_REUSEADDR` is set on Unix, as tokio
/// does, so a restarted server binds again at once. Call it inside the runtime.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
/// let listener = restframe::listen("127.0.0.1:0".parse().expect("an address"))?;
/// assert!(listener.local_addr()?.port() > 0);
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::net::TcpStream;

    use super::listen;

    /// 300 clients connect at once to a server that accepts none of them yet: each is queued
    /// by the kernel. With tokio's `bind` (a queue of 128) the rest wait a second or more for a
    /// `SYN` sent again.
    #[tokio::test]
    async fn a_burst_of_connections_waits_in_the_queue_not_in_syn_retries() {
        let listener = listen("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        let connects = (0..300)
            .map(|_| tokio::time::timeout(Duration::from_millis(500), TcpStream::connect(addr)));
        let clients = futures_util::future::join_all(connects).await;
        let connected = clients.iter().filter(|c| matches!(c, Ok(Ok(_)))).count();
        assert_eq!(connected, 300);
        // They are there to accept, in turn.
        let (_, peer) = listener.accept().await.unwrap();
        assert!(peer.ip().is_loopback());
    }
}
