//! Rules of the IP Network Service's tabs: H.323 gatekeeper, SIP servers, DNS, Security,
//! Fixed Ports and QoS. Each builder takes the form's raw text and returns the value or
//! the field that is wrong, with a message that says what would be right.

use crate::model::*;
use crate::validate::{host_name, ip_address};
use crate::DomainError;

/// Most H.323 aliases a gatekeeper registration carries (RMX: 5).
pub const MAX_ALIASES: usize = 5;
/// Lowest port of a fixed range (below are the well-known and registered ports).
pub const FIRST_DYNAMIC_PORT: u16 = 1024;
/// Per call: TCP ports (H.225 + H.245) and UDP ports (4 RTP + 4 RTCP).
pub const TCP_PORTS_PER_CALL: u32 = 2;
pub const UDP_PORTS_PER_CALL: u32 = 8;

/// An IP address or a host name (servers), or empty when `optional`.
pub fn server_address(field: &'static str, raw: &str, optional: bool) -> Result<String, DomainError> {
    let v = raw.trim();
    if v.is_empty() {
        return if optional { Ok(String::new()) } else { Err(DomainError::invalid(field, "Enter the server's IP address or host name.")) };
    }
    if v.parse::<std::net::IpAddr>().is_ok() || v.chars().any(|c| c == ':') {
        return ip_address(field, v, false);
    }
    if v.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(DomainError::invalid(field, format!("'{v}' is not an IP address (four numbers 0–255, e.g. 10.0.0.5).")));
    }
    host_name(field, v)
}

fn alias(raw: &str) -> Result<String, DomainError> {
    let v = raw.trim();
    let ok = !v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@' | '+'));
    if ok {
        Ok(v.to_string())
    } else {
        Err(DomainError::invalid("aliases", format!("'{v}' is not an H.323 alias (letters, digits, '.', '-', '_', '@', '+', up to 64).")))
    }
}

/// H.323 tab. Aliases: one per line or comma-separated.
pub fn gatekeeper(enabled: bool, primary: &str, alternate: &str, prefix: &str, aliases: &str) -> Result<Gatekeeper, DomainError> {
    let primary = server_address("primary", primary, !enabled)?;
    let alternate = server_address("alternate", alternate, true)?;
    if !alternate.is_empty() && alternate == primary {
        return Err(DomainError::invalid("alternate", "The alternate gatekeeper must differ from the primary."));
    }
    let prefix = prefix.trim().to_string();
    if prefix.len() > 8 || !prefix.chars().all(|c| c.is_ascii_digit()) {
        return Err(DomainError::invalid("prefix", "The MCU prefix is up to 8 digits, or empty."));
    }
    let aliases: Vec<String> = aliases.split([',', '\n']).map(str::trim).filter(|a| !a.is_empty()).map(alias).collect::<Result<_, _>>()?;
    if aliases.len() > MAX_ALIASES {
        return Err(DomainError::invalid("aliases", format!("At most {MAX_ALIASES} aliases.")));
    }
    Ok(Gatekeeper { enabled, primary, alternate, prefix, aliases })
}

/// SIP tab.
pub fn sip_servers(registrar: &str, proxy: &str, transport: &str) -> Result<SipServers, DomainError> {
    let transport = match transport {
        "udp" => SipTransport::Udp,
        "tcp" => SipTransport::Tcp,
        "tls" => SipTransport::Tls,
        _ => return Err(DomainError::invalid("transport", "Choose UDP, TCP or TLS.")),
    };
    Ok(SipServers { registrar: server_address("registrar", registrar, true)?, proxy: server_address("proxy", proxy, true)?, transport })
}

