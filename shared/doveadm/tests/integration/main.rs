//! The doveadm client against the real thing: Debian's Dovecot for everything it can show
//! (auth, generic commands, its error answers), the network for transport failures, and a tiny
//! stand-in for the simulator only for the cluster commands stock Dovecot does not have.

mod cluster;
mod dovecot;
mod transport;

use std::time::Duration;

use doveadm::{Auth, Client};

/// Generous: two cores shared with concurrent builds, and Dovecot forks a doveadm process on
/// the first request.
const TIMEOUT: Duration = Duration::from_secs(15);

fn client(auth: Auth) -> Client {
    Client::new(auth, TIMEOUT).expect("doveadm client")
}
