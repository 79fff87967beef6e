//! One in-process server: a runtime of its own, a listener on 127.0.0.1 port 0 and the
//! real `serve` function of the node or the hub running on it until the value is
//! dropped (mini-redis style: the server takes a bound listener and a shutdown future).

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A future that completes when the server is asked to stop.
pub type Shutdown = std::pin::Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A server running on its own two-thread runtime on 127.0.0.1, stopped when dropped.
#[derive(Debug)]
pub struct InProcessServer {
    /// Where it listens.
    pub address: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl InProcessServer {
    /// Binds 127.0.0.1:0 and spawns `serve(listener, shutdown)`, e.g.
    /// `|listener, shutdown| wishtree_hub::http::serve(listener, state, shutdown)`.
    /// An error from `serve` fails loudly: a test must not go on against a dead server.
    pub fn start<F, E>(serve: impl FnOnce(TcpListener, Shutdown) -> F) -> Self
    where
        F: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display,
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let address = listener.local_addr().unwrap();
        let (shutdown, stopped) = oneshot::channel::<()>();
        let served = serve(
            listener,
            Box::pin(async move {
                let _ = stopped.await;
            }),
        );
        runtime.spawn(async move {
            if let Err(error) = served.await {
                panic!("the in-process server stopped: {error}");
            }
        });
        Self {
            address,
            runtime: Some(runtime),
            shutdown: Some(shutdown),
        }
    }

    /// `http://127.0.0.1:PORT`, for a browser or a process that takes a URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The server's runtime, to run a test's own async work (an in-process request)
    /// beside it.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        // The runtime is only taken by `stop`, which also ends the server.
        self.runtime
            .as_ref()
            .expect("the server is running")
            .handle()
    }

    /// Stops serving and waits (at most five seconds) for the server's tasks to end;
    /// whatever the server held, such as a data directory's lock, is let go.
    pub fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(5));
        }
    }
}

impl Drop for InProcessServer {
    fn drop(&mut self) {
        self.stop();
    }
}
