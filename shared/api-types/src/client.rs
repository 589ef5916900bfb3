//! A typed client for the REST API, used by the CLI and the tests.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::*;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The API answered with an error body.
    #[error("{} ({}): {}", .0.title, .0.code, .0.detail)]
    Api(Problem),
    /// The API answered an error without a problem body.
    #[error("http {status}: {body}")]
    Http { status: u16, body: String },
    #[error("request failed: {0}")]
    Transport(#[from] reqwest::Error),
}

impl ClientError {
    /// The stable error code, when the API gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api(p) => Some(&p.code),
            _ => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, ClientError>;

#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    /// `base` is the server root, e.g. `http://127.0.0.1:8080`.
    pub fn new(base: impl Into<String>, token: Option<String>) -> Self {
        Self { http: reqwest::Client::new(), base: base.into().trim_end_matches('/').to_owned(), token }
    }

    pub fn with_token(&self, token: Option<String>) -> Self {
        Self { token, ..self.clone() }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let req = self.http.request(method, format!("{}{API_PREFIX}{path}", self.base));
        match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    async fn send<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> Result<T> {
        let resp = req.send().await?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp.json().await?);
        }
        let body = resp.text().await?;
        Err(match serde_json::from_str::<Problem>(&body) {
            Ok(p) => ClientError::Api(p),
            Err(_) => ClientError::Http { status: status.as_u16(), body },
        })
    }

    async fn send_empty(&self, req: reqwest::RequestBuilder) -> Result<()> {
        let resp = req.send().await?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let body = resp.text().await?;
        Err(match serde_json::from_str::<Problem>(&body) {
            Ok(p) => ClientError::Api(p),
            Err(_) => ClientError::Http { status: status.as_u16(), body },
        })
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.send(self.request(reqwest::Method::GET, path)).await
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T> {
        self.send(self.request(reqwest::Method::POST, path).json(body)).await
    }

    pub async fn put<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T> {
        self.send(self.request(reqwest::Method::PUT, path).json(body)).await
    }

    pub async fn patch<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T> {
        self.send(self.request(reqwest::Method::PATCH, path).json(body)).await
    }

    pub async fn delete(&self, path: &str) -> Result<()> {
        self.send_empty(self.request(reqwest::Method::DELETE, path)).await
    }

    // Typed shortcuts for the common calls.

    pub async fn create_site(&self, body: &CreateSite) -> Result<SiteView> {
        self.post("/sites", body).await
    }

    pub async fn list_sites(&self) -> Result<Vec<SiteView>> {
        self.get("/sites").await
    }

    pub async fn update_site(&self, site: &str, body: &UpdateSite) -> Result<SiteView> {
        self.patch(&format!("/sites/{site}"), body).await
    }

    pub async fn init_site(&self, site: &str, update: bool) -> Result<InitReport> {
        self.post(&format!("/sites/{site}/init"), &InitSite { update }).await
    }

    pub async fn create_backend(&self, body: &CreateBackend) -> Result<BackendView> {
        self.post("/backends", body).await
    }

    pub async fn update_backend(&self, host: &str, body: &UpdateBackend) -> Result<BackendView> {
        self.patch(&format!("/backends/{host}"), body).await
    }

    pub async fn list_groups(&self, site: &str, query: &str) -> Result<GroupPage> {
        self.get(&format!("/sites/{site}/groups{query}")).await
    }

    pub async fn list_users(&self, site: &str, query: &str) -> Result<UserPage> {
        self.get(&format!("/sites/{site}/users{query}")).await
    }

    pub async fn create_token(&self, name: &str, role: &str) -> Result<CreatedToken> {
        self.post("/tokens", &CreateToken { name: name.into(), role: role.into() }).await
    }
}
