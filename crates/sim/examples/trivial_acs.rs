//! A deliberately trivial ACS for load measurements: answers any Inform with
//! an InformResponse (echoing cwmp:ID and the namespace), and an empty POST
//! with 204 and `Connection: close`, so every session is Inform + empty POST
//! on its own TCP connection. One thread, so it costs one core at most.
//!
//! `cargo run --release -p sim --example trivial_acs -- 127.0.0.1:17547`
//!
//! It does no parsing beyond two substring searches: the point is that the
//! load generator, not the ACS, is what gets measured.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

const MAX_BODY: usize = 64 * 1024;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:17547".to_string());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        println!("trivial ACS on http://{}/", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(answer))
                    .await;
            });
        }
    })
}

async fn answer(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(status(StatusCode::PAYLOAD_TOO_LARGE)),
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        let mut resp = status(StatusCode::NO_CONTENT);
        resp.headers_mut().insert(
            hyper::header::CONNECTION,
            hyper::header::HeaderValue::from_static("close"),
        );
        return Ok(resp);
    }
    let text = String::from_utf8_lossy(&body);
    let ns = text
        .find("urn:dslforum-org:cwmp-1-")
        .and_then(|i| text.get(i..i + 25))
        .unwrap_or("urn:dslforum-org:cwmp-1-0");
    let id = text
        .find(":ID")
        .and_then(|i| text[i..].find('>').map(|j| i + j + 1))
        .and_then(|start| text[start..].find('<').map(|end| &text[start..start + end]))
        .unwrap_or("1");
    let xml = format!(
        "<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\" \
         xmlns:cwmp=\"{ns}\"><soap-env:Header><cwmp:ID soap-env:mustUnderstand=\"1\">{id}</cwmp:ID>\
         </soap-env:Header><soap-env:Body><cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes>\
         </cwmp:InformResponse></soap-env:Body></soap-env:Envelope>"
    );
    let mut resp = Response::new(Full::new(Bytes::from(xml)));
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/xml; charset=\"utf-8\""),
    );
    Ok(resp)
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = code;
    resp
}
