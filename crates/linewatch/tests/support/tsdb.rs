//! Real time-series databases from Debian, each on a free port with its data in a temp dir,
//! killed on drop: `prometheus` (scrapes `/metrics`, receives remote-write) and
//! `victoria-metrics` (receives Influx line protocol and remote-write).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support;

/// Series as VictoriaMetrics exports them: labels (with `__name__`), (timestamp ms, value)s.
pub type Exported = Vec<(serde_json::Map<String, Value>, Vec<(i64, f64)>)>;

pub struct Tsdb {
    pub base: String,
    child: Child,
    dir: tempfile::TempDir,
    http: reqwest::Client,
    /// Basic authentication for the reads, when the server wants it.
    auth: Option<(String, String)>,
}

impl Drop for Tsdb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Tsdb {
    /// Prometheus scraping `127.0.0.1:<scrape_port>/metrics` every second (if given), with its
    /// remote-write receiver on. `None` (skipped loudly) when not installed outside CI.
    pub async fn prometheus(scrape_port: Option<u16>) -> Option<Tsdb> {
        if !support::peer_available("prometheus", "prometheus") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut config = "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n".to_string();
        if let Some(port) = scrape_port {
            config += &format!("scrape_configs:\n  - job_name: linewatch\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n");
        }
        std::fs::write(dir.path().join("prometheus.yml"), config).unwrap();
        let port = support::free_port();
        let args = [
            format!("--config.file={}", dir.path().join("prometheus.yml").display()),
            format!("--storage.tsdb.path={}", dir.path().join("data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--web.enable-remote-write-receiver".to_string(),
        ];
        Some(Tsdb::start("prometheus", &args, dir, port, "/-/ready", None).await)
    }

    /// VictoriaMetrics; with `auth`, it wants basic authentication on every request.
    pub async fn victoria_metrics(auth: Option<(&str, &str)>) -> Option<Tsdb> {
        if !support::peer_available("victoria-metrics", "victoria-metrics") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = support::free_port();
        let mut args = vec![
            format!("-storageDataPath={}", dir.path().join("data").display()),
            format!("-httpListenAddr=127.0.0.1:{port}"),
            "-retentionPeriod=100y".to_string(),
        ];
        if let Some((user, password)) = auth {
            args.push(format!("-httpAuth.username={user}"));
            args.push(format!("-httpAuth.password={password}"));
        }
        let auth = auth.map(|(u, p)| (u.to_string(), p.to_string()));
        Some(Tsdb::start("victoria-metrics", &args, dir, port, "/health", auth).await)
    }

    async fn start(program: &str, args: &[String], dir: tempfile::TempDir, port: u16, ready: &str, auth: Option<(String, String)>) -> Tsdb {
        let log = std::fs::File::create(dir.path().join("log")).unwrap();
        let child = Command::new(program)
            .args(args)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
        let mut tsdb = Tsdb { base: format!("http://127.0.0.1:{port}"), child, dir, http, auth };
        for _ in 0..240 {
            if let Ok(Some(status)) = tsdb.child.try_wait() {
                panic!("{program} exited ({status}):\n{}", tsdb.log());
            }
            if tsdb.get(ready, &[]).await.is_ok_and(|r| r.status().is_success()) {
                return tsdb;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("{program} not ready after 60s:\n{}", tsdb.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    async fn get(&self, path: &str, query: &[(&str, &str)]) -> reqwest::Result<reqwest::Response> {
        let mut url = reqwest::Url::parse(&format!("{}{path}", self.base)).unwrap();
        url.query_pairs_mut().extend_pairs(query);
        let mut request = self.http.get(url);
        if let Some((user, password)) = &self.auth {
            request = request.basic_auth(user, Some(password));
        }
        request.send().await
    }

    /// A GET answered with JSON.
    pub async fn json(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let response = self.get(path, query).await.unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "GET {path} {query:?}: HTTP {status}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path}: {e}: {text}"))
    }

    /// PromQL instant query (Prometheus and VictoriaMetrics): the `result` array.
    pub async fn query(&self, promql: &str) -> Vec<Value> {
        let answer = self.json("/api/v1/query", &[("query", promql)]).await;
        assert_eq!(answer["status"], "success", "{promql}: {answer}");
        answer["data"]["result"].as_array().cloned().unwrap_or_default()
    }

    /// Polls a query until it has a result (generous timeout, only against hanging).
    pub async fn query_until_found(&self, promql: &str) -> Vec<Value> {
        for _ in 0..240 {
            let result = self.query(promql).await;
            if !result.is_empty() {
                return result;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("no result for {promql} after 60s:\n{}", self.log());
    }

    /// VictoriaMetrics: every raw sample of the series matching `selector`, as
    /// (labels, [(timestamp ms, value)]), once at least `series` of them are searchable
    /// (VictoriaMetrics registers new series in the background).
    pub async fn export(&self, selector: &str, series: usize) -> Exported {
        let mut found = Exported::new();
        for _ in 0..240 {
            let flushed = self.get("/internal/force_flush", &[]).await.unwrap();
            assert!(flushed.status().is_success(), "force_flush: {}", flushed.status());
            let response = self.get("/api/v1/export", &[("match[]", selector)]).await.unwrap();
            assert!(response.status().is_success(), "export: {}", response.status());
            let text = response.text().await.unwrap();
            found = text
                .lines()
                .map(|line| {
                    let series: Value = serde_json::from_str(line).unwrap();
                    let labels = series["metric"].as_object().unwrap().clone();
                    let points = series["timestamps"].as_array().unwrap().iter().zip(series["values"].as_array().unwrap());
                    (labels, points.map(|(t, v)| (t.as_i64().unwrap(), v.as_f64().unwrap())).collect())
                })
                .collect();
            if found.len() >= series {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("{selector}: {} series after 60s, want {series}:\n{found:?}", found.len());
    }
}
