//! Server functions of the IP Network Service's tabs. Gatekeeper, SIP, DNS, Fixed Ports and
//! QoS are one synced record (a Slave gets them); Security is this MCU's own and its
//! passwords never leave the server (G7).

use crate::error::AppError;
use domain::NetworkService;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::state::{answer, require};
#[cfg(feature = "ssr")]
use domain::{Change, Permission, Record, SecurityCredentials};

/// The Security tab as a page sees it: user names, and whether a password is set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SecurityView {
    pub sip_user: String,
    pub sip_password_set: bool,
    pub h323_user: String,
    pub h323_password_set: bool,
}

/// The IP Network Service page's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkServiceView {
    pub service: NetworkService,
    pub security: SecurityView,
    /// Simultaneous calls this MCU can hold (sizes the Fixed Ports ranges).
    pub calls: u32,
    pub can_manage: bool,
    /// What this MCU registers: on a Hot Backup Slave, aliases and host name carry the
    /// backup suffix so the two MCUs never register the same names.
    pub registered_aliases: Vec<String>,
    pub registered_host_name: String,
}

#[server(endpoint = "get_network_service", output = crate::error::Json)]
pub async fn get_network_service() -> Result<NetworkServiceView, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewConfiguration).await?;
        let model = st.info.model;
        let role = st.hb.role();
        st.db(move |s| {
            let reg = |n: &str| domain::hotbackup::registered_name(n, role);
            let management: domain::ManagementNetwork = s.local(domain::store::keys::MANAGEMENT_NETWORK)?;
            let service = s.network_service()?;
            let sec: SecurityCredentials = s.local(domain::store::keys::SECURITY)?;
            let ports: domain::PortConfiguration = s.local(domain::store::keys::PORT_CONFIGURATION)?;
            Ok(NetworkServiceView {
                registered_aliases: service.gatekeeper.aliases.iter().map(|a| reg(a)).collect(),
                registered_host_name: reg(&management.host_name),
                service,
                security: SecurityView {
                    sip_password_set: !sec.sip_password.is_empty(),
                    h323_password_set: !sec.h323_password.is_empty(),
                    sip_user: sec.sip_user,
                    h323_user: sec.h323_user,
                },
                calls: domain::conference::capacity(model, &ports),
                can_manage: me.role.can(Permission::ManageConfiguration),
            })
        })
        .await
    })
    .await
}

/// Changes one tab of the synced part and commits it (mirrored to a Slave).
#[cfg(feature = "ssr")]
async fn update_service(
    st: &crate::state::AppState,
    what: &str,
    change: impl FnOnce(&mut NetworkService, u32) -> Result<(), domain::DomainError> + Send + 'static,
) -> Result<String, AppError> {
    let model = st.info.model;
    let service = st
        .db(move |s| {
            let ports: domain::PortConfiguration = s.local(domain::store::keys::PORT_CONFIGURATION)?;
            let mut service = s.network_service()?;
            change(&mut service, domain::conference::capacity(model, &ports))?;
            Ok(service)
        })
        .await?;
    st.commit(Change::Put { record: Record::NetworkService(service) }).await?;
    Ok(format!("{what} saved; in effect now."))
}

#[server(endpoint = "set_gatekeeper", output = crate::error::Json)]
pub async fn set_gatekeeper(enabled: Option<String>, primary: String, alternate: String, prefix: String, aliases: String) -> Result<String, AppError> {
    answer(async move {
        let st = require(Permission::ManageConfiguration).await?.0;
        let gk = domain::network::gatekeeper(enabled.is_some(), &primary, &alternate, &prefix, &aliases)?;
        update_service(&st, "H.323 settings", move |s, _| {
            s.gatekeeper = gk;
            Ok(())
        })
        .await
    })
    .await
}

#[server(endpoint = "set_sip_servers", output = crate::error::Json)]
pub async fn set_sip_servers(registrar: String, proxy: String, transport: String) -> Result<String, AppError> {
    answer(async move {
        let st = require(Permission::ManageConfiguration).await?.0;
        let sip = domain::network::sip_servers(&registrar, &proxy, &transport)?;
        update_service(&st, "SIP servers", move |s, _| {
            s.sip = sip;
            Ok(())
        })
        .await
    })
    .await
}

#[server(endpoint = "set_dns", output = crate::error::Json)]
pub async fn set_dns(dns_servers: String, dns_domain: String) -> Result<String, AppError> {
    answer(async move {
        let st = require(Permission::ManageConfiguration).await?.0;
        let (servers, domain) = domain::network::dns(&dns_servers, &dns_domain)?;
        update_service(&st, "DNS", move |s, _| {
            s.dns_servers = servers;
            s.dns_domain = domain;
            Ok(())
        })
        .await
    })
    .await
}

#[server(endpoint = "set_fixed_ports", output = crate::error::Json)]
pub async fn set_fixed_ports(enabled: Option<String>, tcp_first: String, tcp_last: String, udp_first: String, udp_last: String) -> Result<String, AppError> {
    answer(async move {
        let st = require(Permission::ManageConfiguration).await?.0;
        update_service(&st, "Fixed Ports", move |s, calls| {
            s.fixed_ports = domain::network::fixed_ports(enabled.is_some(), &tcp_first, &tcp_last, &udp_first, &udp_last, calls)?;
            Ok(())
        })
        .await
    })
    .await
}

#[server(endpoint = "set_qos", output = crate::error::Json)]
pub async fn set_qos(enabled: Option<String>, kind: String, audio: String, video: String) -> Result<String, AppError> {
    answer(async move {
        let st = require(Permission::ManageConfiguration).await?.0;
        let q = domain::network::qos(enabled.is_some(), &kind, &audio, &video)?;
        update_service(&st, "QoS", move |s, _| {
            s.qos = q;
            Ok(())
        })
        .await
    })
    .await
}

/// Security tab: an empty password field keeps the stored password. Never mirrored (G7).
#[server(endpoint = "set_security", output = crate::error::Json)]
pub async fn set_security(sip_user: String, sip_password: String, h323_user: String, h323_password: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageConfiguration).await?;
        st.db(move |s| {
            let old: SecurityCredentials = s.local(domain::store::keys::SECURITY)?;
            let (sip_user, sip_password) = domain::network::credential("sip_user", "sip_password", &sip_user, &sip_password, &old.sip_password)?;
            let (h323_user, h323_password) =
                domain::network::credential("h323_user", "h323_password", &h323_user, &h323_password, &old.h323_password)?;
            s.set_local(domain::store::keys::SECURITY, &SecurityCredentials { sip_user, sip_password, h323_user, h323_password })
        })
        .await?;
        tracing::info!(by = %me.name, "security credentials changed");
        st.audit(domain::audit::AuditKind::Security, "SIP/H.323 security credentials changed.", true).await;
        Ok("Security saved (on this MCU only; Hot Backup never copies it).".into())
    })
    .await
}
