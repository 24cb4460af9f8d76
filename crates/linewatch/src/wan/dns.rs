//! DNS questions asked of chosen resolvers, never the system's: `myip.opendns.com` (OpenDNS
//! answers it with the address the question came from) and the DDNS host name (through a
//! public resolver, so a local override cannot hide a stale record).

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;

use super::DdnsAnswer;

fn resolver(servers: &[SocketAddr], timeout: Duration) -> Result<TokioResolver, String> {
    let servers = servers
        .iter()
        .map(|server| {
            let mut config = NameServerConfig::udp_and_tcp(server.ip());
            for connection in &mut config.connections {
                connection.port = server.port();
            }
            config
        })
        .collect();
    let mut options = ResolverOpts::default();
    options.timeout = timeout;
    options.attempts = 1;
    // Every reading asks afresh: a cached answer would hide the change we watch for.
    options.cache_size = 0;
    options.use_hosts_file = ResolveHosts::Never;
    options.ndots = 0;
    TokioResolver::builder_with_config(ResolverConfig::from_name_servers(servers), TokioRuntimeProvider::default())
        .with_options(options)
        .build()
        .map_err(|e| format!("cannot set up the resolver: {e}"))
}

/// The A records of `name` as `servers` answer them; an empty list when the name has none.
pub async fn lookup_v4(name: &str, servers: &[SocketAddr], timeout: Duration) -> Result<Vec<Ipv4Addr>, String> {
    let resolver = resolver(servers, timeout)?;
    let fqdn = format!("{}.", name.trim_end_matches('.'));
    // hickory's own timeout applies per server and attempt; this bounds the whole question.
    let budget = timeout * (servers.len() as u32 + 1);
    match tokio::time::timeout(budget, resolver.ipv4_lookup(fqdn.as_str())).await {
        Err(_) => Err(format!("no answer within {budget:?}")),
        Ok(Err(e)) if e.is_no_records_found() => Ok(Vec::new()),
        Ok(Err(e)) => Err(e.to_string()),
        Ok(Ok(lookup)) => Ok(lookup
            .answers()
            .iter()
            .filter_map(|record| match &record.data {
                RData::A(a) => Some(a.0),
                _ => None,
            })
            .collect()),
    }
}

/// What public resolvers answer for the DDNS host.
pub async fn ddns(host: &str, servers: &[SocketAddr], timeout: Duration) -> DdnsAnswer {
    match lookup_v4(host, servers, timeout).await {
        Ok(addresses) => DdnsAnswer { host: host.to_string(), addresses: addresses.into_iter().map(Into::into).collect(), error: None },
        Err(error) => DdnsAnswer { host: host.to_string(), addresses: Vec::new(), error: Some(error) },
    }
}

/// The servers as written in a method's name: `208.67.222.222, 208.67.220.220`.
pub fn describe(servers: &[SocketAddr]) -> String {
    let names: Vec<String> = servers.iter().map(|s| if s.port() == 53 { s.ip().to_string() } else { s.to_string() }).collect();
    names.join(", ")
}
