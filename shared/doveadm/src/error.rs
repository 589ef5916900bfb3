//! Every way a doveadm call can fail, and which of them a retry can fix. The mapping from the
//! transport's errors lives here too, so callers never look inside a `reqwest::Error`.

use std::error::Error as _;

// doveadm's exit codes: sysexits.h, plus Dovecot's own. `doveadm.h` aliases NOTFOUND to NOHOST
// and NOTPOSSIBLE to DATAERR, so both names are kept for readable matches.
pub const EX_OK: i64 = 0;
pub const EX_USAGE: i64 = 64;
pub const EX_DATAERR: i64 = 65;
pub const EX_NOINPUT: i64 = 66;
pub const EX_NOUSER: i64 = 67;
pub const EX_NOHOST: i64 = 68;
pub const EX_UNAVAILABLE: i64 = 69;
pub const EX_SOFTWARE: i64 = 70;
pub const EX_OSERR: i64 = 71;
pub const EX_OSFILE: i64 = 72;
pub const EX_CANTCREAT: i64 = 73;
pub const EX_IOERR: i64 = 74;
pub const EX_TEMPFAIL: i64 = 75;
pub const EX_PROTOCOL: i64 = 76;
pub const EX_NOPERM: i64 = 77;
pub const EX_CONFIG: i64 = 78;
/// `DOVEADM_EX_NOTFOUND`: e.g. `kick` found no session to kick.
pub const EX_NOTFOUND: i64 = EX_NOHOST;
/// `DOVEADM_EX_NOTPOSSIBLE`: the request was understood but cannot be done (already exists, …).
pub const EX_NOTPOSSIBLE: i64 = EX_DATAERR;
/// `DOVEADM_EX_NOREPLICATE`.
pub const EX_NOREPLICATE: i64 = 1001;
/// `DOVEADM_EX_EXPIRED`.
pub const EX_EXPIRED: i64 = 1003;

#[derive(Debug, thiserror::Error)]
pub enum DoveadmError {
    /// The server refused the request before running it: HTTP 400 (its text/plain reason, e.g.
    /// a parameter of the wrong type), or an `invalidRequest` error (e.g. an unknown parameter).
    #[error("doveadm rejected the request: {0}")]
    BadRequest(String),
    /// HTTP 401: credentials missing or wrong (Dovecot 2.3 answers 401 for both).
    #[error("doveadm authentication failed or missing")]
    Unauthorized,
    /// HTTP 403.
    #[error("doveadm refused access")]
    Forbidden,
    /// HTTP 404 or an `unknownMethod` error: the server has no such command (e.g. a Dovecot
    /// without the cluster plugin asked for `clusterBackendStatus`).
    #[error("doveadm does not know the command {0}")]
    UnknownCommand(String),
    /// HTTP 500.
    #[error("doveadm server error: {0}")]
    Server(String),
    /// Any other non-2xx status.
    #[error("doveadm answered http status {status}")]
    Http { status: u16 },
    /// The command ran and failed with a doveadm exit code (see the `EX_*` constants).
    #[error("doveadm command {command} failed with exit code {exit_code}")]
    Command { command: String, exit_code: i64 },
    /// No TCP connection (refused, unreachable network, reset during connect).
    #[error("cannot connect to doveadm: {0}")]
    Connect(String),
    /// The host name did not resolve. Kept apart from [`Self::Connect`]: the reachability probe
    /// tolerates these for a grace period.
    #[error("cannot resolve the doveadm host: {0}")]
    NameResolution(String),
    /// No complete answer within the client's timeout.
    #[error("doveadm did not answer in time")]
    Timeout,
    /// The connection broke after it was made (reset, closed before the answer was complete).
    #[error("doveadm connection failed: {0}")]
    Transport(String),
    /// The answer was not the doveadm JSON shape, or its tag was not ours.
    #[error("doveadm protocol error: {0}")]
    Protocol(String),
    /// The base URL is not usable.
    #[error("invalid doveadm url: {0}")]
    InvalidUrl(String),
    /// The HTTP client could not be built.
    #[error("cannot set up the doveadm client: {0}")]
    Setup(String),
}

impl DoveadmError {
    /// Whether the same call may succeed later unchanged: network trouble, timeouts, server-side
    /// (5xx) errors and `EX_TEMPFAIL`. Auth failures, 4xx, protocol errors and other exit codes
    /// need someone to change something first.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connect(_) | Self::NameResolution(_) | Self::Timeout | Self::Transport(_) | Self::Server(_) => true,
            Self::Http { status } => *status >= 500 || *status == 408 || *status == 429,
            Self::Command { exit_code, .. } => *exit_code == EX_TEMPFAIL,
            Self::BadRequest(_)
            | Self::Unauthorized
            | Self::Forbidden
            | Self::UnknownCommand(_)
            | Self::Protocol(_)
            | Self::InvalidUrl(_)
            | Self::Setup(_) => false,
        }
    }

    /// Maps a transport error. DNS failures are told apart from refused connections by the
    /// error's source chain: hyper-util's connector reports them as `dns error`, wrapping the
    /// resolver's `failed to lookup address information`.
    pub(crate) fn from_transport(e: reqwest::Error) -> Self {
        let chain = error_chain(&e);
        if e.is_timeout() {
            Self::Timeout
        } else if e.is_builder() {
            Self::InvalidUrl(chain)
        } else if is_name_resolution(&e) {
            Self::NameResolution(chain)
        } else if e.is_connect() {
            Self::Connect(chain)
        } else {
            Self::Transport(chain)
        }
    }
}

fn is_name_resolution(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = e.source();
    while let Some(err) = source {
        let text = err.to_string();
        if text.contains("dns error") || text.contains("failed to lookup address") {
            return true;
        }
        source = err.source();
    }
    false
}

/// The error and its causes on one line: reqwest's own message alone hides the reason.
fn error_chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(err) = source {
        let part = err.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = err.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_only_what_can_heal_by_itself() {
        let command = |exit_code| DoveadmError::Command { command: "kick".into(), exit_code };
        assert!(command(EX_TEMPFAIL).is_retryable());
        assert!(!command(EX_NOUSER).is_retryable());
        assert!(!command(EX_CONFIG).is_retryable());
        assert!(DoveadmError::Connect("refused".into()).is_retryable());
        assert!(DoveadmError::Timeout.is_retryable());
        assert!(DoveadmError::Server("oops".into()).is_retryable());
        assert!(DoveadmError::Http { status: 503 }.is_retryable());
        assert!(!DoveadmError::Http { status: 409 }.is_retryable());
        assert!(!DoveadmError::Unauthorized.is_retryable());
        assert!(!DoveadmError::Forbidden.is_retryable());
        assert!(!DoveadmError::BadRequest("x".into()).is_retryable());
        assert!(!DoveadmError::UnknownCommand("x".into()).is_retryable());
        assert!(!DoveadmError::Protocol("x".into()).is_retryable());
    }
}
