//! The client's address behind a reverse proxy: `X-Forwarded-For` counts only when the
//! connection comes from a proxy we were told to trust (`--trusted-proxy`). Anyone else could
//! write any address into that header and so dodge the sign-in limits or blame someone else.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use ipnet::IpNet;

use super::AppState;

pub const FORWARDED_FOR: &str = "x-forwarded-for";

/// The proxies whose `X-Forwarded-For` is believed: addresses or networks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// One `--trusted-proxy` value: `10.0.0.5`, `::1` or `10.0.0.0/8`.
pub fn parse_proxy(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    IpNet::from_str(text)
        .or_else(|_| IpAddr::from_str(text).map(IpNet::from))
        .map_err(|_| {
            format!("{text:?} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/8)")
        })
}

impl TrustedProxies {
    pub fn new(proxies: Vec<IpNet>) -> TrustedProxies {
        TrustedProxies(proxies)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client as seen through trusted proxies: walking `X-Forwarded-For` from the right
    /// (the hop nearest to us), the first address that is not a trusted proxy. A peer that is
    /// not trusted is the client, whatever its headers say; an unreadable entry ends the walk
    /// at the last trusted hop.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        let hops: Vec<&str> = headers
            .get_all(FORWARDED_FOR)
            .iter()
            .flat_map(|value| value.to_str().unwrap_or("").split(','))
            .collect();
        for hop in hops.iter().rev() {
            match hop_address(hop) {
                Some(address) => {
                    client = address;
                    if !self.trusts(address) {
                        break;
                    }
                }
                None => break,
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry; some proxies add a port (`1.2.3.4:5678`, `[::1]:5678`).
fn hop_address(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    IpAddr::from_str(hop)
        .ok()
        .or_else(|| SocketAddr::from_str(hop).ok().map(|socket| socket.ip()))
        .map(|address| address.to_canonical())
}

/// The address the sign-in limits and the logs use for a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    pub fn of(
        parts_extensions: &axum::http::Extensions,
        headers: &HeaderMap,
        proxies: &TrustedProxies,
    ) -> ClientAddr {
        let peer = parts_extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
        ClientAddr(proxies.client(peer, headers))
    }
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(ClientAddr::of(
            &parts.extensions,
            &parts.headers,
            &state.trusted_proxies,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(FORWARDED_FOR, HeaderValue::from_str(value).expect("valid"));
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(
            list.iter()
                .map(|p| parse_proxy(p).expect("valid"))
                .collect(),
        )
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let trusted = proxies(&["10.0.0.5"]);
        assert_eq!(
            trusted.client(ip("203.0.113.9"), &headers(&["1.1.1.1"])),
            ip("203.0.113.9")
        );
        assert_eq!(
            TrustedProxies::default().client(ip("10.0.0.5"), &headers(&["1.1.1.1"])),
            ip("10.0.0.5")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_spoofed_hops_to_its_left_do_not_count() {
        let trusted = proxies(&["10.0.0.5", "192.168.0.0/16"]);
        // The client wrote "6.6.6.6" itself; the proxy appended the address it saw.
        let forwarded = headers(&["6.6.6.6, 198.51.100.7"]);
        assert_eq!(
            trusted.client(ip("10.0.0.5"), &forwarded),
            ip("198.51.100.7")
        );
        // Two trusted proxies in a row, and the header split over two lines.
        let chained = headers(&["198.51.100.7", "192.168.1.2"]);
        assert_eq!(trusted.client(ip("10.0.0.5"), &chained), ip("198.51.100.7"));
        // Ports and IPv6, and an IPv4 peer seen as IPv6-mapped.
        assert_eq!(
            trusted.client(ip("::ffff:10.0.0.5"), &headers(&["[2001:db8::1]:4711"])),
            ip("2001:db8::1")
        );
        // No header: the proxy itself.
        assert_eq!(
            trusted.client(ip("10.0.0.5"), &HeaderMap::new()),
            ip("10.0.0.5")
        );
        // Garbage ends the walk at the last hop we could read.
        assert_eq!(
            trusted.client(ip("10.0.0.5"), &headers(&["nonsense"])),
            ip("10.0.0.5")
        );
    }

    #[test]
    fn proxies_are_addresses_or_networks() {
        assert!(parse_proxy("10.0.0.0/8").is_ok());
        assert!(parse_proxy("::1").is_ok());
        assert!(parse_proxy("proxy.example").is_err());
        assert!(parse_proxy("10.0.0.0/33").is_err());
    }
}
