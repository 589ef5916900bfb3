//! SIGTERM and SIGINT as a count the run loop can wait on: the first asks for a graceful stop,
//! a second one (an impatient operator) cuts the drain short.

use tokio::sync::watch;

#[derive(Debug, Clone)]
pub struct Signals {
    received: watch::Receiver<u32>,
}

impl Signals {
    /// Starts listening; signals that arrive from now on are counted.
    pub fn listen() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        let (tx, rx) = watch::channel(0u32);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    Some(()) = term.recv() => {}
                    Some(()) = int.recv() => {}
                    else => return,
                }
                tx.send_modify(|n| *n += 1);
            }
        });
        Ok(Self { received: rx })
    }

    pub fn stop_requested(&self) -> bool {
        *self.received.borrow() >= 1
    }

    /// Resolves once a first signal arrived (at once if one already did).
    pub async fn stop(&mut self) {
        self.at_least(1).await;
    }

    /// Resolves once a second signal arrived.
    pub async fn hurry(&mut self) {
        self.at_least(2).await;
    }

    async fn at_least(&mut self, n: u32) {
        if self.received.wait_for(|count| *count >= n).await.is_err() {
            // The listener is gone (the runtime is shutting down): nothing more will arrive.
            std::future::pending::<()>().await;
        }
    }
}
