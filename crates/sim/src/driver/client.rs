//! HTTP client side: session POSTs to the ACS and Download/Upload transfers.
//! Every read is bounded in size and time.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::url::HttpUrl;
use crate::cpe::{HttpRequest, HttpResponse, TransferJob, TransferResult};

pub type Sender = SendRequest<Full<Bytes>>;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("connect: {0}")]
    Connect(String),
    #[error("timeout")]
    Timeout,
    #[error("http: {0}")]
    Http(String),
    #[error("body larger than the limit")]
    TooLarge,
}

pub async fn connect(addr: SocketAddr, timeout: Duration) -> Result<Sender, ClientError> {
    let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
        .await
        .map_err(|_| ClientError::Timeout)?
        .map_err(|e| ClientError::Connect(e.to_string()))?;
    let _ = stream.set_nodelay(true);
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| ClientError::Http(e.to_string()))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// Sends one request and reads the whole answer.
#[allow(clippy::too_many_arguments)]
pub async fn send(
    sender: &mut Sender,
    method: hyper::Method,
    authority: &str,
    path: &str,
    headers: &[(&'static str, Cow<'static, str>)],
    body: Bytes,
    timeout: Duration,
    max_body: usize,
) -> Result<HttpResponse, ClientError> {
    let work = async {
        sender
            .ready()
            .await
            .map_err(|e| ClientError::Http(e.to_string()))?;
        let mut b = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", authority)
            .header("user-agent", "cwmp2usp-sim");
        for (n, v) in headers {
            b = b.header(*n, v.as_ref());
        }
        let req = b
            .body(Full::new(body))
            .map_err(|e| ClientError::Http(e.to_string()))?;
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| ClientError::Http(e.to_string()))?;
        let status = resp.status().as_u16();
        let head = resp
            .headers()
            .iter()
            .take(64)
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect::<Vec<_>>();
        let body = Limited::new(resp.into_body(), max_body)
            .collect()
            .await
            .map_err(|e| {
                if e.downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some()
                {
                    ClientError::TooLarge
                } else {
                    ClientError::Http(e.to_string())
                }
            })?
            .to_bytes();
        let headers = head.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        Ok(HttpResponse::new(status, headers, body))
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| ClientError::Timeout)?
}

/// Where session POSTs go.
#[derive(Debug, Clone)]
pub struct AcsTarget {
    pub addr: SocketAddr,
    pub authority: String,
    pub path: String,
    pub timeout: Duration,
    pub max_body: usize,
    /// Set for an `https://` ACS; each CPE connects with
    /// [`super::tls::TlsTarget::for_cpe`] of it.
    pub tls: Option<super::tls::TlsTarget>,
}

/// One session POST: reuses the session's connection, opening a new one
/// when asked or when the ACS closed it.
pub async fn post(
    conn: &mut Option<super::h1::Conn>,
    acs: &AcsTarget,
    tls: Option<&super::tls::TlsTarget>,
    req: HttpRequest,
) -> Result<HttpResponse, ClientError> {
    let reuse = !req.new_connection && conn.as_ref().is_some_and(|c| !c.is_closed());
    if !reuse {
        *conn = Some(match tls {
            None => super::h1::Conn::connect(acs.addr, acs.timeout).await?,
            Some(tls) => super::h1::Conn::over(tls.connect(acs.addr, acs.timeout).await?),
        });
    }
    let Some(c) = conn.as_mut() else {
        return Err(ClientError::Connect("no connection".into()));
    };
    c.request(
        "POST",
        &acs.authority,
        &acs.path,
        &req.headers,
        &req.body,
        acs.timeout,
        acs.max_body,
    )
    .await
}

/// Limits for Download and Upload.
#[derive(Debug, Clone, Copy)]
pub struct TransferLimits {
    pub timeout: Duration,
    pub max_bytes: usize,
}

/// Performs a Download (GET) or Upload (PUT) and reports the CWMP outcome:
/// 9015 cannot contact the server, 9016 cannot access the file (bad status,
/// too large), 9013 unsupported protocol, 9012 authentication failed,
/// 9011 upload failure.
pub async fn transfer(
    job: &TransferJob,
    limits: TransferLimits,
    start: Duration,
    clock: impl Fn() -> Duration,
    upload_body: Bytes,
) -> TransferResult {
    let result = |code: u32, msg: &str| TransferResult {
        id: job.id,
        fault_code: code,
        fault_string: msg.to_string(),
        start,
        complete: clock(),
    };
    let url = match HttpUrl::parse(&job.url) {
        // Transfers stay plain HTTP; TLS is only for the ACS.
        Ok(u) if u.tls => return result(9013, "Unsupported protocol"),
        Ok(u) => u,
        Err(super::url::UrlError::Scheme(_)) => return result(9013, "Unsupported protocol"),
        Err(_) => return result(9015, "Cannot contact file server: malformed URL"),
    };
    let addr = match tokio::time::timeout(limits.timeout, tokio::net::lookup_host(url.authority()))
        .await
    {
        Ok(Ok(mut it)) => match it.next() {
            Some(a) => a,
            None => return result(9015, "Cannot contact file server: no address"),
        },
        _ => return result(9015, "Cannot contact file server: name resolution failed"),
    };
    let method = if job.upload {
        hyper::Method::PUT
    } else {
        hyper::Method::GET
    };
    let mut digest: Option<httpauth::DigestClient> = None;
    for _attempt in 0..2 {
        let mut sender = match connect(addr, limits.timeout).await {
            Ok(s) => s,
            Err(_) => return result(9015, "Cannot contact file server"),
        };
        let mut headers: Vec<(&'static str, Cow<'static, str>)> = Vec::new();
        if let Some(d) = digest.as_mut() {
            if let Some(a) = d.authorization(method.as_str(), &url.path, "0a4f113b") {
                headers.push(("authorization", a.into()));
            }
        }
        let body = if job.upload {
            upload_body.clone()
        } else {
            Bytes::new()
        };
        let resp = match send(
            &mut sender,
            method.clone(),
            &url.authority(),
            &url.path,
            &headers,
            body,
            limits.timeout,
            limits.max_bytes,
        )
        .await
        {
            Ok(r) => r,
            Err(ClientError::TooLarge) => return result(9016, "Cannot access file: too large"),
            Err(ClientError::Timeout) => {
                return result(9015, "Cannot contact file server: timeout")
            }
            Err(_) => return result(9015, "Cannot contact file server"),
        };
        match resp.status {
            200..=299 => return result(0, ""),
            401 if digest.is_none() && !job.username.is_empty() => {
                let mut d = httpauth::DigestClient::new(job.username.clone(), job.password.clone());
                let ch: Vec<&str> = resp.headers_named("www-authenticate").collect();
                if d.challenged(&ch.join(", ")).is_err() {
                    return result(9012, "File server authentication failure");
                }
                digest = Some(d);
            }
            401 | 403 => return result(9012, "File server authentication failure"),
            _ if job.upload => return result(9011, "Upload failure"),
            _ => return result(9016, "Cannot access file"),
        }
    }
    result(9012, "File server authentication failure")
}
