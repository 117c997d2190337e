//! Behind a reverse proxy: which client a request really came from.
//!
//! Only a connection from a `--trusted-proxy` address has its `Forwarded` (RFC 7239) or,
//! without it, `X-Forwarded-For` header believed; anyone else's is ignored (a client could
//! write anything there). The client is the nearest address in the forwarding chain that is
//! not itself a trusted proxy: what the outermost trusted proxy saw. Everything that uses
//! the client's address — the login limits, the audit trail, the logs — then uses it; the
//! connection caps per address do not apply to the proxies themselves.

use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

/// Addresses in a forwarding chain looked at, at most (a header is bounded in size anyway).
const MAX_HOPS: usize = 32;

/// The proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

/// `--trusted-proxy`: an address (`10.0.0.5`, `::1`) or a block (`10.0.0.0/24`).
pub fn parse_proxy(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    if let Ok(net) = s.parse::<IpNet>() {
        return Ok(net.trunc());
    }
    s.parse::<IpAddr>().map(IpNet::from).map_err(|_| format!("'{s}' is neither an address nor a block such as 10.0.0.0/24"))
}

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> TrustedProxies {
        TrustedProxies(nets)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client a request from `remote` came from (see the module's documentation).
    pub fn client(&self, remote: SocketAddr, headers: &HeaderMap) -> SocketAddr {
        if !self.contains(remote.ip()) {
            return remote;
        }
        let chain = match forwarded(headers) {
            Some(chain) => chain,
            None => x_forwarded_for(headers),
        };
        // From the nearest hop outwards; an entry that cannot be read ends the walk there.
        let mut client = None;
        for hop in chain.iter().rev() {
            match hop {
                Some(ip) if self.contains(*ip) => client = Some(*ip),
                Some(ip) => return SocketAddr::new(*ip, 0),
                None => break,
            }
        }
        client.map(|ip| SocketAddr::new(ip, 0)).unwrap_or(remote)
    }
}

/// An IPv4 address written as IPv6 (`::ffff:10.0.0.1`) is the IPv4 one.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// One hop's address: `192.0.2.1`, `192.0.2.1:80`, `[2001:db8::1]`, `[2001:db8::1]:80`,
/// `2001:db8::1`, quoted or not; `None` for anything else (`unknown`, an obfuscated name).
fn hop(s: &str) -> Option<IpAddr> {
    let s = s.trim().trim_matches('"');
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok().map(canonical);
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    s.parse::<SocketAddr>().ok().map(|a| canonical(a.ip()))
}

/// The `for=` addresses of the `Forwarded` headers, oldest hop first; `None` without one.
fn forwarded(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let values: Vec<&str> = headers.get_all("forwarded").iter().filter_map(|v| v.to_str().ok()).collect();
    if values.is_empty() {
        return None;
    }
    let elements = values.iter().flat_map(|v| v.split(',')).take(MAX_HOPS);
    Some(
        elements
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, v)| hop(v))
            })
            .collect(),
    )
}

/// The addresses of the `X-Forwarded-For` headers, oldest hop first.
fn x_forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values: Vec<&str> = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
    let all: Vec<&str> = values.iter().flat_map(|v| v.split(',')).collect();
    // The nearest hops matter: keep the last ones.
    all[all.len().saturating_sub(MAX_HOPS)..].iter().map(|h| hop(h)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(axum::http::HeaderName::from_bytes(k.as_bytes()).expect("name"), v.parse().expect("value"));
        }
        h
    }

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(list.iter().map(|p| parse_proxy(p).expect("proxy")).collect())
    }

    fn from(ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse().expect("ip"), 5555)
    }

    #[test]
    fn only_a_trusted_proxy_is_believed_and_the_client_is_the_nearest_untrusted_hop() {
        let p = proxies(&["10.0.0.0/24", "192.0.2.7"]);
        let spoofed = headers(&[("x-forwarded-for", "203.0.113.9")]);
        // Anyone else's header is ignored.
        assert_eq!(p.client(from("198.51.100.1"), &spoofed), from("198.51.100.1"));
        // From the proxy: the address it saw.
        assert_eq!(p.client(from("10.0.0.5"), &spoofed).ip(), "203.0.113.9".parse::<IpAddr>().expect("ip"));
        // A client that writes its own header in front of the proxy's entry gains nothing.
        let chain = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.9, 192.0.2.7")]);
        assert_eq!(p.client(from("10.0.0.5"), &chain).ip(), "203.0.113.9".parse::<IpAddr>().expect("ip"));
        // Forwarded wins over X-Forwarded-For; quoted IPv6 with a port; several headers.
        let both = headers(&[("x-forwarded-for", "1.1.1.1"), ("forwarded", "for=5.5.5.5"), ("forwarded", "for=\"[2001:db8::1]:4711\";proto=https")]);
        assert_eq!(p.client(from("10.0.0.5"), &both).ip(), "2001:db8::1".parse::<IpAddr>().expect("ip"));
        // Nothing usable: the proxy itself.
        assert_eq!(p.client(from("10.0.0.5"), &headers(&[("forwarded", "for=unknown")])), from("10.0.0.5"));
        assert_eq!(p.client(from("10.0.0.5"), &headers(&[])), from("10.0.0.5"));
        assert_eq!(p.client(from("10.0.0.5"), &headers(&[("x-forwarded-for", "not an address")])), from("10.0.0.5"));
        // IPv4 written as IPv6 is the same proxy.
        assert!(p.contains("::ffff:10.0.0.9".parse().expect("ip")));
    }

    #[test]
    fn proxies_are_addresses_or_blocks_and_anything_else_is_refused() {
        assert_eq!(parse_proxy("10.0.0.5").expect("address").to_string(), "10.0.0.5/32");
        assert_eq!(parse_proxy("10.0.0.77/24").expect("block").to_string(), "10.0.0.0/24");
        assert_eq!(parse_proxy("::1").expect("v6").to_string(), "::1/128");
        assert!(parse_proxy("proxy.example").is_err());
        assert!(parse_proxy("10.0.0.0/33").is_err());
    }
}
