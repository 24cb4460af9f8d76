//! Prometheus remote-write 1.0: a protobuf `WriteRequest`, snappy block-compressed.
//!
//! The few messages are written out here with prost's derive (no protoc). Protobuf appends
//! repeated fields of concatenated messages, so the encodings of several readings joined
//! together are one valid `WriteRequest`: the pusher batches readings by concatenating them.

use super::TargetSamples;

pub const CONTENT_TYPE: &str = "application/x-protobuf";
pub const CONTENT_ENCODING: &str = "snappy";
pub const VERSION_HEADER: &str = "X-Prometheus-Remote-Write-Version";
pub const VERSION: &str = "0.1.0";

#[derive(Clone, PartialEq, prost::Message)]
pub struct WriteRequest {
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TimeSeries {
    /// Sorted by name, `__name__` among them.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<Sample>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Label {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub value: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Sample {
    #[prost(double, tag = "1")]
    pub value: f64,
    /// Milliseconds since the Unix epoch.
    #[prost(int64, tag = "2")]
    pub timestamp: i64,
}

/// One reading as a `WriteRequest`, uncompressed: a series per sample, labels sorted, empty
/// label values left out (Prometheus treats them as absent).
pub fn encode(target: &TargetSamples) -> Vec<u8> {
    use prost::Message;
    let timestamp = target.at.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    let timeseries = target
        .series()
        .map(|(sample, labels)| {
            let mut labels: Vec<Label> = std::iter::once(("__name__", sample.name))
                .chain(labels.into_iter().filter(|(_, v)| !v.is_empty()))
                .map(|(name, value)| Label { name: name.to_string(), value: value.to_string() })
                .collect();
            labels.sort_by(|a, b| a.name.cmp(&b.name));
            TimeSeries { labels, samples: vec![Sample { value: sample.value, timestamp }] }
        })
        .collect();
    WriteRequest { timeseries }.encode_to_vec()
}

/// Snappy block format, as remote-write wants (not the framed format).
pub fn compress(body: &[u8]) -> Result<Vec<u8>, snap::Error> {
    snap::raw::Encoder::new().compress_vec(body)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use prost::Message;

    use super::*;
    use crate::export::tests::home;

    #[test]
    fn readings_concatenate_into_one_request_with_sorted_labels_and_millisecond_times() {
        let first = home(UNIX_EPOCH + Duration::from_millis(1_700_000_000_250));
        let mut second = home(UNIX_EPOCH + Duration::from_secs(1_700_000_030));
        second.line = "office".into();
        let mut body = encode(&first);
        body.extend(encode(&second));
        let compressed = compress(&body).unwrap();
        let body = snap::raw::Decoder::new().decompress_vec(&compressed).unwrap();
        let request = WriteRequest::decode(body.as_slice()).unwrap();
        assert_eq!(request.timeseries.len(), 2 * first.series().count());
        for series in &request.timeseries {
            let names: Vec<&str> = series.labels.iter().map(|l| l.name.as_str()).collect();
            assert!(names.is_sorted() && names.contains(&"__name__") && names.contains(&"line"), "{names:?}");
            assert!(series.labels.iter().all(|l| !l.value.is_empty()), "{series:?}");
        }
        let snr = request
            .timeseries
            .iter()
            .find(|s| {
                let has = |n: &str, v: &str| s.labels.iter().any(|l| l.name == n && l.value == v);
                has("__name__", "dsl_signal_to_noise_margin_db") && has("direction", "up") && has("line", "office")
            })
            .unwrap();
        assert_eq!(snr.samples, [Sample { value: 15.2, timestamp: 1_700_000_030_000 }]);
        assert_eq!(request.timeseries[0].samples[0].timestamp, 1_700_000_000_250);
    }
}