/// DNS tab: up to three server addresses (one per line or comma-separated) and a domain.
pub fn dns(servers: &str, domain: &str) -> Result<(Vec<String>, String), DomainError> {
    let servers: Vec<String> =
        servers.split([',', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(|s| ip_address("dns_servers", s, false)).collect::<Result<_, _>>()?;
    if servers.len() > 3 {
        return Err(DomainError::invalid("dns_servers", "At most three DNS servers."));
    }
    let domain = if domain.trim().is_empty() { String::new() } else { host_name("dns_domain", domain)? };
    Ok((servers, domain))
}

fn port(field: &'static str, raw: &str) -> Result<u16, DomainError> {
    raw.trim().parse::<u16>().ok().filter(|p| *p >= FIRST_DYNAMIC_PORT).ok_or_else(|| {
        DomainError::invalid(field, format!("A port is a whole number from {FIRST_DYNAMIC_PORT} to 65535."))
    })
}

/// Fixed Ports tab. When on, both ranges must be ordered and large enough for `calls`
/// simultaneous calls (this MCU's capacity).
pub fn fixed_ports(enabled: bool, tcp_first: &str, tcp_last: &str, udp_first: &str, udp_last: &str, calls: u32) -> Result<FixedPorts, DomainError> {
    let mut e = crate::FieldErrors::default();
    let ports = [
        e.check(port("tcp_first", tcp_first)),
        e.check(port("tcp_last", tcp_last)),
        e.check(port("udp_first", udp_first)),
        e.check(port("udp_last", udp_last)),
    ];
    let [Some(tcp_first), Some(tcp_last), Some(udp_first), Some(udp_last)] = ports else {
        return Err(e.into_error());
    };
    let f = FixedPorts { enabled, tcp_first, tcp_last, udp_first, udp_last };
    for (field, first, last, per_call, proto) in
        [("tcp_last", f.tcp_first, f.tcp_last, TCP_PORTS_PER_CALL, "TCP"), ("udp_last", f.udp_first, f.udp_last, UDP_PORTS_PER_CALL, "UDP")]
    {
        if last < first {
            e.add(DomainError::invalid(field, format!("The last {proto} port must not be below the first ({first}).")));
            continue;
        }
        let size = u32::from(last - first) + 1;
        let need = per_call.saturating_mul(calls);
        if enabled && size < need {
            e.add(DomainError::invalid(
                field,
                format!("The {proto} range {first}–{last} has {size} ports; {calls} calls need {need} ({per_call} per call)."),
            ));
        }
    }
    e.finish()?;
    Ok(f)
}

fn qos_value(field: &'static str, raw: &str, kind: QosType) -> Result<u8, DomainError> {
    let v = raw.trim();
    let parsed = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => u8::from_str_radix(hex, 16).ok(),
        None => v.parse::<u8>().ok(),
    };
    let (max, what) = match kind {
        QosType::Precedence => (5, "Precedence priority is 0–5 (audio 5, video 4 recommended)"),
        QosType::DiffServ => (63, "A DiffServ code point is 0–63 (decimal, or hex like 0x2E)"),
    };
    parsed.filter(|n| *n <= max).ok_or_else(|| DomainError::invalid(field, format!("{what}; '{v}' is not.")))
}

/// QoS tab.
pub fn qos(enabled: bool, kind: &str, audio: &str, video: &str) -> Result<Qos, DomainError> {
    let kind = match kind {
        "diffserv" => QosType::DiffServ,
        "precedence" => QosType::Precedence,
        _ => return Err(DomainError::invalid("kind", "Choose DiffServ or Precedence.")),
    };
    let mut e = crate::FieldErrors::default();
    let (audio, video) = (e.check(qos_value("audio", audio, kind)), e.check(qos_value("video", video, kind)));
    let (Some(audio), Some(video)) = (audio, video) else { return Err(e.into_error()) };
    Ok(Qos { enabled, kind, audio, video })
}

/// Security tab: a user name (empty = no authentication) and a password that is only
/// replaced when a new one is typed (pages never get the stored one back).
pub fn credential(user_field: &'static str, password_field: &'static str, user: &str, new_password: &str, old_password: &str) -> Result<(String, String), DomainError> {
    let user = user.trim().to_string();
    if user.chars().count() > 64 || user.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(DomainError::invalid(user_field, "The user name is up to 64 characters without spaces."));
    }
    if new_password.chars().count() > 64 || new_password.chars().any(char::is_control) {
        return Err(DomainError::invalid(password_field, "The password is up to 64 characters."));
    }
    let password = if user.is_empty() { String::new() } else if new_password.is_empty() { old_password.to_string() } else { new_password.to_string() };
    Ok((user, password))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field<T: std::fmt::Debug>(r: Result<T, DomainError>) -> &'static str {
        match r {
            Err(DomainError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn gatekeeper_sip_and_dns() {
        let gk = gatekeeper(true, "10.0.0.1", "gk2.example.com", "88", "MCU1\n1000, mcu@example.com").expect("gk");
        assert_eq!(gk.aliases.len(), 3);
        assert_eq!(field(gatekeeper(true, "", "", "", "")), "primary");
        assert!(gatekeeper(false, "", "", "", "").is_ok(), "off needs no server");
        assert_eq!(field(gatekeeper(true, "10.0.0.1", "10.0.0.1", "", "")), "alternate");
        assert_eq!(field(gatekeeper(true, "10.0.0.1", "", "12a", "")), "prefix");
        assert_eq!(field(gatekeeper(true, "10.0.0.1", "", "", "a,b,c,d,e,f")), "aliases");
        assert_eq!(field(gatekeeper(true, "10.0.0.300", "", "", "")), "primary");
        assert_eq!(sip_servers("", "proxy.example.com", "tls").expect("sip").transport, SipTransport::Tls);
        assert_eq!(field(sip_servers("bad host!", "", "udp")), "registrar");
        assert_eq!(field(sip_servers("", "", "sctp")), "transport");
        assert_eq!(dns("10.0.0.53, fd00::53", "Example.COM").expect("dns"), (vec!["10.0.0.53".into(), "fd00::53".into()], "example.com".into()));
        assert_eq!(field(dns("1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4", "")), "dns_servers");
    }

    #[test]
    fn fixed_ports_are_ordered_in_range_and_large_enough() {
        assert!(fixed_ports(true, "49152", "49407", "49152", "50175", 40).is_ok());
        assert_eq!(field(fixed_ports(true, "80", "49407", "49152", "50175", 40)), "tcp_first");
        assert_eq!(field(fixed_ports(true, "49152", "70000", "49152", "50175", 40)), "tcp_last");
        assert_eq!(field(fixed_ports(true, "49152", "49000", "49152", "50175", 40)), "tcp_last");
        let e = fixed_ports(true, "49152", "49407", "49152", "49200", 40).expect_err("too small");
        assert!(e.to_string().contains("320"), "{e}");
        assert!(fixed_ports(false, "49152", "49407", "49152", "49200", 40).is_ok(), "size only matters when on");
        // Every wrong field at once, each under its own input.
        let Err(DomainError::Fields(all)) = fixed_ports(true, "-1", "1.5", "49152", "50175", 40) else { panic!("two fields") };
        assert_eq!(all.iter().map(|(f, _)| *f).collect::<Vec<_>>(), vec!["tcp_first", "tcp_last"]);
        let Err(DomainError::Fields(both)) = fixed_ports(true, "49152", "49000", "50000", "49000", 40) else { panic!("two ranges") };
        assert_eq!(both.iter().map(|(f, _)| *f).collect::<Vec<_>>(), vec!["tcp_last", "udp_last"]);
    }

    #[test]
    fn qos_values_depend_on_the_type() {
        assert_eq!(qos(true, "precedence", "5", "4").expect("prec").audio, 5);
        assert_eq!(field(qos(true, "precedence", "6", "4")), "audio");
        assert_eq!(qos(true, "diffserv", "0x2E", "34").expect("ds").audio, 46);
        assert_eq!(field(qos(true, "diffserv", "46", "64")), "video");
        assert_eq!(field(qos(true, "diffserv", "-1", "1")), "audio");
        assert_eq!(field(qos(true, "tos", "1", "1")), "kind");
    }

    #[test]
    fn security_keeps_the_password_unless_a_new_one_is_typed() {
        assert_eq!(credential("sip_user", "sip_password", "mcu", "", "old").expect("keep"), ("mcu".into(), "old".into()));
        assert_eq!(credential("sip_user", "sip_password", "mcu", "new", "old").expect("new"), ("mcu".into(), "new".into()));
        assert_eq!(credential("sip_user", "sip_password", "", "", "old").expect("off"), (String::new(), String::new()));
        assert_eq!(field(credential("sip_user", "sip_password", "a b", "", "")), "sip_user");
    }
}
