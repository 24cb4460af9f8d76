//! The listener. Served by hand with hyper (rather than `axum::serve`) so that a test can
//! close the port for real — connections refused, open keep-alive connections cut — and
//! open it again on the same address.

use axum::Router;
use hyper_util::{rt::TokioIo, service::TowerToHyperService};
use std::{net::SocketAddr, time::Duration};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{mpsc, oneshot, watch},
    task::JoinHandle,
};

pub(crate) async fn bind() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port")
}

type Command = (bool, oneshot::Sender<()>);

pub(crate) struct Server {
    addr: SocketAddr,
    commands: mpsc::UnboundedSender<Command>,
    task: JoinHandle<()>,
}

impl Server {
    pub fn spawn(listener: TcpListener, router: Router) -> Self {
        let addr = listener.local_addr().expect("bound listener has an address");
        let (commands, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(accept_loop(Some(listener), addr, router, rx));
        Self { addr, commands, task }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Closes (`true`) or reopens the port; returns once done.
    pub async fn refuse(&self, refuse: bool) {
        let (done, wait) = oneshot::channel();
        if self.commands.send((refuse, done)).is_ok() {
            let _ = wait.await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Dropping the loop drops the kill switch, which ends every open HTTP connection.
        self.task.abort();
    }
}

async fn accept_loop(
    mut listener: Option<TcpListener>,
    addr: SocketAddr,
    router: Router,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    // Bumped to cut the open HTTP connections.
    let kill = watch::Sender::new(0u64);
    loop {
        tokio::select! {
            accepted = accept(listener.as_ref()) => {
                if let Ok((stream, _)) = accepted {
                    tokio::spawn(serve_connection(stream, router.clone(), kill.subscribe()));
                }
            }
            command = commands.recv() => {
                let Some((refuse, done)) = command else { return };
                if refuse {
                    listener = None;
                    kill.send_modify(|generation| *generation += 1);
                } else if listener.is_none() {
                    listener = Some(rebind(addr).await);
                }
                let _ = done.send(());
            }
        }
    }
}

async fn accept(listener: Option<&TcpListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(listener) => listener.accept().await,
        None => std::future::pending().await,
    }
}

/// Binds the same address again (tokio sets SO_REUSEADDR, so TIME_WAIT does not block it).
async fn rebind(addr: SocketAddr) -> TcpListener {
    for _ in 0..50 {
        if let Ok(listener) = TcpListener::bind(addr).await {
            return listener;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("could not bind {addr} again");
}

async fn serve_connection(stream: TcpStream, router: Router, mut kill: watch::Receiver<u64>) {
    let service = TowerToHyperService::new(router);
    let connection = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::select! {
        _ = connection => {}
        _ = kill.changed() => {}
    }
}
