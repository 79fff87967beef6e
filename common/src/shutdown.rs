//! The wait for the operator's stop: Ctrl-C everywhere, and what else the OS sends.
//!
//! On Unix that is SIGTERM (systemd, a container runtime, `kill`). On Windows it is
//! the console being closed or the machine shutting down (`ctrl_close`,
//! `ctrl_shutdown`); a Windows service manager that stops a console program sends
//! one of those too.

/// Completes when the process is asked to stop. If a signal cannot be watched (an OS
/// that refuses the handler), the wait goes on with the others, so at least Ctrl-C
/// still stops the process.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        () = interrupt => {}
        () = platform_stop() => {}
    }
}

/// SIGTERM.
#[cfg(unix)]
async fn platform_stop() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut terminate) => {
            terminate.recv().await;
        }
        Err(_) => std::future::pending::<()>().await,
    }
}

/// The console closed, or the machine shutting down.
#[cfg(windows)]
async fn platform_stop() {
    use tokio::signal::windows::{ctrl_close, ctrl_shutdown};
    let close = async {
        match ctrl_close() {
            Ok(mut close) => {
                close.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    let shutdown = async {
        match ctrl_shutdown() {
            Ok(mut shutdown) => {
                shutdown.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = close => {}
        () = shutdown => {}
    }
}

/// Other platforms: Ctrl-C only.
#[cfg(not(any(unix, windows)))]
async fn platform_stop() {
    std::future::pending::<()>().await;
}
